"""A conversation already queued is not queued again: one task takes every event
committed before it starts; an event committed after its start sends a new one; the
sweeps leave queued conversations alone until the marker expires."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.db import OperationalError
from django.utils import timezone

from conversations import dispatch, services
from conversations.models import Event
from tests.factories import ContactFactory
from workflows.tasks import process_conversation_events_task, redispatch_unprocessed_events_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Conversation ids handed to the broker, in order (nothing runs)."""
    calls = []
    monkeypatch.setattr(process_conversation_events_task, "delay", calls.append)
    return calls


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Each service call below commits (its on-commit work runs) before the next."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def unprocessed(conversation):
    return Event.objects.filter(conversation=conversation, processed_at__isnull=True)


def test_a_burst_before_the_task_starts_sends_one_task(sent, committed):
    conversation = committed(
        lambda: services.conversation_open(contact=ContactFactory(), body="one")
    )
    for body in ("two", "three", "four"):
        committed(
            lambda body=body: services.conversation_customer_message(
                conversation=conversation, body=body
            )
        )

    assert sent == [conversation.pk]
    # That one task takes all five events.
    assert process_conversation_events_task.run(conversation.pk) == 5
    assert not unprocessed(conversation).exists()


def test_an_event_after_the_task_started_sends_it_again(sent, committed):
    conversation = committed(
        lambda: services.conversation_open(contact=ContactFactory(), body="one")
    )
    process_conversation_events_task.run(conversation.pk)

    committed(lambda: services.conversation_customer_message(conversation=conversation, body="two"))

    assert sent == [conversation.pk, conversation.pk]


def test_other_conversations_are_sent_apart(sent, committed):
    first, second = (
        committed(lambda: services.conversation_open(contact=ContactFactory(), body="hi"))
        for _ in range(2)
    )

    assert sent == [first.pk, second.pk]


def test_the_sweep_leaves_a_queued_conversation_alone(sent, committed, settings):
    conversation = committed(
        lambda: services.conversation_open(contact=ContactFactory(), body="waiting in line")
    )

    later = timezone.now() + settings.EVENT_REDISPATCH_AFTER + timedelta(seconds=1)
    with time_machine.travel(later):
        redispatch_unprocessed_events_task()

    assert sent == [conversation.pk]


def test_the_sweep_sends_it_again_once_the_marker_expired(sent, committed, settings):
    settings.QUEUED_MARKER_SECONDS = 1
    conversation = committed(
        lambda: services.conversation_open(contact=ContactFactory(), body="lost by the broker")
    )
    time.sleep(1.1)  # real time: Redis expires keys by its own clock

    later = timezone.now() + settings.EVENT_REDISPATCH_AFTER + timedelta(seconds=1)
    with time_machine.travel(later):
        redispatch_unprocessed_events_task()
        redispatch_unprocessed_events_task()  # queued again by the first sweep

    assert sent == [conversation.pk, conversation.pk]


def test_a_refused_publish_leaves_the_conversation_to_the_sweep(monkeypatch, committed, settings):
    def refuse(*args):
        raise OperationalError("Connection refused.")

    with monkeypatch.context() as outage:
        outage.setattr(process_conversation_events_task, "delay", refuse)
        conversation = committed(
            lambda: services.conversation_open(contact=ContactFactory(), body="hello")
        )
    dispatch._broker_away_until = 0.0
    sent = []
    monkeypatch.setattr(process_conversation_events_task, "delay", sent.append)

    later = timezone.now() + settings.EVENT_REDISPATCH_AFTER + timedelta(seconds=1)
    with time_machine.travel(later):
        redispatch_unprocessed_events_task()

    assert sent == [conversation.pk]


def test_a_cache_that_fails_sends_the_task_anyway(sent, committed, monkeypatch):
    class Broken:
        def add(self, *args, **kwargs):
            raise ConnectionError("cache away")

        def delete(self, *args, **kwargs):
            raise ConnectionError("cache away")

    monkeypatch.setattr(dispatch, "_markers", Broken)
    conversation = committed(
        lambda: services.conversation_open(contact=ContactFactory(), body="hello")
    )

    assert sent == [conversation.pk, conversation.pk]
    assert process_conversation_events_task.run(conversation.pk) == 2
