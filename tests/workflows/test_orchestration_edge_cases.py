"""Edge cases of orchestration: timers, edits, deletes, depth, answers.

Each section names the behaviour it guards; the comments say what the code does now.
"""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from conversations import services
from conversations.actors import Actor
from conversations.models import Event
from tests.factories import ContactFactory, TeamFactory
from tests.workflows.helpers import make_workflow, process, runs_of, tag_names
from workflows.engine.errors import DefinitionError
from workflows.models import Workflow, WorkflowRun
from workflows.services import workflow_archive, workflow_update

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


def later(**delta):
    return time_machine.travel(timezone.now() + timedelta(**delta))


def rule(attribute, operator, value=None):
    return {
        "match": "all",
        "rules": [{"attribute": attribute, "operator": operator, "value": value}],
    }


def pending_events(conversation):
    return Event.objects.filter(conversation=conversation, processed_at__isnull=True)


def bot_messages(conversation):
    return list(conversation.parts.filter(part_type="bot_message").values_list("body", flat=True))


# --- 1. events written by a run its timer resumed are handled in the same go ------------


def test_events_made_by_a_run_resumed_by_its_timer_are_processed_in_the_same_go(teammate):
    make_workflow(
        "Assign later",
        trigger="customer_first_message",
        steps=[{"type": "wait", "duration": "1m"}, {"type": "assign", "teammate": "ben"}],
    )
    on_assigned = make_workflow("On assigned", trigger="conversation_assigned")
    conversation = open_conversation()

    with later(minutes=2):
        process(conversation)

    conversation.refresh_from_db()
    assert conversation.assignee == teammate
    # The "assigned" event the resumed run wrote is processed before the task ends (no
    # event is left for the redispatch sweep), and it starts "On assigned".
    assert pending_events(conversation).count() == 0
    assert runs_of(conversation, on_assigned).exists()


# --- 2. a workflow published again while a run waits: the run finishes on its version ---


def test_a_run_waiting_in_a_branch_resumes_on_its_version_after_a_new_one_is_published():
    workflow = make_workflow(
        "Branch then wait",
        trigger="customer_first_message",
        steps=[
            {"type": "branches", "branches": [
                {"when": rule("message.body", "contains", "hello"), "steps": [
                    {"type": "wait", "duration": "1m"},
                    {"type": "add_tag", "tag": "after wait"},
                ]},
            ], "else": []},
        ],
    )  # fmt: skip
    conversation = open_conversation("hello there")
    assert runs_of(conversation).get().status == Status.WAITING

    document = workflow.document()
    document["steps"] = [{"type": "add_tag", "tag": "flat"}]
    assert workflow_update(workflow=workflow, document=document).version == 2

    with later(minutes=2):
        process(conversation)

    run = runs_of(conversation).get()
    # Version 1's steps after the wait ran; version 2's did not.
    assert (run.status, run.version) == (Status.COMPLETED, 1)
    assert tag_names(conversation) == ["after wait"]
    assert pending_events(conversation).count() == 0


def test_a_run_asking_with_buttons_takes_the_button_of_its_version_after_a_new_one():
    workflow = make_workflow(
        "Ask",
        trigger="customer_first_message",
        steps=[{"type": "reply_buttons", "body": "Which?", "buttons": [
            {"label": "Sales", "steps": [{"type": "add_tag", "tag": "Sales"}]},
            {"label": "Support", "steps": [{"type": "add_tag", "tag": "Support"}]},
        ]}],
    )  # fmt: skip
    conversation = open_conversation()
    document = workflow.document()
    document["steps"] = [{"type": "send_message", "body": "Hi"}]
    workflow_update(workflow=workflow, document=document)

    services.conversation_customer_message(conversation=conversation, body="Support")
    process(conversation)

    run = runs_of(conversation).get()
    assert (run.status, run.version) == (Status.COMPLETED, 1)
    assert tag_names(conversation) == ["Support"]
    # A conversation opened now runs version 2.
    other = open_conversation()
    assert runs_of(other).get().version == 2
    assert bot_messages(other) == ["Hi"]
    assert pending_events(conversation).count() == 0


# --- 3. deleting a customer-facing workflow with an active run releases the bot inbox ---


def test_deleting_a_customer_facing_workflow_with_an_active_run_releases_the_bot_inbox(
    support_team,
):
    asking = make_workflow(
        "Ask first",
        trigger="customer_first_message",
        steps=[{"type": "reply_buttons", "body": "Sales or support?", "buttons": [
            {"label": "Sales", "steps": []}, {"label": "Support", "steps": []},
        ]}],
    )  # fmt: skip
    make_workflow(
        "Route",
        trigger="customer_any_message",
        frequency="every_time",
        steps=[{"type": "assign", "team": "Support"}],
    )
    conversation = open_conversation()
    assert conversation.in_bot_inbox is True
    assert conversation.team is None  # deferred behind the bot

    workflow_archive(workflow=asking)
    say(conversation, "anyone there?")

    # The archived workflow's run ends, the conversation leaves the bot inbox and the
    # background assignment is no longer deferred.
    assert conversation.in_bot_inbox is False
    assert conversation.team == support_team


