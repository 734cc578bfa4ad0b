from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from conversations import services
from tests.factories import ContactFactory
from workflows import tasks
from workflows.tasks import process_conversation_events_task, redispatch_unprocessed_events_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(process_conversation_events_task, "delay", calls.append)
    return calls


def test_it_redispatches_events_left_unprocessed_past_the_delay(sent, settings):
    lost = services.conversation_open(contact=ContactFactory(), body="lost task")
    with time_machine.travel(
        timezone.now() + settings.EVENT_REDISPATCH_AFTER + timedelta(seconds=1)
    ):
        fresh = services.conversation_open(contact=ContactFactory(), body="just now")

        assert redispatch_unprocessed_events_task() == 1

    assert sent == [lost.pk]
    assert fresh.pk not in sent


def test_it_skips_events_already_processed(sent, settings):
    conversation = services.conversation_open(contact=ContactFactory(), body="done")
    process_conversation_events_task.run(conversation.pk)

    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert redispatch_unprocessed_events_task() == 0

    assert sent == []


def test_it_continues_after_a_full_batch_from_where_it_stopped(sent, monkeypatch):
    monkeypatch.setattr(tasks, "REDISPATCH_BATCH_SIZE", 2)
    continued = []
    monkeypatch.setattr(redispatch_unprocessed_events_task, "delay", continued.append)
    conversations = [
        services.conversation_open(contact=ContactFactory(), body=f"m{i}") for i in range(3)
    ]

    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        redispatch_unprocessed_events_task()
        redispatch_unprocessed_events_task(*continued)

    assert sent == [c.pk for c in conversations]
    assert continued == [conversations[1].pk]


def test_the_sweep_runs_on_the_beat_schedule(settings):
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert "workflows.redispatch_unprocessed_events" in scheduled
    assert "workflows.fire_due_timers" in scheduled
