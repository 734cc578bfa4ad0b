"""The builder pages with the Django test client: list, ordering, editor, templates."""

import json

import pytest
from django.forms import BaseFormSet
from django.urls import reverse

from tests.factories import SlaPolicyFactory
from tests.workflows.helpers import make_workflow
from workflows.builder_templates import TEMPLATES
from workflows.editor import WorkflowEditor
from workflows.models import Workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def teammate_client(client, teammate):
    client.force_login(teammate)
    return client


@pytest.fixture
def names(support_team):
    SlaPolicyFactory(name="Premium Support")


def post_data_for(document: dict, **overrides) -> dict:
    """What the browser posts for the editor showing `document` unchanged."""
    editor = WorkflowEditor(document=document, choices={
        "teammate": [], "team": ["Support"], "sla": ["Premium Support"], "workflow": []})  # fmt: skip
    data = {}
    for item in editor.all_forms():
        forms = item.forms if isinstance(item, BaseFormSet) else [item]
        if isinstance(item, BaseFormSet):
            for field in item.management_form:
                data[field.html_name] = field.value()
        for form in forms:
            for field in form:
                value = field.value()
                if value is None or value is False:
                    continue
                data[field.html_name] = "on" if value is True else value
    data.update(overrides)
    return data


# --- list ------------------------------------------------------------------------------


