"""Short timers fire, once, through real workers: when the worker holding the ETA task
is killed and another starts, and when the ETA message is lost (the sweep)."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation, EventType
from tests.factories import ContactFactory
from tests.integration.conftest import wait_for
from tests.workflows.helpers import make_workflow, runs_of, tag_names
from workflows.models import Timer, WorkflowRun

pytestmark = pytest.mark.integration

TIMEOUT_SECONDS = 90


def test_a_wait_fires_once_after_its_worker_is_killed_and_another_starts(celery_processes):
    workflow = make_workflow(
        "Later",
        trigger="customer_first_message",
        steps=[{"type": "wait", "duration": "4s"}, {"type": "add_tag", "tag": "Waited"}],
    )
    celery_processes.worker("first")
    celery_processes.beat()
    conversation = services.conversation_open(contact=ContactFactory(), body="Hello")

    wait_for(
        lambda: runs_of(conversation, workflow).filter(status=WorkflowRun.Status.WAITING).exists(),
        timeout=TIMEOUT_SECONDS,
        processes=celery_processes,
    )
    # The first worker holds the timer's ETA task; it dies before the due time.
    celery_processes.kill("first")
    time.sleep(1)
    celery_processes.worker("second")

    wait_for(
        lambda: tag_names(conversation) == ["Waited"],
        timeout=TIMEOUT_SECONDS,
        processes=celery_processes,
    )
    time.sleep(3)  # any second delivery would have acted by now
    assert runs_of(conversation, workflow).get().status == WorkflowRun.Status.COMPLETED
    assert conversation.parts.filter(part_type="tag_added").count() == 1


def test_a_snooze_wakes_once_by_the_sweep_after_the_worker_holding_its_eta_is_killed(
    celery_processes, teammate
):
    celery_processes.worker("first")
    celery_processes.beat()
    conversation = services.conversation_open(contact=ContactFactory(), body="Hello")
    services.conversation_snooze(
        conversation=conversation,
        until=timezone.now() + timedelta(seconds=4),
        acting=Actor.teammate(teammate),
    )
    # The first worker processes the snooze's event: it sets the timer and holds its ETA.
    wait_for(
        lambda: Timer.objects.filter(conversation=conversation, kind="snooze").exists(),
        timeout=TIMEOUT_SECONDS,
        processes=celery_processes,
    )
    celery_processes.kill("first")
    time.sleep(1)
    celery_processes.worker("second")

    wait_for(
        lambda: Conversation.objects.get(pk=conversation.pk).state == Conversation.State.OPEN,
        timeout=TIMEOUT_SECONDS,
        processes=celery_processes,
    )
    time.sleep(3)  # any second firing would have acted by now
    assert conversation.events.filter(event_type=EventType.UNSNOOZED).count() == 1
    assert Timer.objects.get(conversation=conversation, kind="snooze").fired_at is not None
