"""One timer table, one firing path: a wait, a snooze, a silence and an SLA target each
fire exactly once — through the conversation's ETA task, or through the sweep when that
message was lost — in due order, before the events that came after them."""

import importlib
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation, EventType, PartType
from tests.factories import ContactFactory, SlaPolicyFactory
from tests.workflows.helpers import make_workflow, process, runs_of, tag_names
from workflows import tasks
from workflows.models import Timer, WorkflowLog, WorkflowRun
from workflows.tasks import fire_due_timers_task, process_conversation_events_task

pytestmark = pytest.mark.django_db

START = timezone.now().replace(microsecond=0)
VIA = ["eta_task", "sweep"]


def at(minutes):
    return time_machine.travel(START + timedelta(minutes=minutes), tick=False)


def fire(conversation, via):
    """What fires a due timer: its ETA task, or the sweep when the broker lost that."""
    if via == "eta_task":
        process_conversation_events_task(conversation.pk)
    else:
        fire_due_timers_task()


def open_conversation(body="Help!"):
    with at(0):
        conversation = services.conversation_open(contact=ContactFactory(), body=body)
        process(conversation)
    return conversation


def timers_of(conversation, kind):
    return Timer.objects.filter(conversation=conversation, kind=kind)


def count_events(conversation, event_type):
    return conversation.events.filter(event_type=event_type).count()


# --- each kind fires once ---------------------------------------------------------------------


@pytest.mark.parametrize("via", VIA)
def test_a_wait_fires_once(via):
    make_workflow(
        "Later", trigger="customer_first_message",
        steps=[{"type": "wait", "duration": "1h"}, {"type": "add_tag", "tag": "Waited"}],
    )  # fmt: skip
    conversation = open_conversation()
    run = runs_of(conversation).get()
    [timer] = timers_of(conversation, "wait")
    assert (timer.payload, timer.due_at) == ({"run": run.pk}, START + timedelta(hours=1))
    assert run.resume_at == timer.due_at  # what the API shows

    with at(59):
        fire(conversation, via)
    assert tag_names(conversation) == []
    with at(61):
        fire(conversation, via)
        fire(conversation, via)

    assert tag_names(conversation) == ["Waited"]
    assert conversation.parts.filter(part_type=PartType.TAG_ADDED).count() == 1
    run.refresh_from_db()
    assert (run.status, run.resume_at) == (WorkflowRun.Status.COMPLETED, None)
    assert timers_of(conversation, "wait").get().fired_at is not None


@pytest.mark.parametrize("via", VIA)
def test_a_snooze_fires_once(via, teammate):
    conversation = open_conversation()
    with at(1):
        services.conversation_snooze(
            conversation=conversation,
            until=START + timedelta(minutes=30),
            acting=Actor.teammate(teammate),
        )
        process(conversation)
    assert timers_of(conversation, "snooze").get().due_at == START + timedelta(minutes=30)

    with at(29):
        fire(conversation, via)
    assert Conversation.objects.get(pk=conversation.pk).state == Conversation.State.SNOOZED
    with at(31):
        fire(conversation, via)
        fire(conversation, via)

    assert Conversation.objects.get(pk=conversation.pk).state == Conversation.State.OPEN
    assert count_events(conversation, EventType.UNSNOOZED) == 1


@pytest.mark.parametrize("via", VIA)
def test_a_silence_fires_once(via, teammate):
    nudge = make_workflow(
        "Nudge", trigger="customer_unresponsive", trigger_options={"after": "30m"},
        frequency="every_time", steps=[{"type": "add_note", "body": "Customer went quiet"}],
    )  # fmt: skip
    conversation = open_conversation()
    with at(1):
        services.conversation_teammate_reply(
            conversation=conversation, teammate=teammate, body="On it"
        )
        process(conversation)

    with at(30):
        fire(conversation, via)
    assert count_events(conversation, EventType.CUSTOMER_UNRESPONSIVE) == 0
    with at(32):
        fire(conversation, via)
        fire(conversation, via)

    assert count_events(conversation, EventType.CUSTOMER_UNRESPONSIVE) == 1
    assert runs_of(conversation, nudge).count() == 1


@pytest.mark.parametrize("via", VIA)
def test_an_sla_target_fires_once(via):
    conversation = open_conversation()
    policy = SlaPolicyFactory(
        first_reply=timedelta(minutes=30), next_reply=None, time_to_close=None
    )
    with at(0):
        services.conversation_apply_sla(
            conversation=conversation, policy=policy, acting=Actor.system()
        )
        process(conversation)
    [timer] = timers_of(conversation, "sla")
    assert (timer.payload, timer.due_at) == (
        {"target": "first_reply"},
        START + timedelta(minutes=30),
    )

    with at(29):
        fire(conversation, via)
    assert count_events(conversation, EventType.SLA_MISSED) == 0
    with at(31):
        fire(conversation, via)
        fire(conversation, via)

    assert count_events(conversation, EventType.SLA_MISSED) == 1


