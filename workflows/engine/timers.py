"""Timers (DESIGN.md §6): waits, snoozes, silences and SLA targets as one kind of thing.

A timer is a stored due time of a conversation. This module decides, over plain data:

- which timers to set: `wait_timer`, `timers_for_event` (a snooze's end, the silences a
  message starts), `sla_timers`;
- which are due, in the order they fire: `due_in_order`;
- what firing one means now: `effect_of` returns a plain effect, or None when the timer
  no longer applies (the wait ended early, the snooze was changed or ended, the SLA due
  time moved, ...). The shell (`workflows/timers.py`) carries the effect out through
  the processor and the conversation services, which check again under the lock.

A timer's `key` only makes it unique (a second `set` of the same timer is a no-op); it
is never read back: everything firing needs is in `kind`, `due_at` and `payload`.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

WAIT = "wait"
SNOOZE = "snooze"
SLA = "sla"
CUSTOMER_UNRESPONSIVE = "customer_unresponsive"
TEAMMATE_UNRESPONSIVE = "teammate_unresponsive"
KINDS = (WAIT, SNOOZE, SLA, CUSTOMER_UNRESPONSIVE, TEAMMATE_UNRESPONSIVE)

# The silence each message starts: (trigger, timer kind, side whose silence it measures).
SILENCES = {
    ("teammate_replied", "teammate"): ("customer_unresponsive", CUSTOMER_UNRESPONSIVE),
    ("customer_message", "contact"): ("teammate_unresponsive", TEAMMATE_UNRESPONSIVE),
}
SIDES = {CUSTOMER_UNRESPONSIVE: "customer", TEAMMATE_UNRESPONSIVE: "teammate"}


@dataclass(frozen=True)
class TimerSpec:
    """A timer to set (or one pending: the shell's rows read the same way)."""

    kind: str
    key: str
    due_at: datetime
    payload: dict = field(default_factory=dict, compare=False)


# --- what firing means: the effects ---------------------------------------------------------


@dataclass(frozen=True)
class ResumeRun:
    """A wait step's time is up: the run carries on after it (§6.4 checks its audience)."""

    run_id: int
    why: str = "The wait ended"


@dataclass(frozen=True)
class RequeueHttpRequest:
    """An HTTP step's answer is overdue (its task was lost): send the call again."""

    run_id: int


@dataclass(frozen=True)
class WakeConversation:
    """The snooze is over: reopen the conversation (an `unsnoozed` event)."""


@dataclass(frozen=True)
class RecordSlaMiss:
    target: str


@dataclass(frozen=True)
class RecordSilence:
    side: str
    after: str
    since: datetime


Effect = ResumeRun | RequeueHttpRequest | WakeConversation | RecordSlaMiss | RecordSilence


@dataclass(frozen=True)
class WaitingRun:
    """What firing a wait timer needs of a run: whether it still waits on that timer."""

    id: int
    waiting_for: str
    resume_at: datetime | None


@dataclass(frozen=True)
class Clock:
    """What firing needs of the conversation as it is now."""

    state: str
    snoozed_until: datetime | None = None
    # SLA target -> its current due time (None: no due time).
    sla_due: dict = field(default_factory=dict)
    # While snoozed: when the snooze began (the SLA clocks are paused from then).
    snoozed_at: datetime | None = None


# --- which timers to set ---------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def wait_timer(run_id: int, due_at: datetime) -> TimerSpec:
    """The timer of a run waiting on a wait step; one per wait (a run waits at most once
    at a given moment)."""
    return TimerSpec(WAIT, f"run:{run_id}:{_iso(due_at)}", due_at, {"run": run_id})


def snooze_timer(until: datetime) -> TimerSpec:
    """The end of a snooze. Snoozing again until the same moment sets the same timer."""
    return TimerSpec(SNOOZE, f"until:{_iso(until)}", until, {"until": _iso(until)})


def silence_timer(kind: str, after: timedelta, event_id: int, since: datetime) -> TimerSpec:
    seconds = int(after.total_seconds())
    return TimerSpec(
        kind,
        f"{seconds}s:{event_id}",
        since + after,
        {"after": f"{seconds}s", "since": since.isoformat()},
    )


def timers_for_event(
    *,
    event_id: int,
    event_type: str,
    actor_type: str,
    created_at: datetime,
    payload: dict,
    silence_lengths,
) -> list[TimerSpec]:
    """The timers an event sets: the end of a snooze it began; the silence a message
    starts, one timer per length of silence that live workflows wait for.

    `silence_lengths(trigger)` gives the `after` durations of the live workflows of an
    unresponsive trigger.
    """
    timers = []
    if event_type == "state_changed" and payload.get("state") == "snoozed" and payload.get("until"):
        timers.append(snooze_timer(datetime.fromisoformat(payload["until"])))
    silence = SILENCES.get((event_type, actor_type))
    if silence is not None:
        trigger, kind = silence
        for after in sorted(set(silence_lengths(trigger))):
            timers.append(silence_timer(kind, after, event_id, created_at))
    return timers


def sla_timers(open_targets: Iterable[tuple[str, datetime]]) -> list[TimerSpec]:
    """One timer per running SLA target at its due time; a new one when the due time
    moves (a snooze pauses the clock), so the key holds both."""
    return [
        TimerSpec(SLA, f"{target}:{due_at.isoformat()}", due_at, {"target": target})
        for target, due_at in open_targets
    ]


# --- which are due, and what firing means -------------------------------------------------


def due_in_order(timers: Iterable, due_by: datetime) -> list:
    """The unfired timers due by `due_by`, soonest first (ties: in the order given, so
    stored ones, read in id order, come before those set since)."""
    due = [t for t in timers if getattr(t, "fired_at", None) is None and t.due_at <= due_by]
    return sorted(due, key=lambda t: t.due_at)


def is_paused_by_snooze(due_at: datetime, clock: Clock) -> bool:
    """A target not yet due when the snooze began is paused: time snoozed does not count.
    (Due before: missed then, whatever came after.)"""
    return clock.snoozed_at is not None and due_at > clock.snoozed_at


def needs_snooze_start(timer, clock: Clock) -> bool:
    """Whether judging `timer` needs `Clock.snoozed_at` (the shell reads it only then)."""
    return (
        timer.kind == SLA
        and clock.state == "snoozed"
        and clock.sla_due.get(timer.payload.get("target")) == timer.due_at
    )


def effect_of(timer, *, clock: Clock, runs: Iterable[WaitingRun], now: datetime) -> Effect | None:
    """What firing `timer` means now; None when it no longer applies."""
    kind = timer.kind
    if kind == WAIT:
        run_id = timer.payload.get("run")
        for run in runs:
            if run.id == run_id:
                # The same wait still: not resumed early by a reply, not a later wait.
                if run.waiting_for == "timer" and run.resume_at == timer.due_at:
                    return ResumeRun(run_id)
                if run.waiting_for == "http_request" and run.resume_at == timer.due_at:
                    return RequeueHttpRequest(run_id)
                return None
        return None  # the run ended
    if kind == SNOOZE:
        # Today's rule: a snoozed conversation whose snooze time has come wakes. A snooze
        # moved later is not due yet (its own timer wakes it); one ended stays as it is.
        if clock.state == "snoozed" and clock.snoozed_until and clock.snoozed_until <= now:
            return WakeConversation()
        return None
    if kind == SLA:
        target = timer.payload.get("target")
        if target not in clock.sla_due or clock.sla_due[target] != timer.due_at:
            return None  # the due time moved (a new timer has it) or the SLA is gone
        if clock.state == "snoozed" and is_paused_by_snooze(timer.due_at, clock):
            return None  # paused: the wake moves the due time and sets its timer (§7)
        return RecordSlaMiss(target)
    if kind in SIDES:
        return RecordSilence(
            SIDES[kind], timer.payload["after"], datetime.fromisoformat(timer.payload["since"])
        )
    return None
