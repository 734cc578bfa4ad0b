"""The builder's fragment endpoint (structural edits without a page load), the typed rule
picker, nested groups and the error summary, with the Django test client."""

import pytest
from django.forms import BaseFormSet
from django.urls import reverse

from tests.factories import ContactFactory
from workflows import vocabulary
from workflows.editor import WorkflowEditor
from workflows.models import Workflow

pytestmark = pytest.mark.django_db
URL = reverse("workflows:fragment")


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def post_data_for(document: dict, **overrides) -> dict:
    """What the browser posts for the editor showing `document` unchanged."""
    editor = WorkflowEditor(document=document, choices={"team": ["Support"]})
    data = {}
    for item in editor.all_forms():
        forms = item.forms if isinstance(item, BaseFormSet) else [item]
        if isinstance(item, BaseFormSet):
            for field in item.management_form:
                data[field.html_name] = field.value()
        for form in forms:
            for field in form:
                value = field.value()
                if value is not None and value is not False:
                    data[field.html_name] = "on" if value is True else value
    data.update(overrides)
    return data


def workflow_document(rules=(), steps=()):
    return {
        "name": "Pro spenders",
        "status": "draft",
        "trigger": "customer_first_message",
        "trigger_options": {},
        "frequency": "once",
        "audience": {"match": "all", "rules": list(rules)},
        "steps": list(steps) or [{"type": "close"}],
    }