def capture_eta_tasks(monkeypatch):
    sent = []
    monkeypatch.setattr(
        process_conversation_events_task,
        "apply_async",
        lambda args, eta=None: sent.append((tuple(args), eta)),
    )
    return sent


def test_setting_a_timer_sends_one_eta_task_at_its_due_time(
    monkeypatch, django_capture_on_commit_callbacks
):
    make_workflow(
        "Soon", trigger="customer_first_message",
        steps=[{"type": "wait", "duration": "2m"}, {"type": "add_tag", "tag": "Waited"}],
    )  # fmt: skip
    sent = capture_eta_tasks(monkeypatch)
    with at(0):
        conversation = services.conversation_open(contact=ContactFactory(), body="Hello")
        with django_capture_on_commit_callbacks(execute=True):
            process(conversation)
            process(conversation)  # a second delivery sets nothing new

    assert sent == [((conversation.pk,), START + timedelta(minutes=2))]


def test_a_timer_beyond_the_eta_horizon_gets_its_eta_task_from_the_sweep_just_before_it_is_due(
    monkeypatch, django_capture_on_commit_callbacks, settings
):
    # Redis hands a held ETA message out again every visibility timeout: a timer an hour
    # away is not sent when it is set, but by the sweep that runs just before it is due.
    settings.TIMER_ETA_HORIZON_SECONDS = 240
    settings.SWEEP_INTERVAL_SECONDS = 5
    make_workflow(
        "Later", trigger="customer_first_message",
        steps=[{"type": "wait", "duration": "1h"}, {"type": "add_tag", "tag": "Waited"}],
    )  # fmt: skip
    sent = capture_eta_tasks(monkeypatch)
    with at(0):
        conversation = services.conversation_open(contact=ContactFactory(), body="Hello")
        with django_capture_on_commit_callbacks(execute=True):
            process(conversation)
    assert sent == []

    due = START + timedelta(hours=1)
    for seconds_before in (600, 30, 6):
        with time_machine.travel(due - timedelta(seconds=seconds_before), tick=False):
            fire_due_timers_task()
    assert sent == []
    with time_machine.travel(due - timedelta(seconds=3), tick=False):
        fire_due_timers_task()
    assert sent == [((conversation.pk,), due)]

    with time_machine.travel(due, tick=False):
        process_conversation_events_task(conversation.pk)
    assert "Waited" in tag_names(conversation)


# --- order ------------------------------------------------------------------------------------


def waiting_until_reply():
    return make_workflow(
        "Nudge", trigger="customer_first_message",
        steps=[
            {"type": "wait", "duration": "1h", "until_reply": "customer"},
            {"type": "add_tag", "tag": "Went on"},
        ],
    )  # fmt: skip


def resumed_because(conversation):
    return list(
        WorkflowLog.objects.filter(conversation=conversation, kind=WorkflowLog.Kind.RESUMED)
        .order_by("id")
        .values_list("message", flat=True)
    )


def test_a_timer_due_before_a_later_event_fires_before_that_event_is_handled():
    waiting_until_reply()
    conversation = open_conversation()
    with at(70):  # written after the wait ended, processed later (a backlog)
        services.conversation_customer_message(conversation=conversation, body="Hi again")

    with at(71):
        process(conversation)

    assert resumed_because(conversation) == ["The wait ended"]
    assert conversation.parts.filter(part_type=PartType.TAG_ADDED).count() == 1


def test_an_event_before_the_due_time_is_handled_first_and_the_timer_then_does_nothing():
    waiting_until_reply()
    conversation = open_conversation()
    with at(50):
        services.conversation_customer_message(conversation=conversation, body="Hi again")

    with at(71):
        process(conversation)
        fire_due_timers_task()

    assert resumed_because(conversation) == ["The customer replied before the wait ended"]
    assert conversation.parts.filter(part_type=PartType.TAG_ADDED).count() == 1
    assert timers_of(conversation, "wait").get().fired_at is not None


