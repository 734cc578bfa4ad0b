"""Webhook deliveries through a real Celery worker (and beat) on the real broker, to a
real receiver on loopback: Celery's retries with their countdowns, a receiver that is
down during a burst, and task messages the broker lost."""

import pytest

from config.celery import app as celery_app
from conversations import services
from tests.factories import ContactFactory
from tests.integration.conftest import wait_for
from tests.webhooks.receiver import signature_is_valid, start_receiver
from webhooks import services as webhook_services
from webhooks.models import WebhookDelivery
from workflows.processing import process_conversation_events

pytestmark = pytest.mark.integration

TIMEOUT_SECONDS = 120
Status = WebhookDelivery.Status


@pytest.fixture
def receiver(celery_processes, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    celery_processes.env.update(
        {
            "OUTBOUND_ALLOWED_HOSTS": "127.0.0.1",
            # Retries after 1, 2, 4, 8… seconds; a lost task is sent again within seconds.
            "WEBHOOK_RETRY_BASE_SECONDS": "1",
            "WEBHOOK_SWEEP_GRACE_SECONDS": "3",
            "WEBHOOK_SWEEP_INTERVAL_SECONDS": "1",
        }
    )
    receiver, server = start_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


def test_a_receiver_answering_500_twice_then_200_gets_one_delivery_id_three_times(
    celery_processes, receiver
):
    endpoint = webhook_services.endpoint_create(url=receiver.url, events=["conversation.opened"])
    receiver.answers = [(500, 0), (500, 0), (200, 0)]
    celery_processes.worker()

    services.conversation_open(contact=ContactFactory(), body="Hello")

    delivery = WebhookDelivery.objects.filter(endpoint=endpoint)
    wait_for(
        lambda: delivery.filter(status=Status.DELIVERED).exists(),
        timeout=TIMEOUT_SECONDS,
        processes=celery_processes,
    )
    assert len(receiver.received) == 3
    assert len({received.delivery_id for received in receiver.received}) == 1
    assert all(signature_is_valid(endpoint.secret, r) for r in receiver.received)
    attempts = list(delivery.get().attempts.order_by("id"))
    assert [a.status_code for a in attempts] == [500, 500, 200]
    # Celery's countdowns: the second retry waited longer than the first.
    first_wait = (attempts[1].at - attempts[0].at).total_seconds()
    second_wait = (attempts[2].at - attempts[1].at).total_seconds()
    assert first_wait >= 0.9 and second_wait >= 1.9


def test_a_receiver_down_during_a_burst_of_200_events_gets_all_200_in_order(
    celery_processes, receiver
):
    endpoint = webhook_services.endpoint_create(
        url=receiver.url, events=["conversation.opened", "conversation.customer_message"]
    )
    receiver.down = True
    celery_processes.worker()
    celery_processes.beat()
    conversations = []
    for number in range(50):  # opened + 3 messages each: 200 events
        conversation = services.conversation_open(contact=ContactFactory(), body=f"{number}: 1")
        for message in (2, 3):
            services.conversation_customer_message(
                conversation=conversation, body=f"{number}: {message}"
            )
        conversations.append(conversation)
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    wait_for(lambda: deliveries.count() == 200, timeout=TIMEOUT_SECONDS, processes=celery_processes)
    wait_for(lambda: len(receiver.received) >= 20, timeout=30, processes=celery_processes)
    assert not deliveries.filter(status=Status.DELIVERED).exists()

    receiver.down = False  # back up
    wait_for(
        lambda: deliveries.filter(status=Status.DELIVERED).count() == 200,
        timeout=TIMEOUT_SECONDS,
        processes=celery_processes,
    )
    delivered = receiver.delivered()
    assert len({r.delivery_id for r in delivered}) == 200
    # Each conversation's deliveries arrived in the order of its events.
    for conversation in conversations:
        bodies = [
            r.json["data"]["details"]["body"]
            for r in delivered
            if r.json["data"]["conversation"]["id"] == conversation.pk
            and r.json["type"] == "conversation.customer_message"
        ]
        number = conversations.index(conversation)
        assert bodies == [f"{number}: 1", f"{number}: 2", f"{number}: 3"]


def test_deliveries_whose_task_messages_the_broker_lost_are_sent_by_the_sweep(
    celery_processes, receiver
):
    endpoint = webhook_services.endpoint_create(url=receiver.url, events=["conversation.opened"])
    conversation = services.conversation_open(contact=ContactFactory(), body="Hello")
    # Processed here, committed: the delivery is stored and its task message published…
    process_conversation_events(conversation.pk)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == Status.PENDING
    celery_app.control.purge()  # …and lost with everything else in the queue.

    celery_processes.worker()
    celery_processes.beat()
    wait_for(
        lambda: WebhookDelivery.objects.get(pk=delivery.pk).status == Status.DELIVERED,
        timeout=TIMEOUT_SECONDS,
        processes=celery_processes,
    )
    assert [r.delivery_id for r in receiver.received] == [str(delivery.delivery_id)]
