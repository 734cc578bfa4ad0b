"""Issue 17 items 1–2 end to end on PostgreSQL: each new trigger fires on a teammate's,
a customer's or an integration's change; a workflow's own changes only within the chain
limit, the cut logged; time rules read the conversation's moments; the events API
bounds what it records."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from conversations import services
from conversations.actors import Actor
from conversations.models import Event, EventType
from tests.api.conftest import client_with
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process, runs_of, tag_names
from workflows.engine.planner import MAX_WORKFLOW_CHAIN_DEPTH
from workflows.models import WorkflowLog

pytestmark = pytest.mark.django_db


def events_url(conversation):
    return f"/api/conversations/{conversation.pk}/events/"


@pytest.fixture
def admin_api(admin_user):
    return client_with(f"Token {Token.objects.create(user=admin_user).key}")


@pytest.fixture
def teammate_api(teammate):
    return client_with(f"Token {Token.objects.create(user=teammate).key}")


def test_a_tag_added_from_the_inbox_starts_the_workflow_for_that_tag(
    client, teammate, conversation
):
    make_workflow("On VIP", trigger="tag_added", trigger_options={"tag": "VIP"},
                  steps=[{"type": "set_priority", "priority": True}])  # fmt: skip
    make_workflow("On billing", trigger="tag_added", trigger_options={"tag": "Billing"})
    process(conversation)
    client.force_login(teammate)

    response = client.post(reverse("inbox:add_tag", args=[conversation.pk]), {"name": "vip"})

    assert response.status_code == 302
    process(conversation)
    conversation.refresh_from_db()
    assert conversation.priority is True
    assert [run.workflow.name for run in runs_of(conversation)] == ["On VIP"]


def test_tag_removed_priority_and_data_changes_fire_their_triggers(conversation, as_teammate):
    make_workflow("Untagged", trigger="tag_removed", frequency="every_time")
    make_workflow("Prioritised", trigger="priority_changed")
    make_workflow(
        "Order set", trigger="conversation_data_changed", trigger_options={"key": "order"}
    )
    make_workflow("Other key", trigger="conversation_data_changed", trigger_options={"key": "x"})
    services.conversation_add_tag(conversation=conversation, name="Temp", acting=as_teammate)
    services.conversation_remove_tag(conversation=conversation, name="Temp", acting=as_teammate)
    services.conversation_set_priority(conversation=conversation, priority=True, acting=as_teammate)
    services.conversation_set_data(
        conversation=conversation, key="order", value="A-1", acting=as_teammate
    )

    process(conversation)

    names = sorted(run.workflow.name for run in runs_of(conversation))
    assert names == ["Order set", "Prioritised", "Untagged"]


def test_the_customer_writing_in_a_closed_conversation_through_the_messenger_reopens_it(
    client, contact, conversation, as_teammate
):
    make_workflow("Welcome back", trigger="customer_reopened", frequency="every_time",
                  steps=[{"type": "send_message", "body": "Welcome back!"}])  # fmt: skip
    services.conversation_close(conversation=conversation, acting=as_teammate)
    process(conversation)
    assert (
        client.get(reverse("messenger:home"), {"token": contact.messenger_token}).status_code == 302
    )

    response = client.post(
        reverse("messenger:conversation", args=[conversation.pk]), {"body": "It broke again"}
    )

    assert response.status_code == 302
    process(conversation)
    conversation.refresh_from_db()
    assert conversation.state == "open"
    assert [run.workflow.name for run in runs_of(conversation)] == ["Welcome back"]
    assert conversation.parts.filter(part_type="bot_message", body="Welcome back!").exists()


def test_a_snoozed_conversation_the_customer_wakes_is_no_reopening(conversation, as_teammate):
    make_workflow("Welcome back", trigger="customer_reopened")
    services.conversation_snooze(
        conversation=conversation, until=timezone.now() + timedelta(days=1), acting=as_teammate
    )
    services.conversation_customer_message(conversation=conversation, body="Still there?")

    process(conversation)

    assert runs_of(conversation).count() == 0


def test_a_custom_event_posted_through_the_api_starts_its_workflow_with_event_rules(
    admin_api, admin_user, conversation
):
    make_workflow(
        "Big refund",
        trigger="custom_event",
        trigger_options={"name": "order_refunded"},
        audience={"match": "all", "rules": [
            {"attribute": "event.metadata.amount", "operator": "gt", "value": 100},
        ]},
        steps=[{"type": "add_tag", "tag": "Refund"}],
    )  # fmt: skip
    make_workflow("Paid", trigger="custom_event", trigger_options={"name": "order_paid"})
    process(conversation)

    small = admin_api.post(
        events_url(conversation),
        {"name": "order_refunded", "metadata": {"amount": 20}},
        format="json",
    )
    process(conversation)
    assert small.status_code == 201
    assert tag_names(conversation) == []
    big = admin_api.post(
        events_url(conversation),
        {"name": "order_refunded", "metadata": {"amount": 250, "order": "A-7"}},
        format="json",
    )
    process(conversation)

    assert big.status_code == 201
    assert big.json()["part_type"] == "custom_event"
    assert big.json()["details"] == {
        "name": "order_refunded",
        "metadata": {"amount": 250, "order": "A-7"},
    }
    assert tag_names(conversation) == ["Refund"]
    event = Event.objects.filter(event_type=EventType.CUSTOM_EVENT).last()
    assert event.payload["metadata"] == {"amount": 250, "order": "A-7"}
    assert (event.actor_type, event.actor_id) == ("teammate", admin_user.pk)


def test_a_teammate_may_post_a_custom_event_a_contact_may_not(teammate_api, contact, conversation):
    assert (
        teammate_api.post(
            events_url(conversation), {"name": "call_booked"}, format="json"
        ).status_code
        == 201
    )
    contact_api = client_with(f"Token {contact.messenger_token}")

    response = contact_api.post(events_url(conversation), {"name": "call_booked"}, format="json")

    assert response.status_code == 403
    assert conversation.events.filter(event_type=EventType.CUSTOM_EVENT).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({}, "name"),
        ({"name": "ok", "metadata": [1, 2]}, "metadata"),
        ({"name": "ok", "metadata": {"nested": {"a": 1}}}, "metadata.nested"),
        ({"name": "ok", "metadata": {"text": "y" * 1001}}, "metadata.text"),
        ({"name": "ok", "metadata": {"bad key": 1}}, "metadata"),
        ({"name": "ok", "metadata": {f"k{n}": n for n in range(21)}}, "metadata"),
        ({"name": "ok", "colour": "red"}, "colour"),
    ],
)
def test_custom_event_input_is_bounded_and_the_field_is_named(admin_api, conversation, body, field):
    response = admin_api.post(events_url(conversation), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not conversation.events.filter(event_type=EventType.CUSTOM_EVENT).exists()


def test_a_workflow_caused_tag_added_chain_stops_at_the_limit_with_the_reason_logged(
    conversation, as_teammate
):
    for listens, adds in (("a", "b"), ("b", "c"), ("c", "d"), ("d", "e")):
        make_workflow(f"After {listens}", trigger="tag_added", trigger_options={"tag": listens},
                      steps=[{"type": "add_tag", "tag": adds}])  # fmt: skip
    services.conversation_add_tag(conversation=conversation, name="a", acting=as_teammate)

    process(conversation)

    assert tag_names(conversation) == ["a", "b", "c", "d"]
    assert runs_of(conversation).count() == MAX_WORKFLOW_CHAIN_DEPTH
    cut = WorkflowLog.objects.get(conversation=conversation, kind=WorkflowLog.Kind.CHAIN_CUT)
    assert cut.details == {"depth": 3, "limit": 3}
    assert cut.message == "No workflow started: 3 workflow changes in a row (the limit is 3)"


def test_a_time_rule_reads_how_long_the_customer_has_waited(as_teammate):
    make_workflow("Long wait", trigger="priority_changed", frequency="every_time",
                  audience={"match": "all", "rules": [
                      {"attribute": "conversation.waiting_since", "operator": "more_than_ago",
                       "value": "2h"}]})  # fmt: skip
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        conversation = services.conversation_open(contact=ContactFactory(), body="Help")
        process(conversation)
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        services.conversation_set_priority(
            conversation=conversation, priority=True, acting=as_teammate
        )
        process(conversation)
        assert runs_of(conversation).count() == 0
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        services.conversation_set_priority(
            conversation=conversation, priority=False, acting=as_teammate
        )
        process(conversation)
        assert runs_of(conversation).count() == 1


def test_a_teammate_reply_sets_the_last_teammate_reply_a_rule_reads(conversation, teammate):
    make_workflow("Replied lately", trigger="priority_changed",
                  audience={"match": "all", "rules": [
                      {"attribute": "conversation.last_teammate_reply_at",
                       "operator": "less_than_ago", "value": "1h"}]})  # fmt: skip
    services.conversation_teammate_reply(conversation=conversation, teammate=teammate, body="On it")
    services.conversation_set_priority(
        conversation=conversation, priority=True, acting=Actor.teammate(teammate)
    )

    process(conversation)

    assert runs_of(conversation).count() == 1
