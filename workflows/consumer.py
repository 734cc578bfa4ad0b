"""The outbox consumer: ready conversations claimed in batches, many events per transaction.

A conversation is *ready* when it has unprocessed events and is not parked after
failures (workflows/failures.py). One batch is one transaction:

1. in one `SELECT … FOR UPDATE SKIP LOCKED`, claim the conversation the task was sent
   for and up to CONSUMER_BATCH_SIZE - 1 other ready ones, oldest pending event first:
   a conversation another worker holds is skipped, never waited for, so two batches
   cannot deadlock and never share one;
2. if the task's own conversation was held, let the others go (nothing was written)
   and start again: wait for its lock first, as the per-conversation task always did
   (§6.6: its events are processed under its lock, oldest first), then claim the others;
   a task never waits while holding rows, so it cannot deadlock with another
   transaction (an archive locks conversations one by one);
3. read all their states in one statement (`run_rows.states_read_ahead`), then
   process each in its own savepoint (`process_locked_conversation`): a poison
   conversation rolls back alone and its failure is recorded; the others stand. Alone
   in its batch, a conversation needs no savepoint (as `process_conversation_events`);
4. commit. A worker that dies before the commit loses nothing: the transaction rolls
   back, the locks go, and another worker (or the sweep) takes the conversations again.

With no backlog a task costs what `process_conversation_events` costs. Under a burst one
task takes a whole batch, and the tasks sent for the other conversations find nothing
left; when a batch is full, `consume_ready_conversations_task` drains the rest batch by
batch.
"""

import logging

from django.db import transaction
from django.db.models import Case, Min, Q, Value, When
from django.utils import timezone

from conversations.models import Conversation, Event
from workflows import failures as processing_failures
from workflows.processing import PROCESSING_RELATED, process_locked_conversation
from workflows.run_rows import lock_conversation, states_read_ahead

logger = logging.getLogger(__name__)

# Conversations per transaction. Their rows stay locked until the commit (a teammate's
# reply to one of them waits for it), so a batch is kept to well under a second: at
# ~2 ms an event, 10 conversations with a burst of 20 messages each take ~0.4 s.
CONSUMER_BATCH_SIZE = 10
# Candidates read per claim: several times the batch, so conversations other workers
# hold (skipped) still leave enough to fill it.
CLAIM_CANDIDATES_FACTOR = 4
# Batches one consume task runs before it sends itself again (lets other tasks in).
BATCHES_PER_TASK = 20


def _locking(queryset):
    # `of=self`: the joined rows (contact, team, …) are read, not locked.
    return queryset.select_related(*PROCESSING_RELATED).select_for_update(
        of=("self",), skip_locked=True
    )


def claim_ready_conversations(limit: int, *, own: int | None = None) -> list[Conversation]:
    """Lock up to `limit` ready conversations no other transaction holds (call inside
    one), `own` first if it is free (ready or not), then the oldest pending event first;
    returned in id order. One query."""
    if limit <= 0:
        return []
    pending = Event.objects.filter(processed_at__isnull=True)
    if own is not None:
        pending = pending.exclude(conversation_id=own)
    candidates = (
        pending.values("conversation_id")
        .annotate(oldest=Min("id"))
        .order_by("oldest")
        .values("conversation_id")[: limit * CLAIM_CANDIDATES_FACTOR]
    )
    parked = processing_failures.parked_conversation_ids(timezone.now())
    wanted = Q(pk__in=candidates) & ~Q(pk__in=parked)
    if own is not None:
        wanted |= Q(pk=own)
    claimed = _locking(Conversation.objects.filter(wanted)).order_by(
        Case(When(pk=own, then=Value(0)), default=Value(1)) if own is not None else "pk", "pk"
    )[:limit]
    return sorted(claimed, key=lambda conversation: conversation.pk)


def process_batch(conversation_id: int | None = None, *, size: int | None = None):
    """Process one batch (steps above); return (events handled, conversations claimed).

    Alone in its batch (no backlog), a conversation is processed as
    `process_conversation_events` does: no savepoint, its failure recorded after the
    rollback. In a batch, the error of `conversation_id` itself, if any, is raised after
    the commit (as the per-conversation task raised it); those of the others are logged
    (and recorded as their failures). The database's passing trouble rolls the whole
    batch back and is raised: the task retries it.
    """
    size = size or CONSUMER_BATCH_SIZE
    result = _process_batch(conversation_id, size, wait_for_own=False)
    if result is None:
        # Another transaction holds the task's own conversation. The claim's locks are
        # let go (nothing was written) before waiting for it: a task waiting while it
        # holds others could deadlock with a transaction that holds its own and wants
        # one of them (an archive locks conversations one by one).
        result = _process_batch(conversation_id, size, wait_for_own=True)
    return result


def _process_batch(conversation_id, size, *, wait_for_own: bool):
    """`process_batch`; None (nothing done) when the own conversation is held and
    `wait_for_own` is False."""
    own_error = None
    handled = 0
    conversations = []
    try:
        with transaction.atomic():
            # Its lock first, waiting for it as this task always did; then the others (a
            # row this transaction holds is not skipped; the claim reads it again).
            if wait_for_own and lock_conversation(conversation_id, ()) is None:
                conversation_id = None  # deleted meanwhile: the others still
            conversations = claim_ready_conversations(size, own=conversation_id)
            if conversation_id is not None and conversation_id not in {
                conversation.pk for conversation in conversations
            }:
                return None  # held by another transaction: leave holding nothing
            if len(conversations) == 1:
                handled = process_locked_conversation(conversations[0], savepoint=False)
                return handled, 1
            # Their states in one read, not one each (run_rows.states_read_ahead).
            with states_read_ahead([conversation.pk for conversation in conversations]):
                for conversation in conversations:
                    handled_here, error = _process_one(conversation)
                    handled += handled_here
                    if error is not None and conversation.pk == conversation_id:
                        own_error = error
    except Exception as error:
        if len(conversations) == 1 and not processing_failures.is_transient(error):
            processing_failures.processing_failure_record(conversations[0].pk, error)
        raise
    if own_error is not None:
        raise own_error
    return handled, len(conversations)


def _process_one(conversation: Conversation):
    try:
        return process_locked_conversation(conversation), None
    except Exception as error:
        if processing_failures.is_transient(error):
            raise  # the whole batch rolls back; the task's retry policy takes over
        logger.exception("Processing conversation %s failed in a batch", conversation.pk)
        return 0, error


def consume_ready_conversations(*, batches: int = BATCHES_PER_TASK) -> tuple[int, bool]:
    """Process batches until one is not full or `batches` ran; return (events handled,
    whether a full batch suggests more are waiting)."""
    handled = 0
    for _ in range(batches):
        handled_here, claimed = process_batch()
        handled += handled_here
        if claimed < CONSUMER_BATCH_SIZE:
            return handled, False
    return handled, True
