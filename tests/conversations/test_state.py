from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from conversations import services, validation
from conversations.models import Conversation, EventType, PartType

pytestmark = pytest.mark.django_db

State = Conversation.State


def state_events(conversation):
    return list(conversation.events.filter(event_type=EventType.STATE_CHANGED).order_by("id"))


def test_it_closes_a_conversation(conversation, as_teammate, teammate):
    services.conversation_close(conversation=conversation, acting=as_teammate)

    conversation.refresh_from_db()
    assert conversation.state == State.CLOSED
    assert conversation.closed_at is not None
    assert conversation.parts.filter(part_type=PartType.CLOSED, author_id=teammate.pk).exists()
    [event] = state_events(conversation)
    assert event.payload["state"] == "closed"
    assert event.payload["previous"] == "open"
    assert event.actor_id == teammate.pk


def test_it_reopens_a_closed_conversation(conversation, as_teammate):
    services.conversation_close(conversation=conversation, acting=as_teammate)

    services.conversation_reopen(conversation=conversation, acting=as_teammate)

    conversation.refresh_from_db()
    assert conversation.state == State.OPEN
    assert conversation.closed_at is None
    assert [e.payload["state"] for e in state_events(conversation)] == ["closed", "open"]
    assert conversation.parts.filter(part_type=PartType.REOPENED).count() == 1


def test_it_records_nothing_when_the_state_does_not_change(conversation, as_teammate):
    services.conversation_reopen(conversation=conversation, acting=as_teammate)
    services.conversation_close(conversation=conversation, acting=as_teammate)
    services.conversation_close(conversation=conversation, acting=as_teammate)

    assert [e.payload["state"] for e in state_events(conversation)] == ["closed"]


def test_it_snoozes_until_a_time_given_in_its_event(conversation, as_teammate):
    # The event's `until` is what the workflows orchestrator sets the wake-up timer from
    # (tests/workflows/test_one_timer_path.py).
    until = timezone.now() + timedelta(hours=2)

    services.conversation_snooze(conversation=conversation, until=until, acting=as_teammate)

    conversation.refresh_from_db()
    assert (conversation.state, conversation.snoozed_until) == (State.SNOOZED, until)
    [event] = state_events(conversation)
    assert event.payload["state"] == "snoozed"
    assert event.payload["until"] == until.isoformat()
    assert conversation.parts.get(part_type=PartType.SNOOZED).details == {
        "until": until.isoformat()
    }


def test_it_refuses_a_snooze_in_the_past_and_saves_nothing(conversation, as_teammate):
    with pytest.raises(ValidationError) as error:
        services.conversation_snooze(
            conversation=conversation,
            until=timezone.now() - timedelta(minutes=1),
            acting=as_teammate,
        )

    assert error.value.message_dict == {"snoozed_until": [validation.SNOOZE_IN_PAST]}
    conversation.refresh_from_db()
    assert conversation.state == State.OPEN
    assert state_events(conversation) == []


def test_it_refuses_a_snooze_time_without_a_time_zone(conversation, as_teammate):
    naive = (timezone.now() + timedelta(hours=1)).replace(tzinfo=None)

    with pytest.raises(ValidationError) as error:
        services.conversation_snooze(conversation=conversation, until=naive, acting=as_teammate)

    assert "snoozed_until" in error.value.message_dict