# --- 4. targeting is re-checked when a wait ends early on a reply (§6.4) -----------------


def test_a_customer_facing_run_resumed_by_a_reply_is_interrupted_when_targeting_no_longer_matches(
    as_teammate,
):
    make_workflow(
        "Nudge unless human",
        trigger="customer_first_message",
        audience=rule("conversation.tags", "not_contains", "human"),
        steps=[
            {"type": "send_message", "body": "A bot will help"},
            {"type": "wait", "duration": "1h", "until_reply": "customer"},
            {"type": "send_message", "body": "Still there?"},
        ],
    )
    conversation = open_conversation()
    services.conversation_add_tag(conversation=conversation, name="human", acting=as_teammate)
    process(conversation)

    say(conversation, "hello?")

    # Ending the wait early on a reply re-checks targeting, as the timer would: the tag
    # "human" no longer matches, so the run is interrupted and the bot stays silent.
    assert "Still there?" not in bot_messages(conversation)
    assert runs_of(conversation).get().status == Status.INTERRUPTED


# --- 5. a message.body audience does not fail when a wait's timer resumes ---------------


def test_a_customer_facing_run_targeted_on_the_message_survives_its_own_wait():
    make_workflow(
        "Refunds",
        trigger="customer_first_message",
        audience=rule("message.body", "contains", "refund"),
        steps=[
            {"type": "send_message", "body": "Sorry to hear that"},
            {"type": "wait", "duration": "5m"},
            {"type": "send_message", "body": "Did you get the refund form?"},
        ],
    )
    conversation = open_conversation("I want a refund")

    with later(minutes=6):
        process(conversation)

    # At timer time there is no triggering message: the re-check reads message rules
    # against the message that started the run, so "contains refund" still matches and
    # the run completes.
    run = runs_of(conversation).get()
    assert run.status == Status.COMPLETED, run.end_reason
    assert bot_messages(conversation)[-1] == "Did you get the refund form?"


# --- 6. a chain through waits is cut at the fixed depth (§6.7) -------------------------


def test_a_chain_of_workflow_assignments_through_waits_is_cut_at_the_fixed_depth(
    teammate, outsider
):
    make_workflow(
        "Ping pong",
        trigger="conversation_assigned",
        frequency="every_time",
        steps=[
            {"type": "wait", "duration": "1m"},
            {"type": "branches", "branches": [
                {"when": rule("conversation.assignee", "is", "ben"),
                 "steps": [{"type": "assign", "teammate": "carl"}]},
            ], "else": [{"type": "assign", "teammate": "ben"}]},
        ],
    )  # fmt: skip
    conversation = open_conversation()
    services.conversation_assign(
        conversation=conversation, assignee=teammate, acting=Actor.teammate(teammate)
    )
    process(conversation)

    start = timezone.now()
    for minute in range(1, 11):
        with time_machine.travel(start + timedelta(minutes=minute, seconds=1)):
            process(conversation)

    # A run resumed by its timer acts at its run's chain depth, so the chain of
    # workflow-caused assignments is cut after a few runs instead of going on forever.
    assert runs_of(conversation).count() <= 4


# --- 7. the customer-facing flag follows a reusable workflow at any depth ----------------


def test_a_caller_becomes_customer_facing_when_a_nested_reusable_workflow_does():
    inner = make_workflow("Inner", trigger="reusable", steps=[{"type": "add_tag", "tag": "x"}])
    make_workflow(
        "Middle", trigger="reusable", steps=[{"type": "run_workflow", "workflow": "Inner"}]
    )
    caller = make_workflow("Caller", steps=[{"type": "run_workflow", "workflow": "Middle"}])
    assert caller.is_background

    document = inner.document()
    document["steps"] = [{"type": "send_message", "body": "Hi from the bot"}]
    workflow_update(workflow=inner, document=document)

    assert Workflow.objects.get(name="Middle").is_background is False
    # Every caller is recomputed to a fixed point: Caller runs Middle, which runs Inner,
    # so Caller is customer-facing too.
    assert Workflow.objects.get(pk=caller.pk).is_background is False


# --- 8. renaming a reusable workflow that others run is refused -------------------------


def test_renaming_a_reusable_workflow_that_is_run_elsewhere_is_refused():
    shared = make_workflow("Shared", trigger="reusable", steps=[{"type": "add_tag", "tag": "x"}])
    make_workflow("Caller", steps=[{"type": "run_workflow", "workflow": "Shared"}])

    document = shared.document()
    document["name"] = "Shared v2"
    with pytest.raises(DefinitionError) as refused:
        workflow_update(workflow=shared, document=document)

    assert refused.value.errors == {
        "name": ["Run by Caller: change those run_workflow steps first."]
    }
    shared.refresh_from_db()
    assert shared.name == "Shared"
    # The caller still runs it.
    conversation = open_conversation()
    assert runs_of(conversation).get().status == Status.COMPLETED
    assert tag_names(conversation) == ["x"]


# --- 9. a message written before the question is not taken as its answer --------------


