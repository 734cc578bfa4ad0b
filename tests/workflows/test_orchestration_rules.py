"""DESIGN.md §6, one test per orchestration rule, and the seed article's scenarios."""

from datetime import timedelta

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation, EventType
from tests.factories import ContactFactory, SlaPolicyFactory, TeamFactory
from tests.workflows.helpers import make_workflow, process, runs_of, skips_of, tag_names
from workflows.engine.planner import MAX_WORKFLOW_CHAIN_DEPTH
from workflows.log_words import skip_entry_reason
from workflows.models import WorkflowLog, WorkflowRun

pytestmark = pytest.mark.django_db

PRO_OVER_500 = {
    "match": "all",
    "rules": [
        {"attribute": "contact.plan", "operator": "is", "value": "Pro"},
        {"attribute": "contact.monthly_spend", "operator": "gt", "value": 500},
    ],
}
SNOOZE_A_DAY = [
    {"type": "send_message", "body": "We'll be back"},
    {"type": "snooze", "duration": "1d"},
]


def open_conversation(body="Hello", **contact_fields):
    contact = ContactFactory(**contact_fields)
    conversation = services.conversation_open(contact=contact, body=body)
    process(conversation)
    conversation.refresh_from_db()
    return conversation


def refreshed(conversation):
    return Conversation.objects.get(pk=conversation.pk)


# --- the seed article's scenarios ---------------------------------------------------


def test_seed_a_targeting_pro_plan_and_monthly_spend_over_500_starts_the_workflow():
    make_workflow("Route Pro", trigger="customer_first_message", audience=PRO_OVER_500)

    matching = open_conversation(plan="Pro", monthly_spend=600)
    cheap = open_conversation(plan="Pro", monthly_spend=500)
    free = open_conversation(plan="Free", monthly_spend=900)

    assert tag_names(matching) == ["Route Pro"]
    assert tag_names(cheap) == []
    assert tag_names(free) == []


def test_seed_b_apply_rules_runs_every_matching_entry_in_order(support_team):
    SlaPolicyFactory(name="Premium Support")
    make_workflow(
        "Support routing",
        trigger="customer_first_message",
        steps=[
            {
                "type": "apply_rules",
                "rules": [
                    {
                        "when": {"match": "all", "rules": [
                            {"attribute": "contact.plan", "operator": "is", "value": "Premium"}
                        ]},
                        "steps": [{"type": "apply_sla", "sla": "Premium Support"}],
                    },
                    {
                        "when": {"match": "all", "rules": [
                            {"attribute": "message.body", "operator": "contains", "value": "project"}
                        ]},
                        "steps": [{"type": "add_tag", "tag": "Projects"}],
                    },
                ],
            },
            {"type": "assign", "team": "Support"},
        ],
    )  # fmt: skip

    both = open_conversation(body="A new PROJECT for us", plan="Premium")
    premium_only = open_conversation(body="Hi", plan="Premium")
    project_only = open_conversation(body="project question", plan="Free")

    assert (both.sla_policy.name, tag_names(both), both.team) == (
        "Premium Support",
        ["Projects"],
        support_team,
    )
    assert (premium_only.sla_policy.name, tag_names(premium_only)) == ("Premium Support", [])
    assert (project_only.sla_policy, tag_names(project_only)) == (None, ["Projects"])


def test_seed_c_a_customer_facing_run_active_at_the_close_keeps_b_from_starting(as_teammate):
    workflow_a = make_workflow("A snoozes", trigger="customer_first_message", steps=SNOOZE_A_DAY)
    workflow_b = make_workflow(
        "B on close",
        trigger="teammate_changed_state",
        trigger_options={"state": "closed"},
        frequency="every_time",
        steps=[{"type": "send_message", "body": "How did we do?"}],
    )
    conversation = open_conversation()
    [run_a] = runs_of(conversation, workflow_a)
    assert (run_a.status, run_a.waiting_for) == (WorkflowRun.Status.WAITING, "unsnooze")
    assert refreshed(conversation).state == Conversation.State.SNOOZED

    services.conversation_close(conversation=conversation, acting=as_teammate)
    process(conversation)

    run_a.refresh_from_db()
    assert run_a.status == WorkflowRun.Status.INTERRUPTED
    assert "Ben closed the conversation" in run_a.end_reason
    assert not runs_of(conversation, workflow_b).exists()
    assert skips_of(conversation, workflow_b) == [
        'Did not start: another customer-facing workflow, "A snoozes", was active'
    ]

    # After the interruption, a later close does start B.
    services.conversation_reopen(conversation=conversation, acting=as_teammate)
    services.conversation_close(conversation=conversation, acting=as_teammate)
    process(conversation)
    assert runs_of(conversation, workflow_b).get().status == WorkflowRun.Status.COMPLETED


