"""End to end through a real Celery worker on the real broker (Redis in CI)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation, Event, EventType
from tests.factories import ContactFactory, TeammateFactory
from tests.integration.conftest import wait_for

pytestmark = pytest.mark.integration

# Generous: the first task also waits for the worker to boot.
WORKER_TIMEOUT_SECONDS = 90


def test_it_processes_an_event_end_to_end_in_a_real_worker(real_broker):
    conversation = services.conversation_open(contact=ContactFactory(), body="Hello from CI")
    events = Event.objects.filter(conversation=conversation)
    assert events.filter(processed_at__isnull=True).count() == 2

    wait_for(
        lambda: not events.filter(processed_at__isnull=True).exists(),
        timeout=WORKER_TIMEOUT_SECONDS,
        processes=real_broker,
    )

    assert events.count() == 2


def test_it_wakes_a_snoozed_conversation_from_a_celery_timer(real_broker):
    conversation = services.conversation_open(contact=ContactFactory(), body="Snooze me")
    services.conversation_snooze(
        conversation=conversation,
        until=timezone.now() + timedelta(seconds=2),
        acting=Actor.teammate(TeammateFactory()),
    )

    wait_for(
        lambda: Conversation.objects.get(pk=conversation.pk).state == Conversation.State.OPEN,
        timeout=WORKER_TIMEOUT_SECONDS,
        processes=real_broker,
    )

    unsnoozed = Event.objects.filter(conversation=conversation, event_type=EventType.UNSNOOZED)
    assert unsnoozed.count() == 1
    # The unsnoozed event itself goes through the orchestrator too.
    wait_for(
        lambda: not unsnoozed.filter(processed_at__isnull=True).exists(),
        timeout=WORKER_TIMEOUT_SECONDS,
        processes=real_broker,
    )