@pytest.mark.parametrize(("wait", "first"), [("20m", "tag_added"), ("40m", "sla_missed")])
def test_timers_of_every_kind_fire_in_due_order(wait, first):
    make_workflow(
        "Later", trigger="customer_first_message",
        steps=[{"type": "wait", "duration": wait}, {"type": "add_tag", "tag": "Waited"}],
    )  # fmt: skip
    conversation = open_conversation()
    policy = SlaPolicyFactory(
        first_reply=timedelta(minutes=30), next_reply=None, time_to_close=None
    )
    with at(0):
        services.conversation_apply_sla(
            conversation=conversation, policy=policy, acting=Actor.system()
        )
        process(conversation)

    with at(45):
        process(conversation)  # both are due: one task fires them

    kinds = list(
        conversation.parts.filter(part_type__in=["tag_added", "sla_missed"])
        .order_by("id")
        .values_list("part_type", flat=True)
    )
    assert kinds[0] == first
    assert sorted(kinds) == ["sla_missed", "tag_added"]


# --- cost -------------------------------------------------------------------------------------


@pytest.fixture
def sent(monkeypatch):
    """The conversations the sweep sends, instead of processing them inline."""
    calls = []
    monkeypatch.setattr(process_conversation_events_task, "delay", calls.append)
    return calls


def add_timers(conversation, count, due_at):
    Timer.objects.bulk_create(
        Timer(conversation=conversation, kind="sla", key=f"t{i}:{due_at}", due_at=due_at)
        for i in range(count)
    )


def test_the_sweep_costs_the_same_queries_however_many_timers_are_not_due(sent):
    due = open_conversation("due")
    add_timers(due, 1, START - timedelta(minutes=1))
    later = [open_conversation(f"later {n}") for n in range(3)]

    def sweep_queries():
        with CaptureQueriesContext(connection) as queries, at(0):
            fire_due_timers_task()
        return len(queries)

    add_timers(later[0], 1, START + timedelta(days=1))
    few = sweep_queries()
    for conversation in later:
        add_timers(conversation, 100, START + timedelta(days=2))
    many = sweep_queries()

    assert few == many
    # Sent once: at the second sweep its task is still queued (not started), so it is
    # not sent again (conversations/dispatch.py coalescing).
    assert sent == [due.pk]


def test_the_sweep_continues_after_a_full_batch_from_where_it_stopped(sent, monkeypatch):
    monkeypatch.setattr(tasks, "REDISPATCH_BATCH_SIZE", 2)
    continued = []
    monkeypatch.setattr(fire_due_timers_task, "delay", continued.append)
    conversations = [open_conversation(f"m{n}") for n in range(3)]
    for conversation in conversations:
        add_timers(conversation, 1, START - timedelta(minutes=1))

    with at(0):
        fire_due_timers_task()
        fire_due_timers_task(*continued)

    assert sent == [c.pk for c in conversations]
    assert continued == [conversations[1].pk]


def test_processing_costs_the_same_queries_however_many_timers_are_not_due():
    conversation = open_conversation()

    def processing_queries():
        with at(1):
            services.conversation_customer_message(conversation=conversation, body="Hi")
            with CaptureQueriesContext(connection) as queries:
                process(conversation)
        return len(queries)

    add_timers(conversation, 1, START + timedelta(days=1))
    few = processing_queries()
    add_timers(conversation, 200, START + timedelta(days=2))

    assert processing_queries() == few


# --- the data migration -----------------------------------------------------------------------


def test_the_migration_gives_waiting_runs_and_snoozed_conversations_their_timers(teammate):
    from django.apps import apps

    migration = importlib.import_module("workflows.migrations.0008_one_timer_table")
    snoozed = open_conversation("snoozes")
    with at(1):
        services.conversation_snooze(
            conversation=snoozed, until=START + timedelta(hours=2), acting=Actor.teammate(teammate)
        )
        process(snoozed)
    make_workflow(
        "Later", trigger="customer_first_message",
        steps=[{"type": "wait", "duration": "1h"}, {"type": "add_tag", "tag": "Waited"}],
    )  # fmt: skip
    waiting = open_conversation("waits")
    set_by_processing = sorted(
        Timer.objects.filter(kind__in=["wait", "snooze"]).values_list(
            "conversation_id", "kind", "key", "due_at", "payload"
        )
    )
    Timer.objects.all().delete()  # as before this migration: waits and snoozes had none

    migration.waits_and_snoozes_to_timers(apps, None)
    migration.waits_and_snoozes_to_timers(apps, None)  # run twice: no duplicate

    assert (
        sorted(Timer.objects.values_list("conversation_id", "kind", "key", "due_at", "payload"))
        == set_by_processing
    )
    assert len(set_by_processing) == 2
    with at(121):
        fire_due_timers_task()
    assert tag_names(waiting) == ["Waited"]
    assert Conversation.objects.get(pk=snoozed.pk).state == Conversation.State.OPEN