def test_seed_d_both_background_workflows_run_but_one_customer_facing(contact):
    tag_one = make_workflow("Tag one", steps=[{"type": "add_tag", "tag": "one"}])
    tag_two = make_workflow("Tag two", steps=[{"type": "add_tag", "tag": "two"}])
    greet_first = make_workflow("Greet first", steps=[{"type": "send_message", "body": "Hi 1"}])
    greet_second = make_workflow("Greet second", steps=[{"type": "send_message", "body": "Hi 2"}])

    conversation = open_conversation()

    assert tag_names(conversation) == ["one", "two"]
    assert runs_of(conversation, tag_one).exists() and runs_of(conversation, tag_two).exists()
    assert runs_of(conversation, greet_first).exists()
    assert not runs_of(conversation, greet_second).exists()
    assert skips_of(conversation, greet_second) == [
        'Did not start: lower priority than "Greet first", which started'
    ]
    bot_messages = conversation.parts.filter(part_type="bot_message")
    assert list(bot_messages.values_list("body", flat=True)) == ["Hi 1"]


def test_seed_e_a_background_assignment_waits_for_the_customer_facing_run(support_team):
    make_workflow(
        "Ask first",
        trigger="customer_first_message",
        steps=[{"type": "reply_buttons", "body": "Sales or support?", "buttons": [
            {"label": "Sales", "steps": []}, {"label": "Support", "steps": []}
        ]}],
    )  # fmt: skip
    make_workflow(
        "Route", trigger="customer_first_message", steps=[{"type": "assign", "team": "Support"}]
    )

    conversation = open_conversation()

    assert conversation.team is None
    assert conversation.in_bot_inbox is True
    deferred = WorkflowLog.objects.get(conversation=conversation, kind=WorkflowLog.Kind.DEFERRED)
    assert deferred.message == 'Assignment to "Support" deferred until the bot finishes'

    services.conversation_customer_message(conversation=conversation, body="support")
    process(conversation)

    conversation.refresh_from_db()
    assert conversation.team == support_team
    assert conversation.in_bot_inbox is False
    applied = WorkflowLog.objects.get(
        conversation=conversation, kind=WorkflowLog.Kind.DEFERRED_APPLIED
    )
    assert "applied now the bot has finished" in applied.message
    assignment = conversation.parts.get(part_type="assignment")
    assert assignment.author_name == "Route"  # visible in the timeline, by its workflow


def test_seed_f_a_close_made_by_a_workflow_does_not_fire_teammate_changed_state():
    make_workflow("Closer", trigger="customer_first_message", steps=[{"type": "close"}])
    on_close = make_workflow(
        "On close",
        trigger="teammate_changed_state",
        trigger_options={"state": "closed"},
        frequency="every_time",
    )

    conversation = open_conversation()

    assert conversation.state == Conversation.State.CLOSED
    assert not runs_of(conversation, on_close).exists()
    state_event = conversation.events.get(event_type=EventType.STATE_CHANGED)
    assert state_event.actor_type == "workflow"


def test_seed_g_frequency_once_runs_once_and_every_time_runs_every_time():
    once = make_workflow("Once", frequency="once")
    every = make_workflow("Every", frequency="every_time")
    conversation = open_conversation()

    for body in ("again", "and again"):
        services.conversation_customer_message(conversation=conversation, body=body)
        process(conversation)

    assert runs_of(conversation, once).count() == 1
    assert runs_of(conversation, every).count() == 3
    assert (
        skips_of(conversation, once)
        == ["Did not start: it runs once per conversation and already ran on this one"] * 2
    )


# --- DESIGN.md §6, rule by rule ------------------------------------------------------


def test_rule_1_candidates_are_live_workflows_of_the_trigger_that_match():
    live = make_workflow("Live", trigger="customer_first_message")
    make_workflow("Draft", trigger="customer_first_message", status="draft")
    make_workflow("Paused", trigger="customer_first_message", status="paused")
    make_workflow("Other trigger", trigger="teammate_replied")
    targeted = make_workflow(
        "Targeted",
        trigger="customer_first_message",
        audience={"match": "all", "rules": [
            {"attribute": "conversation.tags", "operator": "contains", "value": "Live"}
        ]},
    )  # fmt: skip

    conversation = open_conversation()

    # "Targeted" sees the conversation as it is at that moment: not yet tagged "Live".
    assert tag_names(conversation) == ["Live"]
    assert [run.workflow for run in runs_of(conversation)] == [live]
    assert skips_of(conversation, targeted) == [
        'Did not start: targeting rule did not match: Tags contains "Live" — actual value none'
    ]


