from celery import shared_task
from django.conf import settings
from django.utils import timezone

from config.celery import TASK_RETRY_POLICY
from workflows.http_requests import send_http_request_task  # noqa: F401  (registers it)

# Conversations re-dispatched per sweep run; a full batch re-enqueues the sweep at once.
REDISPATCH_BATCH_SIZE = 500


@shared_task(name="workflows.process_conversation_events", **TASK_RETRY_POLICY)
def process_conversation_events_task(conversation_id: int) -> int:
    """Process the conversation, and with it, in the same transaction, other ready ones
    when there is a backlog (workflows/consumer.py); a full batch sends the consumer."""
    from conversations.dispatch import queued_clear, send_unless_queued
    from workflows.consumer import CONSUMER_BATCH_SIZE, process_batch

    # Before anything is read: an event committed from now on sends this task again.
    queued_clear(process_conversation_events_task, conversation_id)
    handled, claimed = process_batch(conversation_id)
    if claimed >= CONSUMER_BATCH_SIZE:
        send_unless_queued(consume_ready_conversations_task, "all")
    return handled


@shared_task(name="workflows.consume_ready_conversations", **TASK_RETRY_POLICY)
def consume_ready_conversations_task(key: str = "all") -> int:
    """Drain the backlog batch by batch (workflows/consumer.py); sends itself again while
    batches come back full, so other tasks get their turn in between."""
    from conversations.dispatch import queued_clear, send_unless_queued
    from workflows.consumer import consume_ready_conversations

    queued_clear(consume_ready_conversations_task, key)
    handled, more = consume_ready_conversations()
    if more:
        send_unless_queued(consume_ready_conversations_task, key)
    return handled


def dispatch_conversations(rows) -> list[int]:
    """Send the process task for each distinct conversation of `rows` (one batch), except
    those parked after failures until their retry time (workflows/failures.py) and those
    whose task is queued and not started yet (conversations/dispatch.py). Returns the
    conversations found, sent or not (the sweeps carry on after the last of them)."""
    from conversations.dispatch import queued_clear, queued_mark
    from workflows.failures import parked_conversation_ids

    parked = parked_conversation_ids(timezone.now())
    conversation_ids = list(
        rows.exclude(conversation_id__in=parked)
        .order_by("conversation_id")
        .values_list("conversation_id", flat=True)
        .distinct()[:REDISPATCH_BATCH_SIZE]
    )
    task = process_conversation_events_task
    for conversation_id in conversation_ids:
        if not queued_mark(task, conversation_id):
            continue  # sent and not started yet: it will read these rows
        try:
            # At once, whatever a web request's back-off says: this is the retry.
            task.delay(conversation_id)
        except Exception:
            queued_clear(task, conversation_id)
            raise
    return conversation_ids


@shared_task(name="workflows.redispatch_unprocessed_events", **TASK_RETRY_POLICY)
def redispatch_unprocessed_events_task(after_conversation_id: int = 0) -> int:
    """Send again the conversations whose events wait longer than they should.

    The on-commit dispatch can be lost (broker down, worker killed before the task
    was stored); this sweep bounds the delay at EVENT_REDISPATCH_AFTER plus its period.
    """
    from conversations.models import Event

    cutoff = timezone.now() - settings.EVENT_REDISPATCH_AFTER
    conversation_ids = dispatch_conversations(
        Event.objects.filter(
            processed_at__isnull=True,
            created_at__lt=cutoff,
            conversation_id__gt=after_conversation_id,
        )
    )
    if len(conversation_ids) == REDISPATCH_BATCH_SIZE:
        # Carry on past this batch (keyset), not from the start: those are queued now.
        redispatch_unprocessed_events_task.delay(conversation_ids[-1])
    return len(conversation_ids)


@shared_task(name="workflows.fire_due_timers", **TASK_RETRY_POLICY)
def fire_due_timers_task(after_conversation_id: int = 0) -> int:
    """Behind each timer's ETA task: send the conversations whose timers are due and
    unfired (waits, snoozes, silences, SLA targets: workflows/timers.py); and the ETA
    tasks of timers set beyond the ETA horizon that fall due before the next sweep.

    One query for the parked conversations and one on the unfired-timers index, however
    many timers are not due yet."""
    from workflows.models import Timer
    from workflows.timers import send_upcoming

    if not after_conversation_id:
        send_upcoming(timezone.now())
    conversation_ids = dispatch_conversations(
        Timer.objects.filter(
            fired_at__isnull=True,
            due_at__lte=timezone.now(),
            conversation_id__gt=after_conversation_id,
        )
    )
    if len(conversation_ids) == REDISPATCH_BATCH_SIZE:
        # Carry on past this batch (keyset), not from the start: those are queued now.
        fire_due_timers_task.delay(conversation_ids[-1])
    return len(conversation_ids)


# Snapshots deleted per statement by the retention sweep (a short lock each time).
SNAPSHOT_DELETE_BATCH = 5000


@shared_task(name="workflows.delete_old_replay_snapshots", **TASK_RETRY_POLICY)
def delete_old_replay_snapshots_task() -> int:
    """Replay's snapshots older than REPLAY_RETENTION_DAYS go, a batch at a time; and
    the background replays' results a day after they were asked for."""
    from datetime import timedelta

    from workflows.models import ReplayJob, ReplaySnapshot

    now = timezone.now()
    ReplayJob.objects.filter(created_at__lt=now - timedelta(days=1)).delete()
    cutoff = now - timedelta(days=settings.REPLAY_RETENTION_DAYS)
    deleted = 0
    while True:
        batch = ReplaySnapshot.objects.filter(created_at__lt=cutoff).values("pk")[
            :SNAPSHOT_DELETE_BATCH
        ]
        count, _ = ReplaySnapshot.objects.filter(pk__in=batch).delete()
        deleted += count
        if count < SNAPSHOT_DELETE_BATCH:
            return deleted


@shared_task(name="workflows.replay_workflow", **TASK_RETRY_POLICY)
def replay_workflow_task(job_id: int) -> None:
    """A large replay (workflows/replay.py): progress and result on its ReplayJob."""
    from workflows.models import ReplayJob
    from workflows.replay import replay

    job = ReplayJob.objects.select_related("workflow").filter(pk=job_id).first()
    if job is None or job.status == ReplayJob.Status.DONE:
        return
    ReplayJob.objects.filter(pk=job_id).update(status=ReplayJob.Status.RUNNING, events_done=0)

    def progress(done: int) -> None:
        ReplayJob.objects.filter(pk=job_id).update(events_done=done)

    try:
        result = replay(job.workflow, days=job.since_days, document=job.document, progress=progress)
    except Exception as error:
        ReplayJob.objects.filter(pk=job_id).update(
            status=ReplayJob.Status.FAILED, error=str(error)[:500], finished_at=timezone.now()
        )
        raise
    ReplayJob.objects.filter(pk=job_id).update(
        status=ReplayJob.Status.DONE,
        result=result,
        events_done=job.events_total,
        finished_at=timezone.now(),
    )
