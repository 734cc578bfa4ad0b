"""Changes to webhook endpoints, and the sends an admin asks for (test event, redeliver)."""

import uuid

from django.db import transaction
from django.utils import timezone

from conversations.audit import record_change
from webhooks import events as core
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.outbox import send_on_commit, subscriptions_changed


def audited_fields(endpoint: WebhookEndpoint) -> dict:
    """What the audit log keeps of an endpoint: never its secret."""
    return {"url": endpoint.url, "events": list(endpoint.events), "active": endpoint.active}


def _record(actor, endpoint, before, after) -> None:
    record_change(actor, "webhook", endpoint.pk, endpoint.url, before, after)


@transaction.atomic
def endpoint_create(
    *, url: str, events: list[str], active: bool = True, secret: str = "", actor=None
):
    endpoint = WebhookEndpoint(url=url, events=events, active=active)
    if secret:
        endpoint.secret = secret
    endpoint.save()
    subscriptions_changed()
    _record(actor, endpoint, None, audited_fields(endpoint))
    return endpoint


@transaction.atomic
def endpoint_update(endpoint: WebhookEndpoint, actor=None, **changes) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = audited_fields(endpoint)
    for name, value in changes.items():
        setattr(endpoint, name, value)
    if changes.get("active"):
        # Switched on again by an admin: the day of failures starts over.
        endpoint.disabled_reason = None
        endpoint.failing_since = None
    endpoint.save()
    subscriptions_changed()
    _record(actor, endpoint, before, audited_fields(endpoint))
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
def endpoint_delete(endpoint: WebhookEndpoint, actor=None) -> None:
    _record(actor, endpoint, audited_fields(endpoint), None)
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
