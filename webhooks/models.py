"""Webhook endpoints, their deliveries (one per event and endpoint) and every attempt."""

import secrets
import uuid

from django.db import models
from django.utils import timezone

# Shown to admins once, on creation; kept to sign deliveries (an HMAC needs the secret).
SECRET_PREFIX = "whsec_"
SECRET_MAX_LENGTH = 200
# How much of a receiver's answer an attempt keeps (the page shows its start).
ANSWER_START_LENGTH = 500


def new_webhook_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    url = models.URLField(max_length=2000)
    # Event types (webhooks/events.py EVENT_TYPES) or ["*"] for all of them.
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    secret = models.CharField(max_length=SECRET_MAX_LENGTH, default=new_webhook_secret)
    # Since when every attempt failed (None after a success): a day of it switches it off.
    failing_since = models.DateTimeField(null=True, blank=True)
    # Why it was switched off, as a record (kind + fields; workflows/vocabulary.py says it).
    disabled_reason = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    # The public id (Inbox-Delivery), the same on every attempt; the integer id orders a
    # conversation's deliveries as their events were processed.
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    conversation_id = models.BigIntegerField(null=True, blank=True)
    event_type = models.CharField(max_length=60)
    # The JSON body's fields: {id, type, created_at, data}.
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveIntegerField(default=0)
    # When the next attempt is due (the retry's countdown; the sweep's reference).
    next_attempt_at = models.DateTimeField(default=timezone.now)
    # A worker sending it holds it until then (no two sends of one delivery at once).
    sending_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The sweep: pending deliveries whose attempt is overdue.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_pending_due",
            ),
            # The order of a conversation's deliveries to one endpoint.
            models.Index(
                fields=["endpoint", "conversation_id", "id"],
                condition=models.Q(status="pending"),
                name="webhook_delivery_pending_conv",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.delivery_id}"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    answer_start = models.CharField(max_length=ANSWER_START_LENGTH, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Attempt at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"
