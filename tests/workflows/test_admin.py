import pytest
from django.urls import reverse

from tests.workflows.helpers import make_workflow

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["workflow", "workflowrun", "workflowlog", "deferredassignment"])
def test_it_lists_workflow_models_in_the_admin(client, admin_user, model):
    client.force_login(admin_user)

    assert client.get(reverse(f"admin:workflows_{model}_changelist")).status_code == 200


def test_it_filters_workflows_by_background_and_shows_the_icon(client, admin_user):
    make_workflow("Tagger")
    make_workflow("Greeter", steps=[{"type": "send_message", "body": "Hi"}])
    client.force_login(admin_user)

    response = client.get(
        reverse("admin:workflows_workflow_changelist") + "?is_background__exact=1"
    )

    body = response.content.decode()
    assert "⚙ Tagger" in body
    assert "Greeter" not in body