def test_adding_a_rule_answers_the_rule_group_alone_with_its_count_and_the_new_rule(
    admin_client,
):
    response = admin_client.post(
        URL, post_data_for(workflow_document(), action="add:a-r", fragment="a")
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div class="rules" id="frag-a"')
    assert "<html" not in body and "Save workflow" not in body
    assert 'name="a-r-TOTAL_FORMS" value="1"' in body
    assert '<select name="a-r-0-attribute"' in body
    assert response["X-Builder-Focus"] == '[data-form="a-r-0"]'
    assert not Workflow.objects.exists()


def test_the_picker_groups_attributes_in_words_with_custom_ones_from_the_data(admin_client):
    ContactFactory(plan="Pro", custom_attributes={"vip_level": 3, "seats": 10})

    body = admin_client.post(
        URL, post_data_for(workflow_document(), action="add:a-r", fragment="a")
    ).content.decode()

    for group in vocabulary.ATTRIBUTE_GROUP_WORDS.values():
        assert f'<optgroup label="{group}">' in body
    assert '<option value="contact.monthly_spend">Monthly spend</option>' in body
    assert f'<optgroup label="{vocabulary.CUSTOM_ATTRIBUTES_GROUP}">' in body
    label = vocabulary.attribute_label("contact.custom.vip_level")
    assert label == "Vip level (contact data)"
    assert f'<option value="contact.custom.vip_level">{label}</option>' in body


def test_a_number_attribute_offers_number_operators_and_a_number_keyboard(admin_client):
    document = workflow_document(
        [{"attribute": "contact.monthly_spend", "operator": "gt", "value": 500}]
    )

    body = admin_client.post(
        URL, post_data_for(document, action="refresh:a-r-0-value", fragment="a")
    ).content.decode()

    assert '<option value="gt" selected>' in body and '<option value="lte">' in body
    assert '<option value="contains">' not in body
    # A text box with a number keyboard: what is typed stays visible, even a non-number.
    assert '<input type="text" inputmode="decimal" autocomplete="off" name="a-r-0-value"' in body
    assert 'value="500"' in body


def test_plans_tags_weekdays_and_yes_no_are_chosen_from_a_list(admin_client):
    ContactFactory(plan="Pro")
    ContactFactory(plan="Starter")
    document = workflow_document([
        {"attribute": "contact.plan", "operator": "in", "value": ["Pro"]},
        {"attribute": "time.weekday", "operator": "is", "value": "monday"},
        {"attribute": "conversation.priority", "operator": "is", "value": True},
    ])  # fmt: skip

    body = admin_client.post(
        URL, post_data_for(document, action="refresh", fragment="a")
    ).content.decode()

    plans = body[body.index('name="a-r-0-value"') : body.index('name="a-r-1-attribute"')]
    assert "multiple" in plans
    assert '<option value="Pro" selected>Pro</option>' in plans
    assert '<option value="Starter">Starter</option>' in plans
    assert '<option value="monday" selected>Monday</option>' in body
    assert '<option value="true" selected>yes</option>' in body


def test_several_chosen_plans_are_saved_as_a_list(admin_client):
    ContactFactory(plan="Pro")
    document = workflow_document(
        [{"attribute": "contact.plan", "operator": "in", "value": ["Pro"]}]
    )
    data = post_data_for(document, action="save")
    data["a-r-0-value"] = ["Pro", "Team"]  # a multiple select posts one key per choice

    response = admin_client.post(reverse("workflows:new"), data)

    assert response.status_code == 302, response.content.decode()[:2000]
    saved = Workflow.objects.get().document()["audience"]["rules"][0]
    assert saved == {"attribute": "contact.plan", "operator": "in", "value": ["Pro", "Team"]}


def test_a_group_is_made_inside_a_group_and_removed_in_place(admin_client):
    data = post_data_for(workflow_document(), action="add:a-g", fragment="a")
    added = admin_client.post(URL, data).content.decode()
    assert 'id="frag-a-g-0"' in added and 'value="add:a-g-0-r"' in added
    assert 'value="add:a-g-0-g"' in added  # "+ Add group" inside the group

    data.update({"a-g-TOTAL_FORMS": "1", "a-g-0-match": "any", "a-g-0-r-TOTAL_FORMS": "0",
                 "a-g-0-r-INITIAL_FORMS": "0", "a-g-0-g-TOTAL_FORMS": "0",
                 "a-g-0-g-INITIAL_FORMS": "0"})  # fmt: skip
    data.update(action="add:a-g-0-g", fragment="a-g-0")
    nested = admin_client.post(URL, data)
    assert nested.status_code == 200
    assert 'id="frag-a-g-0-g-0"' in nested.content.decode()

    data.update(action="remove:a-g-0", fragment="a")
    removed = admin_client.post(URL, data).content.decode()
    assert 'name="a-g-0-DELETE" id="id_a-g-0-DELETE" checked' in removed
    assert '<div class="nested-group hidden" data-form="a-g-0"' in removed


def test_nested_groups_keep_their_depth_and_order_through_the_form(admin_client):
    document = workflow_document(
        [
            {"match": "any", "rules": [
                {"attribute": "contact.plan", "operator": "is", "value": "Pro"},
                {"match": "all", "rules": [
                    {"attribute": "contact.monthly_spend", "operator": "gt", "value": 500}]}]},
            {"attribute": "conversation.tags", "operator": "contains", "value": "VIP"},
        ]
    )  # fmt: skip

    response = admin_client.post(reverse("workflows:new"), post_data_for(document, action="save"))

    assert response.status_code == 302, response.content.decode()[:2000]
    assert Workflow.objects.get().document() == document


def test_moving_and_removing_steps_answer_the_list_of_steps(admin_client):
    document = workflow_document(steps=[{"type": "add_tag", "tag": "first"}, {"type": "close"}])

    moved = admin_client.post(URL, post_data_for(document, action="down:s-0", fragment="s"))
    removed = admin_client.post(URL, post_data_for(document, action="remove:s-0", fragment="s"))

    body = moved.content.decode()
    assert body.lstrip().startswith('<div class="steps" id="frag-s"')
    assert body.index('<option value="close" selected>') < body.index('value="first"')
    assert moved["X-Builder-Focus"] == 'button[value="down:s-1"]'
    assert 'name="s-0-DELETE" id="id_s-0-DELETE" checked' in removed.content.decode()
    assert removed["X-Builder-Focus"] == '[data-add="s"]'


def test_an_apply_rules_entry_is_added_inside_its_step(admin_client):
    document = workflow_document(steps=[{"type": "apply_rules", "rules": []}])

    response = admin_client.post(URL, post_data_for(document, action="add:s-0-p", fragment="s-0-p"))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="s-0-p-TOTAL_FORMS" value="1"' in body
    assert 'id="frag-s-0-p-0-w"' in body and 'id="frag-s-0-p-0-s"' in body


@pytest.mark.parametrize(
    "overrides",
    [
        {"a-r-TOTAL_FORMS": "lots"},
        {"s-TOTAL_FORMS": "999999"},
        {"fragment": "s-7-p"},
        {"fragment": "<script>"},
        {"action": "add:nowhere"},
    ],
    ids=[
        "count-not-a-number",
        "count-too-large",
        "fragment-gone",
        "fragment-hostile",
        "odd-action",
    ],
)
def test_bad_input_is_a_message_never_a_500(admin_client, overrides):
    data = post_data_for(workflow_document(), action="add:a-r", fragment="a")
    data.update(overrides)

    response = admin_client.post(URL, data)

    body = response.content.decode()
    assert response.status_code == 400
    assert 'role="alert"' in body and "<script>" not in body
    assert response["HX-Retarget"] == "#builder-messages"


def test_a_missing_management_form_is_a_form_error_not_a_500(admin_client):
    response = admin_client.post(URL, {"action": "add:a-r", "fragment": "a"})

    assert response.status_code == 200
    assert 'name="a-r-TOTAL_FORMS" value="1"' in response.content.decode()


def test_only_admins_use_the_fragment_endpoint(client, teammate):
    client.force_login(teammate)

    response = client.post(URL, post_data_for(workflow_document(), action="add:a-r", fragment="a"))

    assert response.status_code == 403


def test_a_wrong_value_is_summarised_at_the_top_in_words_with_a_link_to_the_field(
    admin_client,
):
    document = workflow_document(
        [{"attribute": "contact.monthly_spend", "operator": "gt", "value": 500}]
    )
    data = post_data_for(document, action="save")
    data["a-r-0-value"] = "lots"

    response = admin_client.post(reverse("workflows:new"), data)

    body = response.content.decode()
    assert response.status_code == 400
    start = body.index('id="error-summary"')
    summary = body[start : body.index("</nav>", start)]
    assert 'href="#id_a-r-0-value"' in summary
    assert "Targeting, rule 1 (Monthly spend): Monthly spend must be a number." in summary
    assert "contact.monthly_spend" not in summary
    assert not Workflow.objects.exists()


def test_a_rule_without_an_attribute_asks_for_one_in_words(admin_client):
    document = workflow_document([{"attribute": "contact.plan", "operator": "is", "value": "Pro"}])
    data = post_data_for(document, action="save")
    data["a-r-0-attribute"] = ""

    response = admin_client.post(reverse("workflows:new"), data)

    body = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_a-r-0-attribute"' in body
    assert f"{vocabulary.CHOOSE_ATTRIBUTE}." in body
    assert "Unknown attribute" not in body
