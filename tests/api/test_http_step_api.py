"""The HTTP request step through the API: bad input refused with the place named, nothing
saved; secrets stored by admins, never read back."""

import pytest

from workflows.models import Secret, Workflow

pytestmark = pytest.mark.django_db


def http_workflow(**step):
    return {
        "name": "Look up",
        "status": "live",
        "trigger": "customer_first_message",
        "steps": [{"type": "http_request", "method": "POST", "url": "https://crm.example/x",
                   "save": {"conversation.custom.plan": "data.plan"}, **step}],
    }  # fmt: skip


def test_a_valid_http_step_is_saved_as_written(admin_api):
    document = http_workflow(
        headers={"Authorization": "Bearer {{secret.CRM}}", "X-Team": {"secret": "TEAM"}},
        body={"email": "{{contact.email}}", "n": [1, "{{conversation.id}}"]},
        on_failure=[{"type": "add_tag", "tag": "Lookup failed"}],
    )

    response = admin_api.post("/api/workflows/", document, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["steps"] == document["steps"]


@pytest.mark.parametrize(
    ("step", "place", "words"),
    [
        ({"url": "ftp://crm.example/x"}, "steps[0].url", "http and https"),
        ({"url": "https://{{contact.name}}.example/"}, "steps[0].url", "Write the host out"),
        ({"url": "https://crm.example/{{contact.phone}}"}, "steps[0].url", "Unknown placeholder"),
        ({"body": {"a": {"b": "{{nope}}"}}}, "steps[0].body.a.b", "Unknown placeholder"),
        ({"headers": {"Authorization": "Bearer abc123"}}, "steps[0].headers.Authorization",
         "{{secret.NAME}}"),
        ({"headers": {"X-Api-Key": "abc123"}}, "steps[0].headers.X-Api-Key", "as a secret"),
        ({"save": {"contact.plan": "data.plan"}}, "steps[0].save.contact.plan",
         "conversation.custom.KEY"),
        ({"method": "TRACE"}, "steps[0].method", "Use GET"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_the_place_named(admin_api, step, place, words):
    response = admin_api.post("/api/workflows/", http_workflow(**step), format="json")

    assert response.status_code == 400
    assert list(response.json()) == [place]
    assert words in response.json()[place][0]
    assert not Workflow.objects.exists()


def test_an_admin_stores_a_secret_and_no_read_returns_its_value(admin_api, teammate_api):
    created = admin_api.post("/api/secrets/", {"name": "CRM", "value": "tok-123"}, format="json")

    assert created.status_code == 201
    assert "value" not in created.json() and created.json()["name"] == "CRM"
    listed = admin_api.get("/api/secrets/").content.decode()
    assert "tok-123" not in listed and "CRM" in listed
    secret_id = created.json()["id"]
    assert "tok-123" not in admin_api.get(f"/api/secrets/{secret_id}/").content.decode()
    assert (
        admin_api.patch(
            f"/api/secrets/{secret_id}/", {"value": "tok-456"}, format="json"
        ).status_code
        == 200
    )
    assert Secret.objects.get().value == "tok-456"
    assert teammate_api.get("/api/secrets/").status_code == 403
    assert admin_api.post("/api/secrets/", {"name": "CRM", "value": "x"}, format="json").json() == {
        "name": ['A secret named "CRM" exists.']
    }


def test_the_admin_page_of_a_secret_never_shows_its_value(admin_client):
    secret = Secret.objects.create(name="CRM", value="tok-123")

    page = admin_client.get(f"/admin/workflows/secret/{secret.pk}/change/")

    assert page.status_code == 200
    assert "tok-123" not in page.content.decode()
    # Saving without a value keeps the stored one.
    admin_client.post(f"/admin/workflows/secret/{secret.pk}/change/", {"name": "CRM", "value": ""})
    assert Secret.objects.get().value == "tok-123"