def test_rule_2_background_runs_start_in_priority_order_so_the_last_one_wins():
    make_workflow("Data one", steps=[{"type": "set_data", "key": "route", "value": "first"}])
    make_workflow("Data two", steps=[{"type": "set_data", "key": "route", "value": "second"}])

    conversation = open_conversation()

    assert conversation.custom_attributes == {"route": "second"}


def test_rule_3_the_database_refuses_a_second_active_customer_facing_run():
    workflow = make_workflow("Greet", steps=[{"type": "send_message", "body": "Hi"}])
    conversation = services.conversation_open(contact=ContactFactory())
    WorkflowRun.objects.create(
        workflow=workflow, conversation=conversation, is_customer_facing=True
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        WorkflowRun.objects.create(
            workflow=workflow,
            conversation=conversation,
            is_customer_facing=True,
            status=WorkflowRun.Status.WAITING,
        )


def test_rule_4_a_teammate_reply_interrupts_the_customer_facing_run(teammate):
    make_workflow(
        "Survey",
        trigger="customer_first_message",
        steps=[{"type": "collect_data", "body": "Your email?", "attribute": "email"}],
    )
    conversation = open_conversation()
    [run] = runs_of(conversation)
    assert run.status == WorkflowRun.Status.WAITING

    services.conversation_teammate_reply(conversation=conversation, teammate=teammate, body="Hi!")
    process(conversation)

    run.refresh_from_db()
    assert run.status == WorkflowRun.Status.INTERRUPTED
    assert run.end_reason == "Interrupted: Ben replied"
    assert refreshed(conversation).in_bot_inbox is False


def test_rule_4_a_teammate_assignment_interrupts_the_customer_facing_run(teammate, as_teammate):
    make_workflow("Survey", trigger="customer_first_message", steps=SNOOZE_A_DAY)
    conversation = open_conversation()

    services.conversation_assign(conversation=conversation, assignee=teammate, acting=as_teammate)
    process(conversation)

    assert runs_of(conversation).get().status == WorkflowRun.Status.INTERRUPTED


def test_rule_4_a_run_is_interrupted_when_its_targeting_no_longer_matches_after_a_wait():
    make_workflow(
        "Nudge",
        trigger="customer_first_message",
        audience={"match": "all", "rules": [
            {"attribute": "conversation.priority", "operator": "is", "value": False}
        ]},
        steps=[
            {"type": "send_message", "body": "Hi"},
            {"type": "wait", "duration": "1h"},
            {"type": "send_message", "body": "Still there?"},
        ],
    )  # fmt: skip
    conversation = open_conversation()
    services.conversation_set_priority(
        conversation=conversation, priority=True, acting=Actor.system()
    )

    with time_machine.travel(timezone.now() + timedelta(hours=1, seconds=1)):
        process(conversation)

    run = runs_of(conversation).get()
    assert run.status == WorkflowRun.Status.INTERRUPTED
    assert "Priority is no — actual value yes" in run.end_reason
    assert not conversation.parts.filter(body="Still there?").exists()


def test_rule_5_deferred_assignments_apply_in_the_order_recorded(support_team, teammate):
    billing = TeamFactory(name="Billing", members=[teammate])
    make_workflow(
        "Bot",
        trigger="customer_first_message",
        steps=[{"type": "collect_data", "body": "Email?", "attribute": "email"}],
    )
    make_workflow(
        "To support",
        trigger="customer_first_message",
        steps=[{"type": "assign", "team": "Support"}],
    )
    make_workflow(
        "To billing",
        trigger="customer_first_message",
        steps=[{"type": "assign", "team": "Billing"}],
    )
    conversation = open_conversation()
    assert conversation.team is None

    services.conversation_customer_message(conversation=conversation, body="me@example.com")
    process(conversation)

    conversation.refresh_from_db()
    assert conversation.contact.email == "me@example.com"
    assignments = conversation.parts.filter(part_type="assignment").order_by("id")
    assert [part.details["team"] for part in assignments] == ["Support", "Billing"]
    assert conversation.team == billing


def test_rule_6_steps_run_top_to_bottom_and_events_in_the_order_they_happened():
    make_workflow(
        "Ordered",
        frequency="every_time",
        steps=[
            {"type": "add_tag", "tag": "first"},
            {"type": "remove_tag", "tag": "first"},
            {"type": "add_tag", "tag": "second"},
        ],
    )
    conversation = services.conversation_open(contact=ContactFactory(), body="one")
    services.conversation_customer_message(conversation=conversation, body="two")

    process(conversation)

    assert tag_names(conversation) == ["second"]
    runs = list(runs_of(conversation))
    assert [run.event.payload["body"] for run in runs] == ["one", "two"]
    tag_parts = conversation.parts.filter(part_type__in=["tag_added", "tag_removed"])
    changes = [
        ("+" if p.part_type == "tag_added" else "-") + p.details["tag"]
        for p in tag_parts.order_by("id")
    ]
    # Run one's three steps, then run two's ("second" is already there: no change).
    assert changes == ["+first", "-first", "+second", "+first", "-first"]


def test_rule_7_a_chain_of_workflow_caused_events_is_cut_at_a_fixed_depth(teammate, support_team):
    TeamFactory(name="Billing", members=[teammate])
    # Each assignment by a workflow fires conversation_assigned again: a loop.
    make_workflow(
        "Ping",
        trigger="conversation_assigned",
        frequency="every_time",
        audience={"match": "all", "rules": [
            {"attribute": "conversation.team", "operator": "is", "value": "Support"}
        ]},
        steps=[{"type": "assign", "team": "Billing"}],
    )  # fmt: skip
    make_workflow(
        "Pong",
        trigger="conversation_assigned",
        frequency="every_time",
        audience={"match": "all", "rules": [
            {"attribute": "conversation.team", "operator": "is", "value": "Billing"}
        ]},
        steps=[{"type": "assign", "team": "Support"}],
    )  # fmt: skip
    conversation = services.conversation_open(contact=ContactFactory())
    services.conversation_assign(
        conversation=conversation, team=support_team, acting=Actor.teammate(teammate)
    )

    process(conversation)

    assert runs_of(conversation).count() == MAX_WORKFLOW_CHAIN_DEPTH
    cut = WorkflowLog.objects.get(conversation=conversation, kind=WorkflowLog.Kind.CHAIN_CUT)
    assert "workflow changes in a row" in cut.message


def test_rule_8_every_decision_is_recorded_with_its_reason():
    make_workflow("Route Pro", trigger="customer_first_message", audience=PRO_OVER_500)

    conversation = open_conversation(plan="Pro", monthly_spend=120)

    [skip] = WorkflowLog.objects.filter(
        conversation=conversation, kind=WorkflowLog.Kind.NOT_MATCHED
    )
    assert skip.message == (
        "Did not start: targeting rule did not match: "
        "Monthly spend is greater than 500 — actual value 120.00"
    )
    assert skip.workflow.name == "Route Pro"
    assert skip.event.event_type == EventType.CUSTOMER_MESSAGE


def test_rule_8_workflows_that_do_not_match_share_one_line_per_event_with_each_reason():
    for plan in ("Gold", "Silver", "Bronze"):
        make_workflow(
            f"{plan} only",
            audience={"match": "all", "rules": [
                {"attribute": "contact.plan", "operator": "is", "value": plan}
            ]},
        )  # fmt: skip

    conversation = open_conversation(plan="Pro")

    [line] = WorkflowLog.objects.filter(conversation=conversation, kind="not_matched")
    assert line.message == (
        'Targeting did not match for 3 workflows: "Gold only", "Silver only", "Bronze only"'
    )
    assert [skip_entry_reason(entry) for entry in line.details["workflows"]] == [
        f'targeting rule did not match: Plan is "{plan}" — actual value "Pro"'
        for plan in ("Gold", "Silver", "Bronze")
    ]


def test_rule_8_a_run_logs_its_start_each_step_and_its_end():
    make_workflow("Tagger", steps=[{"type": "add_tag", "tag": "A"}, {"type": "close"}])

    conversation = open_conversation()

    run = runs_of(conversation).get()
    assert [(log.kind, log.message) for log in run.logs.order_by("id")] == [
        ("started", "Started (trigger: Customer sends any message)"),
        ("step", 'Tagged the conversation "A"'),
        ("step", "Closed the conversation"),
        ("completed", "Completed"),
    ]


def test_rule_9_processing_the_same_event_twice_has_the_effect_of_once():
    make_workflow("Tagger", frequency="every_time")
    conversation = services.conversation_open(contact=ContactFactory(), body="Hi")

    assert process(conversation) > 0
    parts = conversation.parts.count()
    assert process(conversation) == 0

    assert conversation.parts.count() == parts
    assert runs_of(conversation).count() == 1
