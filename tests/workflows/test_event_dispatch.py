"""Model signals start the orchestrator: an event is dispatched once its change commits."""

import pytest
from django.db import transaction

from conversations import services
from conversations.models import Event
from workflows.processing import process_conversation_events
from workflows.tasks import process_conversation_events_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """Conversation ids handed to the orchestrator task, in order."""
    calls = []
    monkeypatch.setattr(process_conversation_events_task, "delay", calls.append)
    return calls


def test_it_dispatches_each_event_after_the_commit(
    contact, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        conversation = services.conversation_open(contact=contact, body="Hi")
        assert sent == []  # nothing leaves before the commit

    # conversation_opened and customer_message: each event's dispatch and the pages' live
    # publish (conversations/live.py).
    assert len(callbacks) == 4
    for callback in callbacks:
        callback()
    # One task for both: the second finds the conversation queued (test_coalescing.py).
    assert sent == [conversation.pk]


def test_it_dispatches_nothing_when_the_change_rolls_back(
    contact, sent, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.conversation_open(contact=contact, body="Hi")
        raise RuntimeError

    assert callbacks == []
    assert sent == []


def test_it_marks_events_processed_when_the_task_runs(contact, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        conversation = services.conversation_open(contact=contact, body="Hi")

    events = Event.objects.filter(conversation=conversation)
    assert events.count() == 2
    assert not events.filter(processed_at__isnull=True).exists()


def test_it_has_no_further_effect_when_processing_an_event_twice(contact, sent):
    conversation = services.conversation_open(contact=contact, body="Hi")

    assert process_conversation_events(conversation.pk) == 2
    processed_at = list(Event.objects.values_list("processed_at", flat=True))
    assert process_conversation_events(conversation.pk) == 0
    assert list(Event.objects.values_list("processed_at", flat=True)) == processed_at


def test_it_ignores_a_conversation_that_no_longer_exists(db):
    assert process_conversation_events(987654) == 0