def test_a_question_asked_on_open_is_not_answered_by_the_first_message_sent_with_the_open():
    make_workflow(
        "Ask the name",
        trigger="customer_opened_conversation",
        steps=[
            {"type": "collect_data", "body": "What is your name?", "attribute": "name"},
            {"type": "send_message", "body": "Thanks!"},
        ],
    )
    # The Messenger (and POST /api/conversations/ with a body) opens and sends the first
    # message in one go: events conversation_opened, then customer_message.
    contact = ContactFactory(name="Maya Okafor")
    conversation = services.conversation_open(contact=contact, body="My invoice is wrong")
    process(conversation)

    contact.refresh_from_db()
    # The question is asked while handling conversation_opened; the customer_message
    # written before it is not its answer: the contact keeps its name and the run waits.
    assert contact.name == "Maya Okafor"
    assert runs_of(conversation).get().waiting_for == "collect_data"


def test_a_wait_until_the_customer_replies_on_open_is_not_ended_by_the_message_sent_with_the_open():
    make_workflow(
        "Greet and wait",
        trigger="customer_opened_conversation",
        steps=[
            {"type": "send_message", "body": "Hi! Ask us anything."},
            {"type": "wait", "duration": "1h", "until_reply": "customer"},
            {"type": "send_message", "body": "Still there?"},
        ],
    )
    conversation = open_conversation("Hello")

    assert "Still there?" not in bot_messages(conversation)
    assert runs_of(conversation).get().status == Status.WAITING


# --- 10. the cursor through reusable > apply_rules > branch, button choice and wait -----
# (guards the cursor arithmetic of nested frames)


def test_guard_reply_buttons_in_a_reusable_inside_apply_rules_inside_a_branch_resume_in_order():
    make_workflow(
        "Menu",
        trigger="reusable",
        steps=[
            {
                "type": "reply_buttons",
                "body": "Pick",
                "buttons": [
                    {
                        "label": "A",
                        "steps": [
                            {"type": "add_tag", "tag": "A"},
                            {"type": "wait", "duration": "1m"},
                            {"type": "add_tag", "tag": "A2"},
                        ],
                    },
                    {"label": "B", "steps": [{"type": "add_tag", "tag": "B"}]},
                ],
            },
            {"type": "add_tag", "tag": "after menu"},
        ],
    )
    make_workflow(
        "Main",
        trigger="customer_first_message",
        steps=[
            {
                "type": "branches",
                "branches": [
                    {
                        "when": rule("message.body", "contains", "hi"),
                        "steps": [
                            {
                                "type": "apply_rules",
                                "rules": [
                                    {
                                        "when": rule("message.body", "contains", "hi"),
                                        "steps": [
                                            {"type": "run_workflow", "workflow": "Menu"},
                                            {"type": "add_tag", "tag": "e1"},
                                        ],
                                    },
                                    {
                                        "when": rule("message.body", "contains", "h"),
                                        "steps": [{"type": "add_tag", "tag": "e2"}],
                                    },
                                ],
                            },
                            {"type": "add_tag", "tag": "after rules"},
                        ],
                    },
                ],
                "else": [],
            },
            {"type": "add_tag", "tag": "end"},
        ],
    )
    conversation = open_conversation("hi")
    say(conversation, "a")
    assert tag_names(conversation) == ["A"]
    with later(minutes=2):
        process(conversation)
    assert tag_names(conversation) == sorted(
        ["A", "A2", "after menu", "e1", "e2", "after rules", "end"]
    )
    assert runs_of(conversation).get().status == Status.COMPLETED


# --- 11. deferred background assignments do not override later, explicit routing -------
# A teammate's assignment interrupts the bot (§6.4) and drops the held-back "assign
# Support"; a handover applies held-back assignments first, then its own target, which wins.


def test_a_deferred_assignment_does_not_override_the_teammate_assignment_that_interrupted_the_bot(
    support_team, outsider
):
    make_workflow(
        "Ask first",
        trigger="customer_first_message",
        steps=[{"type": "reply_buttons", "body": "?", "buttons": [{"label": "x", "steps": []}]}],
    )
    make_workflow(
        "Route", trigger="customer_first_message", steps=[{"type": "assign", "team": "Support"}]
    )
    conversation = open_conversation()
    other = TeamFactory(name="Billing", members=[outsider])
    services.conversation_assign(
        conversation=conversation, assignee=outsider, team=other, acting=Actor.teammate(outsider)
    )
    process(conversation)
    conversation.refresh_from_db()
    assert conversation.team == other


def test_a_deferred_assignment_does_not_override_the_handover_target(support_team, outsider):
    other = TeamFactory(name="Billing", members=[outsider])
    make_workflow(
        "Bot",
        trigger="customer_first_message",
        steps=[
            {"type": "send_message", "body": "hi"},
            {"type": "wait", "duration": "1m"},
            {"type": "handover", "team": "Billing"},
        ],
    )
    make_workflow(
        "Route", trigger="customer_first_message", steps=[{"type": "assign", "team": "Support"}]
    )
    conversation = open_conversation()
    with later(minutes=2):
        process(conversation)
    conversation.refresh_from_db()
    assert conversation.team == other
