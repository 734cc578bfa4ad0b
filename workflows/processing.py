"""The entry points of processing: lock a conversation, run the processor on it
(workflows/orchestrator.py), record a failure. Used by the Celery tasks and the batched
consumer (workflows/consumer.py), and by an archive that ends a workflow's runs."""

from django.db import transaction
from django.utils import timezone

from conversations import services
from conversations.models import Conversation
from workflows import failures as processing_failures
from workflows.models import WorkflowRun
from workflows.orchestrator import ConversationProcessor
from workflows.run_rows import lock_conversation

# What a locked conversation is read with: the processor needs them all.
PROCESSING_RELATED = ("contact__company", "assignee", "team", "processing_failure")


def process_conversation_events(conversation_id: int) -> int:
    """Process a conversation's pending events and due timers; return the events handled.

    Idempotent: under the lock, a second delivery finds nothing left to do.

    1. lock the conversation; if an earlier failure parked it until a retry time still
       to come, do nothing (the sweeps send it again then);
    2. process; on success, forget any earlier failure (in the same transaction);
    3. on an error that is not the database's or the network's (workflows/failures.py),
       record the failure in its own transaction once this one rolled back, and raise.
    """
    try:
        with transaction.atomic():
            try:
                conversation = _lock_for_processing(conversation_id, reads_own_events=True)
            except Conversation.DoesNotExist:
                return 0
            failure = getattr(conversation, "processing_failure", None)
            if failure is not None and failure.retry_at > timezone.now():
                return 0
            handled = ConversationProcessor(conversation).run()
            if failure is not None:
                failure.delete()
    except Exception as error:
        if not processing_failures.is_transient(error):
            processing_failures.processing_failure_record(conversation_id, error)
        raise
    return handled


def process_locked_conversation(conversation: Conversation, *, savepoint: bool = True) -> int:
    """`process_conversation_events` for a conversation the caller has locked in its own
    transaction (with `_lock_for_processing`'s related rows), e.g. one of a batch the
    outbox consumer claimed (workflows/consumer.py).

    In a savepoint: an error rolls back this conversation's work only, is recorded as
    its failure (after the rollback, in the caller's transaction) unless it is the
    database's passing trouble, and is raised for the caller to decide. Without one
    (`savepoint=False`, two queries less) an error dooms the caller's transaction: the
    caller rolls back and records the failure itself.
    """
    services.conversation_mark_locked(conversation, reads_own_events=True)
    try:
        with transaction.atomic(savepoint=savepoint):
            failure = getattr(conversation, "processing_failure", None)
            if failure is not None and failure.retry_at > timezone.now():
                return 0
            handled = ConversationProcessor(conversation).run()
            if failure is not None:
                failure.delete()
    except Exception as error:
        if savepoint and not processing_failures.is_transient(error):
            processing_failures.processing_failure_record(conversation.pk, error)
        raise
    return handled


def interrupt_runs_of_workflow(workflow, reason: str = "") -> int:
    """End every active run of a workflow being archived, inside the caller's transaction.

    The conversations are locked in id order (the lock the orchestrator takes, in one
    order, so two archives cannot deadlock each other), then each run ends as
    interrupted through the processor: bot inboxes are left, held-back assignments
    applied, and an `interrupted` log record says why (its words come from the record,
    workflows/log_words.py; `reason` is not used).
    """
    conversation_ids = sorted(
        set(
            WorkflowRun.objects.filter(
                workflow_id=workflow.pk, status__in=WorkflowRun.ACTIVE
            ).values_list("conversation_id", flat=True)
        )
    )
    for conversation_id in conversation_ids:
        try:
            conversation = _lock_for_processing(conversation_id)
        except Conversation.DoesNotExist:
            continue
        processor = ConversationProcessor(conversation)
        for run in [r for r in processor.runs if r.workflow_id == workflow.pk]:
            processor.end_archived_run(run, workflow)
        processor.flush_logs()
        processor.record_webhook_deliveries()
    return len(conversation_ids)


def _lock_for_processing(conversation_id: int, *, reads_own_events: bool = False) -> Conversation:
    """The conversation locked for this transaction. `reads_own_events`: the caller's loop
    reads the events its changes write before it commits (no task is sent for them); an
    archive's changes are not read back, so their events are dispatched as usual."""
    conversation = lock_conversation(conversation_id, PROCESSING_RELATED)
    if conversation is None:
        raise Conversation.DoesNotExist(f"Conversation {conversation_id} does not exist.")
    return services.conversation_mark_locked(conversation, reads_own_events=reads_own_events)