def test_the_list_needs_a_login(client):
    response = client.get(reverse("workflows:list"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_list_groups_by_trigger_in_priority_order_with_the_background_icon(admin_client):
    make_workflow("Second", trigger="customer_first_message")
    make_workflow("Greeter", steps=[{"type": "send_message", "body": "Hi"}])
    make_workflow("Third", trigger="customer_first_message")

    body = admin_client.get(reverse("workflows:list")).content.decode()

    assert (
        body.index("Customer sends their first message")
        < body.index("Second")
        < body.index("Third")
    )
    assert body.index("Customer sends any message") < body.index("Greeter")
    assert body.count('aria-label="Background workflow"') == 2
    assert "data-sortable" in body


def test_the_list_filters_by_background_status_and_trigger(admin_client):
    make_workflow("Tagger")
    make_workflow("Greeter", steps=[{"type": "send_message", "body": "Hi"}])
    make_workflow("Paused one", status="paused")

    background = admin_client.get(
        reverse("workflows:list") + "?is_background=true"
    ).content.decode()
    paused = admin_client.get(reverse("workflows:list") + "?status=paused").content.decode()
    bad = admin_client.get(reverse("workflows:list") + "?status=melted")

    assert "Tagger" in background and "Greeter" not in background
    assert "Paused one" in paused and "Tagger" not in paused
    assert bad.status_code == 200 and "Select a valid choice" in bad.content.decode()


def test_a_teammate_sees_a_read_only_list(teammate_client):
    make_workflow("Tagger")

    body = teammate_client.get(reverse("workflows:list")).content.decode()

    assert "Tagger" in body
    assert "New workflow" not in body and "data-sortable" not in body and "Duplicate" not in body


def test_reorder_saves_at_once_for_admins_only(admin_client, teammate):
    first, second = make_workflow("First"), make_workflow("Second")
    url = reverse("workflows:reorder")
    payload = {"trigger": "customer_any_message", "order": [second.pk, first.pk]}

    response = admin_client.post(url, json.dumps(payload), content_type="application/json")

    assert response.status_code == 200
    assert list(Workflow.objects.order_by("priority").values_list("name", flat=True)) == [
        "Second",
        "First",
    ]
    bad = admin_client.post(
        url,
        json.dumps({"trigger": "customer_any_message", "order": [first.pk]}),
        content_type="application/json",
    )
    assert bad.status_code == 400
    junk = admin_client.post(url, "not json", content_type="application/json")
    assert junk.status_code == 400
    admin_client.force_login(teammate)
    assert (
        admin_client.post(url, json.dumps(payload), content_type="application/json").status_code
        == 403
    )


def test_toggle_duplicate_and_delete_with_confirmation(admin_client):
    workflow = make_workflow("Tagger")

    admin_client.post(reverse("workflows:status", args=[workflow.pk]))
    workflow.refresh_from_db()
    assert workflow.status == "paused"
    response = admin_client.post(reverse("workflows:duplicate", args=[workflow.pk]))
    copy = Workflow.objects.get(name="Tagger (copy)")
    assert response["Location"] == reverse("workflows:edit", args=[copy.pk])
    assert copy.status == "draft" and copy.steps == workflow.steps
    confirm = admin_client.get(reverse("workflows:delete", args=[workflow.pk]))
    assert "Delete “Tagger”?" in confirm.content.decode()
    admin_client.post(reverse("workflows:delete", args=[workflow.pk]))
    assert not Workflow.objects.filter(pk=workflow.pk).exists()


def test_teammates_cannot_change_workflows(teammate_client):
    workflow = make_workflow("Tagger")

    for name in ("status", "duplicate", "delete"):
        assert (
            teammate_client.post(reverse(f"workflows:{name}", args=[workflow.pk])).status_code
            == 403
        )
    assert teammate_client.get(reverse("workflows:new")).status_code == 403
    assert (
        teammate_client.post(reverse("workflows:edit", args=[workflow.pk]), {}).status_code == 403
    )
    page = teammate_client.get(reverse("workflows:edit", args=[workflow.pk]))
    assert page.status_code == 200 and "data-outline" in page.content.decode()
    assert "workflow-editor" not in page.content.decode()


# --- templates and the editor --------------------------------------------------------------


def test_new_offers_at_least_six_templates(admin_client):
    body = admin_client.get(reverse("workflows:new")).content.decode()

    assert len(TEMPLATES) >= 6
    assert all(f"?template={key}" in body for key in TEMPLATES)


@pytest.mark.parametrize("key", list(TEMPLATES))
def test_every_template_saves_through_the_forms_exactly_as_its_document(admin_client, names, key):
    document = {**TEMPLATES[key]["document"], "trigger_options": {}}
    page = admin_client.get(reverse("workflows:new") + f"?template={key}")
    assert page.status_code == 200

    response = admin_client.post(reverse("workflows:new"), post_data_for(document, action="save"))

    assert response.status_code == 302, response.content.decode()[:3000]
    saved = Workflow.objects.get(name=document["name"])
    expected = {**document, "audience": document.get("audience") or {"match": "all", "rules": []}}
    assert saved.document() == expected


def test_a_workflow_built_from_scratch_with_rules_a_branch_and_apply_rules(admin_client, names):
    document = {
        "name": "Built in the browser",
        "status": "live",
        "trigger": "customer_any_message",
        "trigger_options": {},
        "frequency": "every_time",
        "audience": {"match": "any", "rules": [
            {"attribute": "contact.plan", "operator": "in", "value": ["Pro", "Premium"]},
            {"match": "all", "rules": [
                {"attribute": "contact.monthly_spend", "operator": "gte", "value": 500},
                {"attribute": "conversation.priority", "operator": "is", "value": True}]},
        ]},
        "steps": [
            {"type": "branches", "branches": [
                {"when": {"match": "all", "rules": [
                    {"attribute": "message.body", "operator": "contains", "value": "refund"}]},
                 "steps": [{"type": "add_tag", "tag": "Refund"}]}],
             "else": [{"type": "add_note", "body": "No refund asked"}]},
            {"type": "apply_rules", "rules": [
                {"when": {"match": "all", "rules": [
                    {"attribute": "contact.plan", "operator": "is", "value": "Premium"}]},
                 "steps": [{"type": "apply_sla", "sla": "Premium Support"}]}]},
            {"type": "assign", "team": "Support", "method": "round_robin"},
        ],
    }  # fmt: skip

    response = admin_client.post(reverse("workflows:new"), post_data_for(document, action="save"))

    assert response.status_code == 302, response.content.decode()[:3000]
    assert Workflow.objects.get(name="Built in the browser").document() == document


def test_a_step_missing_its_target_shows_the_error_beside_the_field_and_saves_nothing(
    admin_client, names
):
    document = {"name": "Broken", "status": "draft", "trigger": "customer_any_message",
                "frequency": "once", "steps": [{"type": "assign", "team": "Support"}]}  # fmt: skip
    data = post_data_for(document, action="save")
    data["s-0-team"] = ""

    response = admin_client.post(reverse("workflows:new"), data)

    assert response.status_code == 400
    body = response.content.decode()
    step = body[body.index('data-step="s-0"') :]
    assert "Assign to a teammate or to a team" in step[: step.index("add-type-s")]
    assert 'value="Broken"' in body  # the admin's input is kept
    assert not Workflow.objects.exists()


def test_a_rule_that_does_not_fit_its_attribute_is_refused_beside_the_operator(admin_client, names):
    document = {"name": "Odd rule", "status": "draft", "trigger": "customer_any_message",
                "frequency": "once", "audience": {"match": "all", "rules": [
                    {"attribute": "contact.plan", "operator": "gt", "value": "5"}]},
                "steps": [{"type": "close"}]}  # fmt: skip

    response = admin_client.post(reverse("workflows:new"), post_data_for(document, action="save"))

    body = response.content.decode()
    assert response.status_code == 400
    rule = body[body.index('name="a-r-0-operator"') - 600 :]
    assert "does not fit Plan" in rule[:2000]
    assert not Workflow.objects.exists()


def test_an_error_deep_inside_a_nested_formset_is_shown_where_it_is(admin_client, names):
    document = {"name": "Deep", "status": "draft", "trigger": "customer_any_message", "frequency": "once",
                "steps": [{"type": "branches", "branches": [{"when": {"match": "all", "rules": []},
                           "steps": [{"type": "add_tag", "tag": "x"}]}], "else": []}]}  # fmt: skip
    data = post_data_for(document, action="save")
    data["s-0-p-0-s-0-tag"] = ""

    response = admin_client.post(reverse("workflows:new"), data)

    body = response.content.decode()
    assert response.status_code == 400
    nested = body[body.index('data-step="s-0-p-0-s-0"') :]
    assert "This field is required." in nested[:2500]
    assert not Workflow.objects.exists()


def test_add_remove_and_reorder_steps_without_saving(admin_client, names):
    document = {"name": "Shape", "status": "draft", "trigger": "customer_any_message", "frequency": "once",
                "steps": [{"type": "add_tag", "tag": "first"}, {"type": "add_tag", "tag": "second"}]}  # fmt: skip
    url = reverse("workflows:new")

    added = admin_client.post(
        url, post_data_for(document, **{"action": "add:s", "add-type-s": "close"})
    )
    moved = admin_client.post(url, post_data_for(document, action="down:s-0"))
    removed = admin_client.post(url, post_data_for(document, action="remove:s-1"))

    assert 'name="s-TOTAL_FORMS" value="3"' in added.content.decode()
    assert '<option value="close" selected>' in added.content.decode()
    moved_body = moved.content.decode()
    assert moved_body.index('value="second"') < moved_body.index('value="first"')
    removed_body = removed.content.decode()
    assert 'name="s-1-DELETE" id="id_s-1-DELETE" checked' in removed_body
    assert not Workflow.objects.exists()


def test_the_edit_page_saves_changes_and_shows_the_outline(admin_client):
    workflow = make_workflow("Tagger", steps=[{"type": "add_tag", "tag": "old"}])
    data = post_data_for(workflow.document(), action="save")
    data["s-0-tag"] = "new"

    response = admin_client.post(reverse("workflows:edit", args=[workflow.pk]), data, follow=True)

    # A live workflow: the edit is kept as a draft (shown in the editor), not live yet.
    workflow.refresh_from_db()
    assert workflow.steps == [{"type": "add_tag", "tag": "old"}]
    assert workflow.draft["steps"] == [{"type": "add_tag", "tag": "new"}]
    body = response.content.decode()
    assert "Draft saved" in body and "Add tag “new”" in body


def test_removed_steps_do_not_count_in_the_numbering(admin_client, names):
    document = {"name": "Count", "status": "draft", "trigger": "customer_any_message", "frequency": "once",
                "steps": [{"type": "close"}, {"type": "reopen"}, {"type": "unassign"}]}  # fmt: skip

    body = admin_client.post(
        reverse("workflows:new"), post_data_for(document, action="remove:s-0")
    ).content.decode()

    assert "<strong>Step 3</strong>" not in body
    assert "<strong>Step 2</strong>" in body
