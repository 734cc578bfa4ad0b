"""Consumes the event outbox, one conversation at a time, oldest event first."""

import logging

from django.db import transaction
from django.utils import timezone

from conversations.models import Conversation, Event
from conversations.services import conversation_lock

logger = logging.getLogger(__name__)


def process_conversation_events(conversation_id: int) -> int:
    """Process a conversation's unprocessed events; return how many were processed.

    1. Lock the conversation row: one processor per conversation at a time, so its
       events are handled in the order they happened, whatever the number of workers.
    2. Read its unprocessed events, oldest first (under the lock, so a second delivery
       of the same task finds them already processed and does nothing).
    3. Handle each and mark it processed in the same transaction as its effects.

    The workflow engine plugs in at step 3; until then handling an event is a no-op.
    """
    with transaction.atomic():
        try:
            conversation_lock(conversation_id)
        except Conversation.DoesNotExist:
            return 0
        events = list(
            Event.objects.filter(conversation_id=conversation_id, processed_at__isnull=True)
        )
        if not events:
            return 0
        Event.objects.filter(pk__in=[event.pk for event in events]).update(
            processed_at=timezone.now()
        )
    logger.debug("processed %d events of conversation %d", len(events), conversation_id)
    return len(events)
