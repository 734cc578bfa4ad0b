"""A snooze ends on its timer: set by the workflows orchestrator when it processes the
snooze's event, fired by the conversation's ETA task or, when that message is lost, by
the timers sweep — once, and only while the snooze is still due."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from conversations import services
from conversations.models import ActorType, Conversation, EventType, PartType
from tests.workflows.helpers import process
from workflows.models import Timer
from workflows.tasks import fire_due_timers_task, process_conversation_events_task

pytestmark = pytest.mark.django_db


def snooze(conversation, acting, until):
    services.conversation_snooze(conversation=conversation, until=until, acting=acting)
    process(conversation)  # what the event's task does once the snooze commits


@pytest.fixture
def snoozed(conversation, as_teammate):
    snooze(conversation, as_teammate, timezone.now() + timedelta(minutes=30))
    return conversation


def state_of(conversation):
    return Conversation.objects.get(pk=conversation.pk).state


def wakes(conversation):
    return conversation.events.filter(event_type=EventType.UNSNOOZED).count()


def test_processing_the_snooze_sets_its_timer(snoozed):
    timer = Timer.objects.get(conversation=snoozed, kind=Timer.Kind.SNOOZE)

    assert timer.due_at == Conversation.objects.get(pk=snoozed.pk).snoozed_until
    assert timer.fired_at is None


def test_it_does_not_wake_before_the_time(snoozed):
    process_conversation_events_task(snoozed.pk)  # an early delivery
    fire_due_timers_task()

    assert state_of(snoozed) == Conversation.State.SNOOZED
    assert wakes(snoozed) == 0


def test_it_reopens_at_snoozed_until_with_a_part_and_a_system_event(snoozed):
    due = Conversation.objects.get(pk=snoozed.pk).snoozed_until

    with time_machine.travel(due + timedelta(seconds=1)):
        process_conversation_events_task(snoozed.pk)  # the timer's ETA task

    snoozed.refresh_from_db()
    assert (snoozed.state, snoozed.snoozed_until) == (Conversation.State.OPEN, None)
    event = snoozed.events.get(event_type=EventType.UNSNOOZED)
    assert (event.actor_type, event.actor_id) == (ActorType.SYSTEM, None)
    assert event.payload["snoozed_until"] == due.isoformat()
    assert event.processed_at is not None  # the same processing took the wake's event
    part = snoozed.parts.get(part_type=PartType.UNSNOOZED)
    assert part.author_type == ActorType.SYSTEM


def test_it_wakes_only_once_when_the_timer_fires_twice(snoozed):
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        process_conversation_events_task(snoozed.pk)
        process_conversation_events_task(snoozed.pk)
        fire_due_timers_task()

    assert wakes(snoozed) == 1
    assert Timer.objects.get(conversation=snoozed, kind="snooze").fired_at is not None


def test_it_does_not_wake_a_conversation_closed_while_snoozed(snoozed, as_teammate):
    services.conversation_close(conversation=snoozed, acting=as_teammate)
    process(snoozed)

    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        process_conversation_events_task(snoozed.pk)

    assert state_of(snoozed) == Conversation.State.CLOSED
    assert wakes(snoozed) == 0


def test_a_snooze_moved_later_wakes_at_the_new_time_only(snoozed, as_teammate):
    start = timezone.now()
    snooze(snoozed, as_teammate, start + timedelta(hours=2))

    with time_machine.travel(start + timedelta(minutes=31)):
        process_conversation_events_task(snoozed.pk)  # the first snooze's timer
    assert state_of(snoozed) == Conversation.State.SNOOZED

    with time_machine.travel(start + timedelta(hours=2, seconds=1)):
        process_conversation_events_task(snoozed.pk)
    assert state_of(snoozed) == Conversation.State.OPEN
    assert wakes(snoozed) == 1


def test_a_snooze_moved_earlier_wakes_at_the_earlier_time_once(snoozed, as_teammate):
    start = timezone.now()
    snooze(snoozed, as_teammate, start + timedelta(minutes=10))

    with time_machine.travel(start + timedelta(minutes=11)):
        process_conversation_events_task(snoozed.pk)
    assert state_of(snoozed) == Conversation.State.OPEN
    with time_machine.travel(start + timedelta(minutes=31)):
        process_conversation_events_task(snoozed.pk)  # the first snooze's timer: nothing

    assert wakes(snoozed) == 1


def test_a_snooze_ended_by_the_customer_then_set_again_wakes_once_at_its_time(snoozed, as_teammate):
    start = timezone.now()
    services.conversation_customer_message(conversation=snoozed, body="Still there?")
    process(snoozed)
    assert state_of(snoozed) == Conversation.State.OPEN
    snooze(snoozed, as_teammate, start + timedelta(hours=1))

    with time_machine.travel(start + timedelta(minutes=31)):
        process_conversation_events_task(snoozed.pk)  # the ended snooze's timer
    assert state_of(snoozed) == Conversation.State.SNOOZED

    with time_machine.travel(start + timedelta(hours=1, seconds=1)):
        process_conversation_events_task(snoozed.pk)
    assert state_of(snoozed) == Conversation.State.OPEN
    assert wakes(snoozed) == 1


def test_the_sweep_wakes_due_conversations_when_the_timer_message_was_lost(
    snoozed, contact, as_teammate
):
    later = services.conversation_open(contact=contact, body="later")
    process(later)
    snooze(later, as_teammate, timezone.now() + timedelta(days=2))

    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert fire_due_timers_task() == 1  # conversations sent
        fire_due_timers_task()

    assert state_of(snoozed) == Conversation.State.OPEN
    assert wakes(snoozed) == 1
    assert state_of(later) == Conversation.State.SNOOZED


def test_a_snooze_whose_event_is_processed_after_its_end_wakes_in_that_processing(
    conversation, as_teammate, monkeypatch, django_capture_on_commit_callbacks
):
    start = timezone.now()
    services.conversation_snooze(
        conversation=conversation, until=start + timedelta(minutes=1), acting=as_teammate
    )
    timer_tasks = []
    monkeypatch.setattr(
        process_conversation_events_task, "apply_async", lambda **kw: timer_tasks.append(kw)
    )

    with (
        time_machine.travel(start + timedelta(minutes=2)),  # a backlog: processed late
        django_capture_on_commit_callbacks(execute=True),
    ):
        process(conversation)

    assert state_of(conversation) == Conversation.State.OPEN
    assert wakes(conversation) == 1
    timer = Timer.objects.get(conversation=conversation, kind="snooze")
    assert timer.fired_at is not None  # written fired: no ETA task for it
    assert timer_tasks == []
