"""Snooze timers: an ETA task per snooze, and a sweep behind it for any the broker lost."""

from celery import shared_task
from django.utils import timezone

from config.celery import TASK_RETRY_POLICY

# Conversations woken per sweep run; a full batch re-enqueues the sweep at once.
SNOOZE_SWEEP_BATCH_SIZE = 200


@shared_task(name="conversations.wake_snoozed_conversation", **TASK_RETRY_POLICY)
def wake_snoozed_conversation_task(conversation_id: int) -> bool:
    from conversations.services import conversation_wake_if_due

    return conversation_wake_if_due(conversation=conversation_id)


@shared_task(name="conversations.wake_due_snoozed_conversations", **TASK_RETRY_POLICY)
def wake_due_snoozed_conversations_task() -> int:
    from conversations.models import Conversation
    from conversations.services import conversation_wake_if_due

    now = timezone.now()
    due_ids = list(
        Conversation.objects.filter(
            state=Conversation.State.SNOOZED, snoozed_until__lte=now
        ).values_list("pk", flat=True)[:SNOOZE_SWEEP_BATCH_SIZE]
    )
    woken = sum(conversation_wake_if_due(conversation=pk, now=now) for pk in due_ids)
    if len(due_ids) == SNOOZE_SWEEP_BATCH_SIZE:
        wake_due_snoozed_conversations_task.delay()
    return woken
