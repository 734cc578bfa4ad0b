"""Changes to webhook endpoints, and the sends an admin asks for (test event, redeliver)."""

import uuid

from django.db import transaction
from django.utils import timezone

from webhooks import events as core
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.outbox import send_on_commit, subscriptions_changed


@transaction.atomic
def endpoint_create(*, url: str, events: list[str], active: bool = True, secret: str = ""):
    endpoint = WebhookEndpoint(url=url, events=events, active=active)
    if secret:
        endpoint.secret = secret
    endpoint.save()
    subscriptions_changed()
    return endpoint


@transaction.atomic
def endpoint_update(endpoint: WebhookEndpoint, **changes) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    for name, value in changes.items():
        setattr(endpoint, name, value)
    if changes.get("active"):
        # Switched on again by an admin: the day of failures starts over.
        endpoint.disabled_reason = None
        endpoint.failing_since = None
    endpoint.save()
    subscriptions_changed()
    if changes.get("active"):
        # What waited while it was off goes now, in order (the sweep would send it too).
        send_on_commit(first_pending_of_each_conversation(endpoint))
    return endpoint


def first_pending_of_each_conversation(endpoint: WebhookEndpoint) -> list[int]:
    firsts = {}
    rows = WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING)
    for pk, conversation_id in rows.order_by("pk").values_list("pk", "conversation_id")[:1000]:
        firsts.setdefault(conversation_id if conversation_id is not None else ("alone", pk), pk)
    return list(firsts.values())


@transaction.atomic
def endpoint_delete(endpoint: WebhookEndpoint) -> None:
    endpoint.delete()
    subscriptions_changed()


@transaction.atomic
def send_test_event(endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A `webhook.test` delivery to this endpoint alone, sent once, now."""
    delivery_id = uuid.uuid4()
    event = core.WebhookEvent(
        core.TEST_EVENT_TYPE, None, timezone.now(), {"endpoint": {"id": endpoint.pk}}
    )
    delivery = WebhookDelivery.objects.create(
        delivery_id=delivery_id,
        endpoint=endpoint,
        event_type=event.type,
        payload=core.body_fields(str(delivery_id), event),
        created_at=event.created_at,
    )
    send_forced_on_commit(delivery.pk)
    return delivery


def redeliver(delivery: WebhookDelivery) -> None:
    """One more attempt now, with the same id and body, whatever its status."""
    send_forced_on_commit(delivery.pk)


def send_forced_on_commit(pk: int) -> None:
    def send():
        from webhooks.tasks import send_webhook_delivery_task

        send_webhook_delivery_task.delay(pk, forced=True)

    transaction.on_commit(send)
