"""Deliveries come from the outbox: when the orchestrator marks a conversation's events
processed, the deliveries of those events (and of the workflow runs that started or
ended meanwhile) are inserted in the same transaction, so an event that is processed
has its deliveries, and a rollback drops both. The tasks are sent after the commit.

The active endpoints are read with the workflow catalog, cached per process under its
version stamp (read with the rest of what the orchestrator reads): with no change, no
query; saving an endpoint bumps the stamp."""

import logging
import uuid

from django.db import transaction

from webhooks import events as core
from webhooks.models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)


def active_subscriptions() -> list[tuple[int, list[str]]]:
    """(endpoint id, event types) of the active endpoints: read with the workflow catalog
    (workflows/catalog.py), so the processing reads them again only after a change."""
    return list(WebhookEndpoint.objects.filter(active=True).values_list("id", "events"))


def subscriptions_changed() -> None:
    """Call in the transaction that changes an endpoint: every process reads them again."""
    from workflows.catalog import bump_catalog_version

    bump_catalog_version()


def conversation_events(events) -> list[core.WebhookEvent]:
    """The webhook events of outbox Event rows (those of a type that is sent)."""
    found = []
    for event in events:
        webhook_event = core.conversation_event(
            event_type=event.event_type,
            conversation_id=event.conversation_id,
            created_at=event.created_at,
            actor={"type": event.actor_type, "id": event.actor_id, "name": event.actor_name},
            details=event.payload,
        )
        if webhook_event is not None:
            found.append(webhook_event)
    return found


def record_deliveries(subscriptions, webhook_events: list[core.WebhookEvent]) -> int:
    """Insert a delivery per event and endpoint that wants it; send the first new one of
    each endpoint and conversation after the commit (the rest follow it in order)."""
    if not webhook_events or not subscriptions:
        return 0
    deliveries = []
    for event in webhook_events:
        for endpoint_id, wanted in subscriptions:
            if core.subscribes(wanted, event.type):
                delivery_id = uuid.uuid4()
                deliveries.append(
                    WebhookDelivery(
                        delivery_id=delivery_id,
                        endpoint_id=endpoint_id,
                        conversation_id=event.conversation_id,
                        event_type=event.type,
                        payload=core.body_fields(str(delivery_id), event),
                        created_at=event.created_at,
                    )
                )
    if not deliveries:
        return 0
    WebhookDelivery.objects.bulk_create(deliveries)
    first_of_each = {}
    for delivery in deliveries:
        first_of_each.setdefault((delivery.endpoint_id, delivery.conversation_id), delivery)
    send_on_commit([delivery.pk for delivery in first_of_each.values()])
    return len(deliveries)


def send_on_commit(delivery_pks: list[int]) -> None:
    def send():
        from webhooks.tasks import send_webhook_delivery_task

        for pk in delivery_pks:
            try:
                send_webhook_delivery_task.delay(pk)
            except Exception:  # the broker is away: the sweep sends it (webhooks/tasks.py)
                logger.warning("Webhook delivery %s not sent now; the sweep will send it.", pk)
                return

    transaction.on_commit(send)
