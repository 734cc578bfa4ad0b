"""The builder offers issue 17's triggers with their options, and time rules under a
Time group with a duration box."""

import html
import re

import pytest
from django.urls import reverse

from tests.workflows.test_builder_fragments import post_data_for, workflow_document
from tests.workflows.test_builder_typed_values import input_value, rule_row, summary_of
from workflows import vocabulary
from workflows.models import Workflow

pytestmark = pytest.mark.django_db
NEW = reverse("workflows:new")
FRAGMENT = reverse("workflows:fragment")
WAITED_2H = {"attribute": "conversation.waiting_since", "operator": "more_than_ago", "value": "2h"}


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def optgroup(body: str, label: str) -> str:
    found = re.search(rf'<optgroup label="{label}">(.*?)</optgroup>', body, re.S)
    return found.group(1) if found else ""


def test_a_tag_trigger_with_a_time_rule_is_saved_and_reopened_as_chosen(admin_client):
    data = post_data_for(workflow_document([WAITED_2H]), action="save")
    data.update({"trigger": "tag_added", "trigger_tag": "VIP", "frequency": "every_time"})

    response = admin_client.post(NEW, data)

    assert response.status_code == 302, response.content.decode()[:2000]
    document = Workflow.objects.get().document()
    assert (document["trigger"], document["trigger_options"]) == ("tag_added", {"tag": "VIP"})
    assert document["audience"]["rules"] == [WAITED_2H]
    body = admin_client.get(response["Location"]).content.decode()
    assert '<option value="tag_added" selected>Tag added</option>' in body
    assert input_value(body, "trigger_tag") == "VIP"
    row = rule_row(body)
    assert '<option value="more_than_ago" selected>is more than … ago</option>' in row
    assert input_value(row, "a-r-0-value") == "2h" and "data-duration" in row
    assert vocabulary.DURATION_HINT in row


def test_the_time_group_offers_the_conversation_moments(admin_client):
    data = post_data_for(
        workflow_document([WAITED_2H]), action="refresh:a-r-0-operator", fragment="a"
    )

    body = admin_client.post(FRAGMENT, data).content.decode()

    time_group = optgroup(body, "Time")
    for label in ("Customer waiting since", "Last customer message", "Last teammate reply",
                  "Snoozed until", "During office hours"):  # fmt: skip
        assert f">{label}</option>" in time_group
    assert "Customer waiting since" not in optgroup(body, "Conversation")
    # Only the operators that fit a moment compared with now.
    operators = re.findall(r'<option value="([a-z_]+)"', rule_row(body).split("Operator")[1])
    assert set(operators) == {"more_than_ago", "less_than_ago", "is_set", "is_unknown"}


def test_each_trigger_option_box_says_which_triggers_show_it(admin_client):
    body = admin_client.get(NEW + "?blank=1").content.decode()
    for name, triggers in (
        ("trigger_tag", "tag_added tag_removed"),
        ("trigger_key", "conversation_data_changed"),
        ("trigger_name", "custom_event"),
    ):
        assert re.search(rf'name="{name}"[^>]*data-triggers="{triggers}"', body) or re.search(
            rf'data-triggers="{triggers}"[^>]*name="{name}"', body
        ), name
    for trigger in ("customer_reopened", "priority_changed", "custom_event"):
        assert f'<option value="{trigger}">{vocabulary.trigger_label(trigger)}</option>' in body


def test_a_custom_event_without_a_name_is_an_error_beside_its_box_and_nothing_is_saved(
    admin_client,
):
    data = post_data_for(workflow_document(), action="save")
    data.update({"trigger": "custom_event", "trigger_name": ""})

    response = admin_client.post(NEW, data)

    body = response.content.decode()
    assert response.status_code == 400
    assert not Workflow.objects.exists()
    label = body[body.index('data-trigger-field="trigger_name"') :]
    label = label[: label.index("</label>")]
    assert "This field is required." in label
    assert 'href="#id_trigger_name"' in summary_of(body)


def test_a_duration_that_is_not_one_is_said_beside_the_rule(admin_client):
    data = post_data_for(workflow_document([WAITED_2H]), action="save")
    data["a-r-0-value"] = "two hours"

    response = admin_client.post(NEW, data)

    assert response.status_code == 400
    assert not Workflow.objects.exists()
    row = html.unescape(rule_row(response.content.decode()))
    assert 'Customer waiting since must be a duration such as "2h".' in row
    assert input_value(rule_row(response.content.decode()), "a-r-0-value") == "two hours"


def test_the_live_outline_says_the_trigger_option_and_the_time_rule_in_words(admin_client):
    data = post_data_for(workflow_document([WAITED_2H]))
    data.update({"trigger": "custom_event", "trigger_name": "order_refunded"})

    body = html.unescape(admin_client.post(reverse("workflows:preview_new"), data).content.decode())

    assert "Custom event received “order_refunded”" in body
    assert "Customer waiting since is more than 2 hours ago" in body
