from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from conversations import services
from conversations.models import ActorType, Conversation, EventType, PartType
from conversations.tasks import wake_due_snoozed_conversations_task, wake_snoozed_conversation_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def snoozed(conversation, as_teammate):
    until = timezone.now() + timedelta(minutes=30)
    services.conversation_snooze(conversation=conversation, until=until, acting=as_teammate)
    return conversation


def test_it_does_not_wake_before_the_time(snoozed):
    assert wake_snoozed_conversation_task(snoozed.pk) is False

    snoozed.refresh_from_db()
    assert snoozed.state == Conversation.State.SNOOZED
    assert not snoozed.events.filter(event_type=EventType.UNSNOOZED).exists()


def test_it_reopens_at_snoozed_until_with_a_part_and_a_system_event(snoozed):
    due = snoozed.snoozed_until

    with time_machine.travel(due + timedelta(seconds=1)):
        assert wake_snoozed_conversation_task(snoozed.pk) is True

    snoozed.refresh_from_db()
    assert (snoozed.state, snoozed.snoozed_until) == (Conversation.State.OPEN, None)
    event = snoozed.events.get(event_type=EventType.UNSNOOZED)
    assert (event.actor_type, event.actor_id) == (ActorType.SYSTEM, None)
    assert event.payload["snoozed_until"] == due.isoformat()
    part = snoozed.parts.get(part_type=PartType.UNSNOOZED)
    assert part.author_type == ActorType.SYSTEM


def test_it_wakes_only_once_when_the_timer_fires_twice(snoozed):
    with time_machine.travel(snoozed.snoozed_until + timedelta(seconds=1)):
        wake_snoozed_conversation_task(snoozed.pk)
        assert wake_snoozed_conversation_task(snoozed.pk) is False

    assert snoozed.events.filter(event_type=EventType.UNSNOOZED).count() == 1


def test_it_does_not_wake_a_conversation_closed_while_snoozed(snoozed, as_teammate):
    services.conversation_close(conversation=snoozed, acting=as_teammate)

    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert wake_snoozed_conversation_task(snoozed.pk) is False

    snoozed.refresh_from_db()
    assert snoozed.state == Conversation.State.CLOSED


def test_it_wakes_due_conversations_from_the_sweep_when_the_timer_was_lost(
    snoozed, contact, as_teammate
):
    later = services.conversation_open(contact=contact, body="later")
    services.conversation_snooze(
        conversation=later, until=timezone.now() + timedelta(days=2), acting=as_teammate
    )

    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        assert wake_due_snoozed_conversations_task() == 1

    snoozed.refresh_from_db()
    later.refresh_from_db()
    assert snoozed.state == Conversation.State.OPEN
    assert later.state == Conversation.State.SNOOZED
