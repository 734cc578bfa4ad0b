"""E-mail for notifications (conversations/notifications.py): queued after the commit
that wrote the notification; sent only to a teammate away from the inbox."""

import logging
from datetime import timedelta
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from config.celery import TASK_RETRY_POLICY
from conversations import notifications
from conversations.models import Notification
from workflows import vocabulary

logger = logging.getLogger(__name__)

# The mail server away or refusing for a while: try again, waiting longer each time
# (about 10 minutes in all), then give up (the notification stays in the bell).
EMAIL_RETRY_POLICY = {
    **TASK_RETRY_POLICY,
    "autoretry_for": (*TASK_RETRY_POLICY["autoretry_for"], SMTPException, OSError),
    "max_retries": 6,
    "retry_backoff": 10,
    "retry_backoff_max": 300,
}


@shared_task(name="inbox.email_notification", **EMAIL_RETRY_POLICY)
def email_notification_task(notification_id: int) -> bool:
    """Send this notification's e-mail if its teammate is away from the inbox; True when
    sent."""
    notification = (
        Notification.objects.select_related("recipient", "conversation__contact")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None:
        return False
    recipient = notification.recipient
    now = timezone.now()
    if not notifications.should_email(
        read=notification.read_at is not None,
        emailed=notification.emailed_at is not None,
        recipient_active=recipient.is_active,
        recipient_email=recipient.email,
        seen_at=recipient.inbox_seen_at,
        now=now,
        away_after=timedelta(minutes=settings.NOTIFICATION_EMAIL_AWAY_MINUTES),
    ):
        return False
    words = vocabulary.notification_words(
        notification.kind, notification.actor_name, notification.conversation.contact
    )
    url = settings.INBOX_BASE_URL + reverse(
        "inbox:conversation", args=[notification.conversation_id]
    )
    body = f"{words}.\n\n{vocabulary.NOTIFICATION_EMAIL_FOOTER.format(url=url)}\n"
    send_mail(words, body, None, [recipient.email])
    Notification.objects.filter(pk=notification.pk).update(emailed_at=now)
    # The notification, never the address or the server's settings.
    logger.info("E-mailed notification %s.", notification.pk)
    return True


def queue_notification_email(sender, instance, created, **kwargs):
    """post_save of Notification: the e-mail task once the notification is committed."""
    if created:
        transaction.on_commit(lambda: email_notification_task.delay(instance.pk))
