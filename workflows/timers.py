"""The timers' shell: the one table (`workflows.Timer`) and the one firing path.

Waits, snoozes, silences and SLA targets are all rows of `Timer`. The decisions are in
`workflows.engine.timers` (pure); this module does the database and broker parts for the
processor, which holds the conversation's lock:

- `load_pending(conversation_id)`: the unfired timers, one query (partial index);
- `add(port, spec)`: queue a timer; the processor `take`s those queued and writes them in
  one INSERT with its runs (workflows/run_rows.insert_runs; the unique key makes a timer
  that exists already a no-op), then `send_after_commit` sends one ETA task per due time
  within TIMER_ETA_HORIZON_SECONDS after the commit (`send_upcoming`, run by the sweep,
  sends those of later timers one sweep interval ahead of their due time);
- `fire_due(port, due_by)`: the due timers in due order, marked fired in one UPDATE,
  each yielding the effect it has on the conversation as it is when its turn comes.

Behind the ETA tasks, the `workflows.fire_due_timers` sweep (workflows/tasks.py) sends
the conversations of due, unfired timers again: a lost message delays a timer, never
loses it; `fired_at`, set under the lock, makes it fire once.
"""

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.db.models import F

from conversations import services, sla
from conversations.dispatch import enqueue_on_commit, send_or_leave_to_sweep
from workflows.engine import timers as engine
from workflows.models import Timer, WorkflowRun


class TimerPort(Protocol):
    """What the shell needs of the processor."""

    conversation: object  # the locked Conversation
    now: datetime
    runs: list[WorkflowRun]  # its active runs, as they are now
    timers: list[Timer]  # stored, unfired when loaded (those fired since carry fired_at)
    new_timers: list[Timer]  # set during this processing, not written yet


def load_pending(conversation_id: int) -> list[Timer]:
    return list(Timer.objects.filter(conversation_id=conversation_id, fired_at__isnull=True))


def add(port: TimerPort, spec: engine.TimerSpec) -> None:
    """Queue a timer for `flush`; one already known (stored or queued) is a no-op."""
    if any(t.kind == spec.kind and t.key == spec.key for t in port.timers + port.new_timers):
        return
    port.new_timers.append(
        Timer(
            conversation=port.conversation,
            kind=spec.kind,
            key=spec.key,
            due_at=spec.due_at,
            payload=spec.payload,
            created_at=port.now,
        )
    )


def take(port: TimerPort) -> list[Timer]:
    """The queued timers, for a caller that writes them itself (then `send_after_commit`)."""
    queued, port.new_timers = port.new_timers, []
    return queued


def send_after_commit(port: TimerPort, written: list[Timer]) -> None:
    """An ETA task per due time of the timers written, after the commit; none for those
    already fired in this processing."""
    from workflows.tasks import process_conversation_events_task

    horizon = port.now + eta_horizon()
    for due_at in sorted({t.due_at for t in written if t.fired_at is None}):
        if due_at <= horizon:  # later ones: the sweep sends theirs (send_upcoming)
            enqueue_on_commit(process_conversation_events_task, port.conversation.pk, eta=due_at)


def eta_horizon() -> timedelta:
    return timedelta(seconds=settings.TIMER_ETA_HORIZON_SECONDS)


def send_upcoming(now: datetime) -> int:
    """ETA tasks for the timers set beyond the horizon that fall due before the next
    sweep (each gets one then, or, if a sweep is late, is found due by the next one).
    One query on the unfired-timers index."""
    from workflows.tasks import process_conversation_events_task

    upcoming = (
        Timer.objects.filter(
            fired_at__isnull=True,
            due_at__gt=now,
            due_at__lte=now + timedelta(seconds=settings.SWEEP_INTERVAL_SECONDS),
            created_at__lt=F("due_at") - eta_horizon(),
        )
        .order_by()
        .values_list("conversation_id", "due_at")
        .distinct()
    )
    sent = 0
    for conversation_id, due_at in upcoming:
        sent += send_or_leave_to_sweep(process_conversation_events_task, (conversation_id,), due_at)
    return sent


def fire_due(port: TimerPort, due_by: datetime) -> Iterator[engine.Effect]:
    """Fire every timer due by `due_by`, soonest first: mark them fired (one UPDATE for
    the stored ones), then yield each one's effect, judged against the conversation and
    its runs as the effects before it left them. The caller applies each effect before
    asking for the next."""
    due = engine.due_in_order(port.timers + port.new_timers, due_by)
    if not due:
        return
    stored = [timer.pk for timer in due if timer.pk is not None]
    if stored:
        Timer.objects.filter(pk__in=stored).update(fired_at=port.now)
    for timer in due:
        timer.fired_at = port.now
    for timer in due:
        clock = clock_of(port.conversation)
        if engine.needs_snooze_start(timer, clock):
            clock = replace(clock, snoozed_at=services.conversation_snoozed_at(port.conversation))
        effect = engine.effect_of(timer, clock=clock, runs=waiting_runs(port.runs), now=port.now)
        if effect is not None:
            yield effect


def clock_of(conversation) -> engine.Clock:
    return engine.Clock(
        state=conversation.state,
        snoozed_until=conversation.snoozed_until,
        sla_due={
            target: getattr(conversation, field)
            for target, field in sla.DUE_FIELDS.items()
            if conversation.sla_policy_id is not None
        },
    )


def waiting_runs(runs) -> list[engine.WaitingRun]:
    return [
        engine.WaitingRun(run.pk, run.waiting_for, run.resume_at)
        for run in runs
        if run.pk is not None and run.status == WorkflowRun.Status.WAITING
    ]
