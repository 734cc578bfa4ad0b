"""The builder's live preview: POST the form as it is now, get its outline and diagram."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.workflows.helpers import make_workflow
from tests.workflows.test_pages_builder import post_data_for
from workflows.models import Workflow

pytestmark = pytest.mark.django_db

DOCUMENT = {
    "name": "Route Pro customers",
    "status": "draft",
    "trigger": "customer_first_message",
    "frequency": "once",
    "audience": {"match": "all", "rules": [
        {"attribute": "contact.plan", "operator": "is", "value": "Pro"},
        {"attribute": "contact.monthly_spend", "operator": "gt", "value": 500}]},
    "steps": [
        {"type": "add_tag", "tag": "VIP"},
        {"type": "apply_rules", "rules": [
            {"when": {"match": "all", "rules": [
                {"attribute": "contact.plan", "operator": "is", "value": "Pro"}]},
             "steps": [{"type": "apply_sla", "sla": "Premium Support"}]},
            {"when": {"match": "all", "rules": []}, "steps": [{"type": "close"}]}]},
        {"type": "assign", "team": "Support"},
    ],
}  # fmt: skip


@pytest.fixture
def admin_client(client, admin_user, support_team):
    from tests.factories import SlaPolicyFactory

    SlaPolicyFactory(name="Premium Support")
    client.force_login(admin_user)
    return client


def test_a_new_workflows_unsaved_form_gets_its_outline_and_diagram(admin_client):
    response = admin_client.post(reverse("workflows:preview_new"), post_data_for(DOCUMENT))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Who: Plan is Pro and Monthly spend is greater than 500" in body
    assert "Rule entry 1: Plan is Pro" in body
    assert "Apply SLA “Premium Support”" in body
    assert body.count('<g class="diagram-box"') == 9
    assert "Not valid yet" not in body
    assert not Workflow.objects.exists()  # nothing saved


def test_an_edit_shows_the_changed_value_before_it_is_saved(admin_client):
    workflow = make_workflow("Tagger", steps=[{"type": "add_tag", "tag": "old"}])
    data = post_data_for(workflow.document())
    data["s-0-tag"] = "brand new"

    body = admin_client.post(reverse("workflows:preview", args=[workflow.pk]), data)

    assert "Add tag “brand new”" in body.content.decode()
    workflow.refresh_from_db()
    assert workflow.steps == [{"type": "add_tag", "tag": "old"}]


def test_a_value_the_validator_refuses_is_listed_in_words_beside_the_outline(admin_client):
    data = post_data_for(DOCUMENT)
    data["a-r-1-value"] = "lots"

    body = admin_client.post(reverse("workflows:preview_new"), data).content.decode()

    assert "Not valid yet" in body
    assert "Monthly spend must be a number." in body
    assert "Add tag “VIP”" in body  # the rest is still outlined


def test_every_time_on_a_trigger_that_cannot_repeat_is_pointed_out(admin_client):
    data = post_data_for(DOCUMENT)
    data["frequency"] = "every_time"

    body = admin_client.post(reverse("workflows:preview_new"), data).content.decode()

    assert "“Every time” is for triggers that can happen again" in body


def test_a_blank_new_workflow_is_outlined_before_its_name_is_filled_in(admin_client):
    data = post_data_for({"status": "draft", "frequency": "once", "steps": []})

    body = admin_client.post(reverse("workflows:preview_new"), data).content.decode()

    assert "When: Customer sends their first message" in body
    assert "Not valid yet" in body  # no name yet: the validator says so below the outline


def test_a_form_that_cannot_be_read_asks_to_fix_the_errors(admin_client):
    data = post_data_for(DOCUMENT)
    data["trigger"] = "teleported"

    response = admin_client.post(reverse("workflows:preview_new"), data)

    assert response.status_code == 200
    assert "Fix the errors to see the outline." in response.content.decode()


def test_counts_over_the_bound_are_refused_without_building_forms(admin_client):
    data = post_data_for(DOCUMENT)
    data["s-TOTAL_FORMS"] = "99999999999999999999"

    response = admin_client.post(reverse("workflows:preview_new"), data)

    assert response.status_code == 200
    assert "Fix the errors to see the outline." in response.content.decode()


def test_text_is_escaped_in_the_outline_and_the_diagram(admin_client):
    data = post_data_for(DOCUMENT)
    data["s-0-tag"] = "<b>x</b>"

    body = admin_client.post(reverse("workflows:preview_new"), data).content.decode()

    assert "<b>x</b>" not in body
    assert "&lt;b&gt;x&lt;/b&gt;" in body


def test_only_admins_preview(client, teammate):
    client.force_login(teammate)
    assert client.post(reverse("workflows:preview_new"), post_data_for(DOCUMENT)).status_code == 403
    client.logout()
    response = client.post(reverse("workflows:preview_new"), post_data_for(DOCUMENT))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_preview_without_the_csrf_token_is_refused(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post(reverse("workflows:preview_new"), post_data_for(DOCUMENT))

    assert response.status_code == 403


def test_get_is_not_allowed_and_an_unknown_workflow_is_404(admin_client):
    assert admin_client.get(reverse("workflows:preview_new")).status_code == 405
    response = admin_client.post(reverse("workflows:preview", args=[999999]), {})
    assert response.status_code == 404


def test_the_editor_asks_for_the_preview_and_shows_the_saved_diagram_at_once(admin_client):
    workflow = make_workflow("Tagger", steps=[{"type": "add_tag", "tag": "VIP"}])

    body = admin_client.get(reverse("workflows:edit", args=[workflow.pk])).content.decode()

    assert f'hx-post="{reverse("workflows:preview", args=[workflow.pk])}"' in body
    assert 'hx-include="#workflow-editor"' in body
    assert "Add tag “VIP”" in body and "<svg" in body
    new = admin_client.get(reverse("workflows:new") + "?blank").content.decode()
    assert f'hx-post="{reverse("workflows:preview_new")}"' in new


def test_a_teammate_reads_the_saved_outline_and_diagram_without_posting(client, teammate):
    workflow = make_workflow("Tagger", steps=[{"type": "add_tag", "tag": "VIP"}])
    client.force_login(teammate)

    body = client.get(reverse("workflows:edit", args=[workflow.pk])).content.decode()

    assert "Add tag “VIP”" in body and "<svg" in body
    assert "hx-post" not in body
