"""Each step type, run by the orchestrator on a real conversation."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation
from tests.factories import ContactFactory, TeamFactory, TeammateFactory
from tests.workflows.helpers import make_workflow, process, runs_of, tag_names
from workflows.models import WorkflowLog, WorkflowRun

pytestmark = pytest.mark.django_db

Status = WorkflowRun.Status


def open_conversation(body="Hello", **contact_fields):
    conversation = services.conversation_open(contact=ContactFactory(**contact_fields), body=body)
    process(conversation)
    conversation.refresh_from_db()
    return conversation


def say(conversation, body):
    services.conversation_customer_message(conversation=conversation, body=body)
    process(conversation)
    conversation.refresh_from_db()


def bot_messages(conversation):
    return list(conversation.parts.filter(part_type="bot_message").values_list("body", flat=True))


def rule(attribute, operator, value=None):
    return {
        "match": "all",
        "rules": [{"attribute": attribute, "operator": operator, "value": value}],
    }


def test_it_runs_the_first_matching_branch_else_the_else_path():
    make_workflow(
        "Branchy",
        trigger="customer_first_message",
        steps=[
            {
                "type": "branches",
                "branches": [
                    {"when": rule("message.body", "contains", "refund"), "steps": [{"type": "add_tag", "tag": "Refund"}]},
                    {"when": rule("message.body", "contains", "money"), "steps": [{"type": "add_tag", "tag": "Money"}]},
                ],
                "else": [{"type": "add_tag", "tag": "Other"}],
            },
            {"type": "add_tag", "tag": "Seen"},
        ],
    )  # fmt: skip

    assert tag_names(open_conversation("refund my money")) == ["Refund", "Seen"]
    assert tag_names(open_conversation("show me the money")) == ["Money", "Seen"]
    assert tag_names(open_conversation("hello")) == ["Other", "Seen"]


def test_a_branch_sees_the_changes_made_by_earlier_steps():
    make_workflow(
        "Sees tags",
        steps=[
            {"type": "add_tag", "tag": "VIP"},
            {"type": "branches", "branches": [
                {"when": rule("conversation.tags", "contains", "vip"), "steps": [{"type": "set_priority", "priority": True}]}
            ], "else": []},
        ],
    )  # fmt: skip

    assert open_conversation().priority is True


def test_reply_buttons_wait_for_the_choice_and_follow_its_path():
    make_workflow(
        "Greeting",
        trigger="customer_opened_conversation",
        steps=[
            {"type": "reply_buttons", "body": "How can we help?", "buttons": [
                {"label": "Sales", "steps": [{"type": "add_tag", "tag": "Sales"}]},
                {"label": "Support", "steps": [{"type": "add_tag", "tag": "Support"}]},
            ]},
            {"type": "send_message", "body": "Thanks, a teammate will be with you."},
        ],
    )  # fmt: skip
    conversation = services.conversation_open(contact=ContactFactory())
    process(conversation)
    run = runs_of(conversation).get()
    assert (run.status, run.waiting_for) == (Status.WAITING, "reply_buttons")
    assert conversation.parts.get(part_type="bot_message").details == {
        "buttons": ["Sales", "Support"]
    }

    say(conversation, "something else")
    assert runs_of(conversation).get().status == Status.WAITING  # not a button: still waiting

    say(conversation, "support")

    run.refresh_from_db()
    assert run.status == Status.COMPLETED
    assert tag_names(conversation) == ["Support"]
    assert bot_messages(conversation)[-1] == "Thanks, a teammate will be with you."
    assert conversation.in_bot_inbox is False


def test_collect_data_stores_the_answer_on_the_contact_and_asks_again_when_invalid():
    make_workflow(
        "Ask email",
        trigger="customer_first_message",
        steps=[
            {"type": "collect_data", "body": "What is your email?", "attribute": "email"},
            {"type": "send_message", "body": "Got it!"},
        ],
    )
    conversation = open_conversation(email="")

    say(conversation, "not an email")
    assert "does not look like an email" in bot_messages(conversation)[-1]
    assert runs_of(conversation).get().status == Status.WAITING

    say(conversation, "maya@example.com")

    conversation.contact.refresh_from_db()
    assert conversation.contact.email == "maya@example.com"
    assert bot_messages(conversation)[-1] == "Got it!"
    assert runs_of(conversation).get().status == Status.COMPLETED


def test_collect_data_can_store_a_custom_attribute():
    make_workflow(
        "Ask size",
        trigger="customer_first_message",
        steps=[{"type": "collect_data", "body": "Team size?", "attribute": "custom.team_size"}],
    )
    conversation = open_conversation()

    say(conversation, "12")

    conversation.contact.refresh_from_db()
    assert conversation.contact.custom_attributes["team_size"] == "12"


def test_wait_pauses_the_run_until_its_timer_and_continues_after_it():
    make_workflow(
        "Close later",
        trigger="customer_first_message",
        steps=[{"type": "wait", "duration": "2h"}, {"type": "close"}],
    )
    conversation = open_conversation()
    run = runs_of(conversation).get()
    assert (run.status, run.waiting_for) == (Status.WAITING, "timer")

    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        process(conversation)
    assert Conversation.objects.get(pk=conversation.pk).state == Conversation.State.OPEN

    with time_machine.travel(timezone.now() + timedelta(hours=2, seconds=1)):
        process(conversation)
        process(conversation)  # a second delivery of the timer changes nothing

    run.refresh_from_db()
    assert run.status == Status.COMPLETED
    assert Conversation.objects.get(pk=conversation.pk).state == Conversation.State.CLOSED
    assert conversation.parts.filter(part_type="closed").count() == 1


def test_a_wait_until_the_customer_replies_ends_early_on_a_reply():
    make_workflow(
        "Nudge",
        trigger="customer_first_message",
        steps=[
            {"type": "wait", "duration": "1d", "until_reply": "customer"},
            {"type": "add_tag", "tag": "Replied or waited"},
        ],
    )
    conversation = open_conversation()

    say(conversation, "Me again")

    assert tag_names(conversation) == ["Replied or waited"]


def test_run_workflow_continues_in_a_reusable_workflow_then_comes_back():
    make_workflow(
        "Shared tagging",
        trigger="reusable",
        status="live",
        steps=[{"type": "add_tag", "tag": "Shared"}],
    )
    make_workflow(
        "Caller",
        steps=[
            {"type": "run_workflow", "workflow": "Shared tagging"},
            {"type": "add_tag", "tag": "After"},
        ],
    )

    conversation = open_conversation()

    assert tag_names(conversation) == ["After", "Shared"]
    parts = conversation.parts.filter(part_type="tag_added").order_by("id")
    assert [p.details["tag"] for p in parts] == ["Shared", "After"]


def test_a_customer_facing_snooze_keeps_the_run_waiting_until_the_conversation_unsnoozes():
    make_workflow(
        "Snooze then ask",
        trigger="customer_first_message",
        steps=[
            {"type": "send_message", "body": "We'll get back to you tomorrow"},
            {"type": "snooze", "duration": "1h"},
            {"type": "send_message", "body": "Good morning!"},
        ],
    )
    conversation = open_conversation()
    assert conversation.state == Conversation.State.SNOOZED
    assert runs_of(conversation).get().waiting_for == "unsnooze"

    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        services.conversation_wake_if_due(conversation=conversation)
        process(conversation)

    assert bot_messages(conversation)[-1] == "Good morning!"
    assert runs_of(conversation).get().status == Status.COMPLETED


def test_handover_leaves_the_bot_inbox_and_assigns(support_team):
    make_workflow(
        "Hand over",
        trigger="customer_first_message",
        steps=[
            {"type": "send_message", "body": "Connecting you"},
            {"type": "handover", "team": "Support"},
        ],
    )

    conversation = open_conversation()

    assert conversation.in_bot_inbox is False
    assert conversation.team == support_team


def test_balanced_assigns_the_available_teammate_with_the_fewest_open_conversations(teammate):
    busy, free = teammate, TeammateFactory(username="zed")
    away = TeammateFactory(username="amy", is_away=True)
    TeamFactory(name="Tier 2", members=[busy, free, away])
    services.conversation_assign(
        conversation=services.conversation_open(contact=ContactFactory()),
        assignee=busy,
        acting=Actor.system(),
    )
    make_workflow("Spread", steps=[{"type": "assign", "team": "Tier 2", "method": "balanced"}])

    conversation = open_conversation()

    assert conversation.assignee == free
    assert conversation.team.name == "Tier 2"
    assert conversation.assignment_queued is False


def test_round_robin_true_still_means_a_rotation_whatever_the_loads(teammate):
    first, second = teammate, TeammateFactory(username="zed")
    TeamFactory(name="Tier 2", members=[first, second])
    for _ in range(3):  # loads that balanced would follow: first has three open
        services.conversation_assign(
            conversation=services.conversation_open(contact=ContactFactory()),
            assignee=first,
            acting=Actor.system(),
        )
    make_workflow("Spread", steps=[{"type": "assign", "team": "Tier 2", "round_robin": True}])

    assignees = [open_conversation().assignee for _ in range(4)]

    in_order = sorted([first, second], key=lambda member: member.pk)
    assert assignees == in_order * 2


def test_a_team_with_nobody_available_queues_the_conversation(teammate):
    TeamFactory(name="Tier 2", members=[TeammateFactory(username="amy", is_away=True)])
    make_workflow("Spread", steps=[{"type": "assign", "team": "Tier 2", "method": "balanced"}])

    conversation = open_conversation()

    assert conversation.assignee is None
    assert conversation.team.name == "Tier 2"
    assert conversation.assignment_queued is True


def test_a_step_that_cannot_be_carried_out_fails_the_run_with_its_reason(support_team):
    workflow = make_workflow(
        "Route", steps=[{"type": "assign", "team": "Support"}, {"type": "close"}]
    )
    support_team.delete()

    conversation = open_conversation()

    run = runs_of(conversation, workflow).get()
    assert run.status == Status.FAILED
    assert run.end_reason == 'Failed: step 1 (Assign): no team named "Support"'
    assert conversation.state == Conversation.State.OPEN
    assert WorkflowLog.objects.filter(run=run, kind="failed").exists()


def test_background_steps_add_note_set_data_reopen_unassign_and_remove_tag(teammate):
    make_workflow(
        "Many",
        trigger="teammate_replied",
        steps=[
            {"type": "add_note", "body": "Auto note"},
            {"type": "set_data", "key": "stage", "value": "replied"},
            {"type": "remove_tag", "tag": "Waiting"},
            {"type": "unassign"},
            {"type": "snooze", "duration": "2h"},
            {"type": "reopen"},
        ],
    )
    conversation = open_conversation()
    services.conversation_add_tag(conversation=conversation, name="Waiting", acting=Actor.system())
    services.conversation_assign(
        conversation=conversation, assignee=teammate, acting=Actor.system()
    )

    services.conversation_teammate_reply(conversation=conversation, teammate=teammate, body="Hi")
    process(conversation)

    conversation.refresh_from_db()
    assert conversation.parts.filter(part_type="note", body="Auto note").exists()
    assert conversation.custom_attributes == {"stage": "replied"}
    assert tag_names(conversation) == []
    assert conversation.assignee is None
    assert conversation.state == Conversation.State.OPEN


def test_an_assignment_held_back_behind_the_bot_keeps_its_method(teammate):
    member = TeammateFactory(username="zed")
    TeamFactory(name="Billing", members=[member])
    make_workflow(
        "Ask first",
        trigger="customer_first_message",
        steps=[{"type": "reply_buttons", "body": "Sales or support?", "buttons": [
            {"label": "Sales", "steps": []}, {"label": "Support", "steps": []},
        ]}],
    )  # fmt: skip
    make_workflow(
        "Route",
        trigger="customer_first_message",
        steps=[{"type": "assign", "team": "Billing", "method": "balanced"}],
    )
    conversation = open_conversation()
    assert (conversation.in_bot_inbox, conversation.team) == (True, None)

    say(conversation, "Support")

    assert conversation.in_bot_inbox is False
    assert (conversation.assignee, conversation.team.name) == (member, "Billing")
