"""An unknown placeholder is a 400 naming its place; nothing is saved."""

import pytest

from workflows.models import Workflow


@pytest.mark.django_db
def test_the_api_refuses_an_unknown_placeholder_with_the_place_named(admin_api):
    document = {
        "name": "Greet",
        "status": "live",
        "trigger": "customer_first_message",
        "steps": [
            {"type": "reply_buttons", "body": "Hi {{contact.shoe_size}}", "buttons": [
                {"label": "Yes", "steps": []}]},
        ],
    }  # fmt: skip

    response = admin_api.post("/api/workflows/", document, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["steps[0].body"]
    assert "contact.shoe_size" in response.json()["steps[0].body"][0]
    assert not Workflow.objects.exists()
