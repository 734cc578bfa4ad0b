"""Deliveries from the outbox to a real HTTP receiver on loopback (Celery eager: each
task, and each of Celery's retries, runs inline)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from conversations import services as conversation_services
from conversations.actors import Actor
from tests.factories import ContactFactory, TeammateFactory
from tests.webhooks.helpers import deliveries_of, endpoint_for, process_and_send
from tests.webhooks.receiver import signature_is_valid
from tests.workflows.helpers import make_workflow, process
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.sending import attempt_delivery
from webhooks.tasks import resend_overdue_deliveries_task

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


def test_an_event_reaches_the_receiver_signed_with_the_endpoints_secret(
    receiver, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver, events=["conversation.opened"])
    conversation = conversation_services.conversation_open(contact=ContactFactory(), body="Hi")

    process_and_send(conversation, django_capture_on_commit_callbacks)

    [received] = receiver.received  # the customer's message is not subscribed
    assert signature_is_valid(endpoint.secret, received)
    assert not signature_is_valid("whsec_someone_else", received)
    body = received.json
    assert body["type"] == "conversation.opened"
    assert body["id"] == received.delivery_id
    assert body["data"]["conversation"] == {"id": conversation.pk}
    assert received.headers["content-type"] == "application/json"
    delivery = deliveries_of(endpoint).get()
    assert str(delivery.delivery_id) == body["id"] and delivery.status == Status.DELIVERED


def test_a_receiver_failing_twice_gets_the_same_delivery_three_times(
    receiver, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver, events=["conversation.customer_message"])
    receiver.answers = [(500, 0), (500, 0), (200, 0)]
    conversation = conversation_services.conversation_open(contact=ContactFactory(), body="Hi")

    process_and_send(conversation, django_capture_on_commit_callbacks)

    assert len(receiver.received) == 3
    assert len({received.delivery_id for received in receiver.received}) == 1
    assert len({received.body for received in receiver.received}) == 1  # idempotent body
    delivery = deliveries_of(endpoint).get()
    assert delivery.status == Status.DELIVERED
    assert [a.status_code for a in delivery.attempts.all()] == [500, 500, 200]
    assert delivery.attempts.first().error == "HTTP 500"


def test_a_slow_receiver_times_out_and_the_delivery_is_retried(
    receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    endpoint = endpoint_for(receiver, events=["conversation.opened"])
    receiver.answers = [(200, 3)]  # answers, but too late
    conversation = conversation_services.conversation_open(contact=ContactFactory(), body="Hi")

    process_and_send(conversation, django_capture_on_commit_callbacks)

    delivery = deliveries_of(endpoint).get()
    first, second = delivery.attempts.all()
    assert "1 s" in first.error and first.status_code is None
    assert second.status_code == 200
    assert delivery.status == Status.DELIVERED


def test_workflow_runs_starting_and_ending_are_sent(receiver, django_capture_on_commit_callbacks):
    workflow = make_workflow("Tagger", steps=[{"type": "add_tag", "tag": "vip"}])
    subscribed = ["workflow.run_started", "workflow.run_ended", "conversation.tag_added"]
    endpoint_for(receiver, events=subscribed)
    conversation = conversation_services.conversation_open(contact=ContactFactory(), body="Hi")

    process_and_send(conversation, django_capture_on_commit_callbacks)

    bodies = [received.json for received in receiver.received]
    # In the order of the conversation's processing (one delivery after the other).
    assert [body["type"] for body in bodies] == [
        "conversation.tag_added",
        "workflow.run_started",
        "workflow.run_ended",
    ]
    ended = next(body for body in bodies if body["type"] == "workflow.run_ended")
    assert ended["data"]["workflow"] == {"id": workflow.pk, "name": "Tagger"}
    assert ended["data"]["run"]["status"] == "completed"
    tag = next(body for body in bodies if body["type"] == "conversation.tag_added")
    assert tag["data"]["details"]["tag"] == "vip"


def test_a_conversations_deliveries_wait_in_line_behind_an_earlier_pending_one(
    receiver, settings, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver, events=["conversation.customer_message"])
    conversation = conversation_services.conversation_open(contact=ContactFactory(), body="one")
    receiver.down = True
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=False):
        process(conversation)  # its delivery is pending, its task lost
    for body in ("two", "three"):
        conversation_services.conversation_customer_message(conversation=conversation, body=body)
    process_and_send(conversation, django_capture_on_commit_callbacks)

    assert receiver.received == []  # "two" and "three" wait behind "one"
    receiver.down = False
    later = timezone.now() + timedelta(minutes=5)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert resend_overdue_deliveries_task() == 1  # the first in line only

    assert [r.json["data"]["details"]["body"] for r in receiver.received] == [
        "one",
        "two",
        "three",
    ]
    assert set(deliveries_of(endpoint).values_list("status", flat=True)) == {Status.DELIVERED}


def test_an_endpoint_failing_every_delivery_for_a_day_is_switched_off_and_says_why(
    receiver, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver, events=["conversation.customer_message"])
    receiver.down = True
    start = timezone.now()
    conversation = conversation_services.conversation_open(contact=ContactFactory(), body="one")
    with django_capture_on_commit_callbacks(execute=False):
        process(conversation)

    delivery = deliveries_of(endpoint).get()
    for hours in (0, 6, 12, 23):
        with time_machine.travel(start + timedelta(hours=hours), tick=False):
            attempt_delivery(delivery.pk, early_ok=True)
            endpoint.refresh_from_db()
            assert endpoint.active
    with time_machine.travel(start + timedelta(hours=24, minutes=5), tick=False):
        attempt_delivery(delivery.pk, early_ok=True)

    endpoint.refresh_from_db()
    assert not endpoint.active
    assert endpoint.disabled_reason["kind"] == "failing"
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING  # kept: switched on again, it goes
    receiver.down = False
    with django_capture_on_commit_callbacks(execute=True):
        services.endpoint_update(endpoint, active=True)
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).disabled_reason is None


def test_a_success_in_between_starts_the_day_of_failures_over(receiver):
    endpoint = endpoint_for(receiver)
    start = timezone.now()
    receiver.down = True
    with time_machine.travel(start, tick=False):
        test_delivery = services.send_test_event(endpoint)

        attempt_delivery(test_delivery.pk, forced=True)
    receiver.down = False
    with time_machine.travel(start + timedelta(hours=20), tick=False):
        attempt_delivery(test_delivery.pk, forced=True)
    receiver.down = True
    with time_machine.travel(start + timedelta(hours=30), tick=False):
        attempt_delivery(test_delivery.pk, forced=True)
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.failing_since is not None


def test_a_destination_refused_at_send_time_is_an_attempt_that_says_why(
    receiver, settings, django_capture_on_commit_callbacks
):
    endpoint = endpoint_for(receiver, events=["conversation.opened"])
    settings.OUTBOUND_ALLOWED_HOSTS = []  # loopback no longer allowed
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    conversation = conversation_services.conversation_open(contact=ContactFactory(), body="Hi")

    process_and_send(conversation, django_capture_on_commit_callbacks)

    assert receiver.received == []
    delivery = deliveries_of(endpoint).get()
    assert "OUTBOUND_ALLOWED_HOSTS" in delivery.attempts.first().error
    assert delivery.status == Status.FAILED  # every retry refused too


def test_unsubscribed_events_and_inactive_endpoints_get_nothing(
    receiver, django_capture_on_commit_callbacks
):
    endpoint_for(receiver, events=["conversation.note"])
    endpoint_for(receiver, events=["*"], active=False)
    conversation = conversation_services.conversation_open(contact=ContactFactory(), body="Hi")
    conversation_services.conversation_assign(
        conversation=conversation, assignee=TeammateFactory(), acting=Actor.system()
    )

    process_and_send(conversation, django_capture_on_commit_callbacks)

    assert receiver.received == []
    assert WebhookDelivery.objects.count() == 0


def test_deliveries_are_written_with_the_processing_so_a_rollback_loses_and_doubles_nothing(
    receiver, django_capture_on_commit_callbacks
):
    from django.db import transaction

    endpoint = endpoint_for(receiver, events=["conversation.opened"])
    conversation = conversation_services.conversation_open(contact=ContactFactory(), body="Hi")

    class WorkerDied(Exception):
        pass

    with pytest.raises(WorkerDied), transaction.atomic():
        process(conversation)
        assert deliveries_of(endpoint).count() == 1
        raise WorkerDied  # before the commit: events unprocessed, no delivery either
    assert deliveries_of(endpoint).count() == 0

    process_and_send(conversation, django_capture_on_commit_callbacks)
    process_and_send(conversation, django_capture_on_commit_callbacks)  # nothing left

    assert deliveries_of(endpoint).count() == 1
    assert len(receiver.received) == 1


def test_retries_hours_away_are_left_to_the_sweep_and_sent_when_due(
    receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 600  # first retry in 10 min: past the ETA horizon
    endpoint = endpoint_for(receiver, events=["conversation.opened"])
    receiver.answers = [(502, 0)]
    conversation = conversation_services.conversation_open(contact=ContactFactory(), body="Hi")

    process_and_send(conversation, django_capture_on_commit_callbacks)

    delivery = deliveries_of(endpoint).get()
    assert delivery.status == Status.PENDING and delivery.attempt_count == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert resend_overdue_deliveries_task() == 0  # not due yet
    with time_machine.travel(delivery.next_attempt_at + timedelta(minutes=2), tick=False):
        assert resend_overdue_deliveries_task() == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert [r.delivery_id for r in receiver.received] == [str(delivery.delivery_id)] * 2
