"""A committed change is never answered as failed: a broker that refuses the publish is
logged and left to the redispatch sweep (issue 11, item 2)."""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from kombu.exceptions import OperationalError

from conversations.models import Event
from workflows.tasks import process_conversation_events_task, redispatch_unprocessed_events_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    """Every publish of the orchestrator task fails as kombu fails when Redis is away."""

    def refuse(*args, **kwargs):
        raise OperationalError(
            "Error 111 connecting to redis://:s3cret@broker:6379/0. Connection refused."
        )

    monkeypatch.setattr(process_conversation_events_task, "delay", refuse)
    monkeypatch.setattr(process_conversation_events_task, "apply_async", refuse)


def test_it_answers_201_when_the_broker_refuses_the_publish_after_the_commit(
    teammate_api, customer, broker_down, caplog, django_capture_on_commit_callbacks
):
    with (
        caplog.at_level(logging.WARNING, logger="conversations.dispatch"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        opened = teammate_api.post(
            "/api/conversations/", {"contact": customer.pk, "body": "Hello"}, format="json"
        )

    assert opened.status_code == 201, opened.content
    events = Event.objects.filter(conversation_id=opened.json()["id"])
    assert events.count() == 2
    assert not events.filter(processed_at__isnull=False).exists()
    assert "the periodic sweep will send it" in caplog.text
    assert "s3cret" not in caplog.text


def test_the_sweep_processes_what_the_broker_refused_once_it_is_back(
    teammate_api, customer, monkeypatch, django_capture_on_commit_callbacks, settings
):
    def refuse(*args, **kwargs):
        raise OperationalError("Connection refused.")

    with monkeypatch.context() as outage, django_capture_on_commit_callbacks(execute=True):
        outage.setattr(process_conversation_events_task, "delay", refuse)
        opened = teammate_api.post(
            "/api/conversations/", {"contact": customer.pk, "body": "Hello"}, format="json"
        )
    assert opened.status_code == 201

    # The broker is back (tasks run inline here): the next sweep sends the conversation.
    later = timezone.now() + settings.EVENT_REDISPATCH_AFTER + timedelta(seconds=1)
    with time_machine.travel(later):
        assert redispatch_unprocessed_events_task() == 1

    assert not Event.objects.filter(
        conversation_id=opened.json()["id"], processed_at__isnull=True
    ).exists()


def test_after_a_failed_publish_the_next_ones_are_left_to_the_sweep_at_once(
    teammate_api, customer, monkeypatch, django_capture_on_commit_callbacks
):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OperationalError("timed out")

    monkeypatch.setattr(process_conversation_events_task, "delay", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        for body in ("one", "two", "three"):
            opened = teammate_api.post(
                "/api/conversations/", {"contact": customer.pk, "body": body}, format="json"
            )
            assert opened.status_code == 201

    # One attempt waited on the broker; the two later changes went straight to the sweep.
    assert len(attempts) == 1
    assert Event.objects.filter(processed_at__isnull=True).count() == 6
