"""The imperative shell of a delivery attempt: claim it, POST it through the outbound
client (config/outbound.py: checked destination, no redirects, time-out, capped answer),
keep the attempt, and say what comes next. The task (webhooks/tasks.py) schedules it."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.outbound import OutboundRefused, send
from webhooks import events as core
from webhooks.models import ANSWER_START_LENGTH, WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

USER_AGENT = "Inbox-Workflows-Webhooks/1"
# A claimed delivery is held this much longer than the request may take.
CLAIM_MARGIN_SECONDS = 5
# A task that comes this early for its attempt is a stray copy: the retry's comes later.
EARLY_TOLERANCE = timedelta(seconds=1)


@dataclass(frozen=True)
class Outcome:
    attempted: bool
    retry_in: int | None = None  # seconds: send again then
    follow: int | None = None  # the next delivery of the conversation to send now


SKIPPED = Outcome(attempted=False)


def retry_base_seconds() -> int:
    return settings.WEBHOOK_RETRY_BASE_SECONDS


def earlier_pending_exists(delivery: WebhookDelivery) -> bool:
    """Deliveries of a conversation to an endpoint go in order: one waits while an
    earlier one is pending (it sends this one when it is done)."""
    if delivery.conversation_id is None:
        return False
    return WebhookDelivery.objects.filter(
        endpoint_id=delivery.endpoint_id,
        conversation_id=delivery.conversation_id,
        status=WebhookDelivery.Status.PENDING,
        pk__lt=delivery.pk,
    ).exists()


def next_in_line(delivery: WebhookDelivery) -> int | None:
    if delivery.conversation_id is None:
        return None
    return (
        WebhookDelivery.objects.filter(
            endpoint_id=delivery.endpoint_id,
            conversation_id=delivery.conversation_id,
            status=WebhookDelivery.Status.PENDING,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )


def claim(pk: int, now, *, forced: bool) -> bool:
    """Hold the delivery for this send; False when another send holds it (or, unless
    forced, when it is no longer pending)."""
    rows = WebhookDelivery.objects.filter(pk=pk).filter(
        Q(sending_until__isnull=True) | Q(sending_until__lt=now)
    )
    if not forced:
        rows = rows.filter(status=WebhookDelivery.Status.PENDING)
    held_until = now + timedelta(seconds=settings.WEBHOOK_TIMEOUT_SECONDS + CLAIM_MARGIN_SECONDS)
    return bool(rows.update(sending_until=held_until))


def attempt_delivery(pk: int, *, forced: bool = False, early_ok: bool = False) -> Outcome:
    """One attempt at the delivery `pk`. `forced` (redeliver, test event): whatever its
    status, its endpoint's switch or its place in line, and never retried."""
    now = timezone.now()
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=pk).first()
    if delivery is None:
        return SKIPPED
    if not forced:
        if delivery.status != WebhookDelivery.Status.PENDING or not delivery.endpoint.active:
            return SKIPPED
        if not early_ok and delivery.next_attempt_at > now + EARLY_TOLERANCE:
            return SKIPPED
        if earlier_pending_exists(delivery):
            return SKIPPED
    if not claim(pk, now, forced=forced):
        return SKIPPED

    endpoint = delivery.endpoint
    body = core.raw_body(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Inbox-Delivery": str(delivery.delivery_id),
        "Inbox-Signature": core.signature_header(endpoint.secret, int(now.timestamp()), body),
    }
    try:
        result = send(
            "POST",
            endpoint.url,
            headers=headers,
            content=body,
            timeout=float(settings.WEBHOOK_TIMEOUT_SECONDS),
        )
        status_code, duration_ms, answer = result.status_code, result.duration_ms, result.body
        error = core.attempt_problem(status_code, result.error)
    except OutboundRefused as refused:
        status_code, duration_ms, answer, error = None, 0, b"", str(refused)
    return record_attempt(
        pk,
        forced=forced,
        status_code=status_code,
        duration_ms=duration_ms,
        answer_start=answer[:ANSWER_START_LENGTH].decode("utf-8", "replace"),
        error=error,
    )


@transaction.atomic
def record_attempt(pk, *, forced, status_code, duration_ms, answer_start, error) -> Outcome:
    now = timezone.now()
    delivery = WebhookDelivery.objects.select_for_update().get(pk=pk)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    WebhookAttempt.objects.create(
        delivery=delivery,
        at=now,
        status_code=status_code,
        duration_ms=max(0, int(duration_ms or 0)),
        error=error[:500],
        answer_start=answer_start[:ANSWER_START_LENGTH],
    )
    delivery.attempt_count += 1
    delivery.sending_until = None
    retry_in = None
    was_pending = delivery.status == WebhookDelivery.Status.PENDING
    if not error:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.ended_at = now
        if endpoint.failing_since is not None:
            endpoint.failing_since = None
            endpoint.save(update_fields=["failing_since", "updated_at"])
    else:
        if endpoint.failing_since is None:
            endpoint.failing_since = now
            endpoint.save(update_fields=["failing_since", "updated_at"])
        elif endpoint.active:
            reason = core.disable_decision(
                endpoint.failing_since,
                now,
                timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS),
                error,
            )
            if reason is not None:
                endpoint.active = False
                endpoint.disabled_reason = reason
                endpoint.save(update_fields=["active", "disabled_reason", "updated_at"])
                from webhooks.outbox import subscriptions_changed

                subscriptions_changed()
                logger.warning("Webhook endpoint %s switched off: failing for a day.", endpoint.pk)
        if was_pending and not forced:
            retry_in = core.next_delay(delivery.attempt_count, retry_base_seconds())
            if retry_in is None:
                delivery.status = WebhookDelivery.Status.FAILED
                delivery.ended_at = now
            else:
                delivery.next_attempt_at = now + timedelta(seconds=retry_in)
        elif was_pending and delivery.event_type == core.TEST_EVENT_TYPE:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.ended_at = now
    delivery.save(
        update_fields=[
            "attempt_count",
            "sending_until",
            "status",
            "ended_at",
            "next_attempt_at",
        ]
    )
    follow = None
    if was_pending and delivery.status != WebhookDelivery.Status.PENDING:
        follow = next_in_line(delivery)
    return Outcome(attempted=True, retry_in=retry_in, follow=follow)
