"""Celery tasks of webhooks: one attempt per task run, retried by Celery with the
growing delays of webhooks/events.py (the long ones by the sweep); a sweep re-sends
what a lost message left."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.db.models import Exists, OuterRef
from django.utils import timezone

from webhooks import events as core

# The sweep's batch; a full one sends the sweep again at once.
SWEEP_BATCH_SIZE = 500


@shared_task(
    bind=True,
    name="webhooks.send_delivery",
    # A database that is away for a moment; the receiver's failures are retried below.
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_backoff_max=30,
    retry_jitter=True,
    # Celery's own count is not the schedule's (a sweep or a redeliver starts a new
    # message): the delivery's attempt count decides when it has failed for good.
    max_retries=core.RETRIES + 10,
)
def send_webhook_delivery_task(self, delivery_pk: int, forced: bool = False) -> bool:
    """One attempt at a delivery; a failure is retried after its delay (Celery's retry,
    countdown from webhooks/events.retry_delays); once it is done, its conversation's
    next delivery to that endpoint goes."""
    from webhooks.sending import attempt_delivery

    outcome = attempt_delivery(delivery_pk, forced=forced, early_ok=bool(self.request.is_eager))
    if outcome.follow is not None:
        send_webhook_delivery_task.delay(outcome.follow)
    if outcome.retry_in is not None and outcome.retry_in <= settings.TIMER_ETA_HORIZON_SECONDS:
        raise self.retry(args=(delivery_pk,), kwargs={}, countdown=outcome.retry_in)
    # A longer wait is left to the sweep (next_attempt_at is stored): Redis hands a held
    # ETA message to a worker again every visibility_timeout, so hours-long countdowns
    # would pile up copies (as timers do: TIMER_ETA_HORIZON_SECONDS).
    return outcome.attempted


@shared_task(
    name="webhooks.resend_overdue_deliveries",
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=2,
)
def resend_overdue_deliveries_task() -> int:
    """Send again the pending deliveries whose attempt is overdue by more than the grace
    (their task message was lost: a broker restart, a killed worker): first in line of
    their conversation, endpoint on, not being sent. A lost message delays, never loses."""
    from webhooks.models import WebhookDelivery

    now = timezone.now()
    pending = WebhookDelivery.Status.PENDING
    earlier = WebhookDelivery.objects.filter(
        endpoint_id=OuterRef("endpoint_id"),
        conversation_id=OuterRef("conversation_id"),
        status=pending,
        pk__lt=OuterRef("pk"),
    )
    overdue = list(
        WebhookDelivery.objects.filter(
            status=pending,
            endpoint__active=True,
            next_attempt_at__lt=now - timedelta(seconds=settings.WEBHOOK_SWEEP_GRACE_SECONDS),
        )
        .exclude(sending_until__gte=now)
        .exclude(Exists(earlier))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH_SIZE]
    )
    # Due again only after another grace: not sent at every sweep while it waits in line.
    WebhookDelivery.objects.filter(pk__in=overdue).update(next_attempt_at=now)
    for pk in overdue:
        send_webhook_delivery_task.delay(pk)
    if len(overdue) == SWEEP_BATCH_SIZE:
        resend_overdue_deliveries_task.delay()
    return len(overdue)
