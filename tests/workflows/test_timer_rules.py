"""The timer rules (workflows/engine/timers.py): pure Python over plain data, no database."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from workflows.engine.timers import (
    Clock,
    RecordSilence,
    RecordSlaMiss,
    ResumeRun,
    WaitingRun,
    WakeConversation,
    due_in_order,
    effect_of,
    sla_timers,
    snooze_timer,
    timers_for_event,
    wait_timer,
)

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
OPEN = Clock(state="open")


def minutes(n):
    return NOW + timedelta(minutes=n)


def lengths(**by_trigger):
    return lambda trigger: by_trigger.get(trigger, [])


def event(event_type, actor_type, payload=None, event_id=7):
    return dict(
        event_id=event_id,
        event_type=event_type,
        actor_type=actor_type,
        created_at=NOW,
        payload=payload or {},
    )


# --- which timers to set ----------------------------------------------------------------------


def test_a_wait_timer_names_its_run_and_is_unique_per_wait():
    timer = wait_timer(12, minutes(60))

    assert (timer.kind, timer.due_at, timer.payload) == ("wait", minutes(60), {"run": 12})
    assert timer.key != wait_timer(12, minutes(90)).key
    assert timer.key != wait_timer(13, minutes(60)).key
    assert timer.key == wait_timer(12, minutes(60)).key  # set twice: one timer


def test_a_snooze_event_sets_a_timer_at_its_end():
    until = minutes(30)
    payload = {"state": "snoozed", "previous": "open", "until": until.isoformat()}

    [timer] = timers_for_event(**event("state_changed", "teammate", payload),
                               silence_lengths=lengths())  # fmt: skip

    assert (timer.kind, timer.due_at) == ("snooze", until)


def test_snoozing_until_the_same_moment_in_another_offset_is_the_same_timer():
    until = minutes(30)
    elsewhere = until.astimezone(datetime.fromisoformat("2026-01-01T00:00+02:00").tzinfo)

    assert snooze_timer(until).key == snooze_timer(elsewhere).key


def test_other_state_changes_set_no_timer():
    payload = {"state": "closed", "previous": "snoozed"}

    assert timers_for_event(**event("state_changed", "teammate", payload),
                            silence_lengths=lengths()) == []  # fmt: skip


def test_a_teammate_reply_starts_one_customer_silence_per_length_waited_for():
    timers = timers_for_event(
        **event("teammate_replied", "teammate"),
        silence_lengths=lengths(
            customer_unresponsive=[timedelta(hours=2), timedelta(minutes=30), timedelta(hours=2)]
        ),
    )

    assert [(t.kind, t.due_at) for t in timers] == [
        ("customer_unresponsive", minutes(30)),
        ("customer_unresponsive", minutes(120)),
    ]
    assert timers[0].payload == {"after": "1800s", "since": NOW.isoformat()}


def test_a_customer_message_starts_the_teammates_silence():
    [timer] = timers_for_event(
        **event("customer_message", "contact"),
        silence_lengths=lengths(teammate_unresponsive=[timedelta(hours=1)]),
    )

    assert (timer.kind, timer.due_at) == ("teammate_unresponsive", minutes(60))


def test_a_reply_written_by_a_workflow_starts_no_silence():
    assert (
        timers_for_event(
            **event("teammate_replied", "workflow"),
            silence_lengths=lengths(customer_unresponsive=[timedelta(minutes=5)]),
        )
        == []
    )


def test_an_sla_target_gets_a_new_timer_when_its_due_time_moves():
    [before] = sla_timers([("first_reply", minutes(30))])
    [after] = sla_timers([("first_reply", minutes(50))])

    assert (before.kind, before.payload) == ("sla", {"target": "first_reply"})
    assert before.key != after.key


# --- which are due, in which order ---------------------------------------------------------------


def pending(kind, due_at, fired_at=None, **payload):
    return SimpleNamespace(kind=kind, due_at=due_at, fired_at=fired_at, payload=payload)


def test_due_timers_come_soonest_first_ties_in_the_order_given():
    wait = pending("wait", minutes(10), run=1)
    sla = pending("sla", minutes(5), target="first_reply")
    snooze = pending("snooze", minutes(10))
    later = pending("sla", minutes(20), target="next_reply")
    fired = pending("wait", minutes(1), fired_at=minutes(1), run=2)

    assert due_in_order([wait, later, sla, fired, snooze], minutes(10)) == [sla, wait, snooze]


# --- what firing means ---------------------------------------------------------------------------


def test_a_wait_resumes_its_run_while_the_run_still_waits_on_it():
    timer = pending("wait", minutes(60), run=4)

    waiting = WaitingRun(4, "timer", minutes(60))
    assert effect_of(timer, clock=OPEN, runs=[waiting], now=minutes(61)) == ResumeRun(4)


def test_a_wait_does_nothing_once_its_run_went_on_or_ended():
    timer = pending("wait", minutes(60), run=4)

    replied = WaitingRun(4, "reply_buttons", None)  # resumed early, now waits for a click
    later_wait = WaitingRun(4, "timer", minutes(120))  # resumed early, waits again
    other = WaitingRun(5, "timer", minutes(60))
    for runs in ([replied], [later_wait], [other], []):
        assert effect_of(timer, clock=OPEN, runs=runs, now=minutes(61)) is None


def test_a_snooze_wakes_a_conversation_still_snoozed_and_due():
    timer = pending("snooze", minutes(30))

    due = Clock(state="snoozed", snoozed_until=minutes(30))
    assert effect_of(timer, clock=due, runs=[], now=minutes(30)) == WakeConversation()


def test_a_snooze_moved_later_or_ended_does_not_wake():
    timer = pending("snooze", minutes(30))

    moved = Clock(state="snoozed", snoozed_until=minutes(90))
    for clock in (moved, OPEN, Clock(state="closed")):
        assert effect_of(timer, clock=clock, runs=[], now=minutes(31)) is None


def test_an_sla_timer_records_a_miss_only_for_the_due_time_it_was_set_for():
    timer = pending("sla", minutes(30), target="first_reply")

    same = Clock(state="open", sla_due={"first_reply": minutes(30)})
    moved = Clock(state="open", sla_due={"first_reply": minutes(50)})
    assert effect_of(timer, clock=same, runs=[], now=minutes(31)) == RecordSlaMiss("first_reply")
    assert effect_of(timer, clock=moved, runs=[], now=minutes(31)) is None
    assert effect_of(timer, clock=OPEN, runs=[], now=minutes(31)) is None  # no SLA now


def test_an_sla_target_is_paused_while_snoozed_unless_due_before_the_snooze_began():
    timer = pending("sla", minutes(30), target="first_reply")

    def snoozed_at(start):
        return Clock(
            state="snoozed",
            snoozed_until=minutes(120),
            sla_due={"first_reply": minutes(30)},
            snoozed_at=start,
        )

    assert effect_of(timer, clock=snoozed_at(minutes(10)), runs=[], now=minutes(31)) is None
    assert effect_of(timer, clock=snoozed_at(minutes(40)), runs=[], now=minutes(41)) == (
        RecordSlaMiss("first_reply")
    )


def test_a_silence_records_its_side_length_and_start():
    timer = pending("customer_unresponsive", minutes(30), after="1800s", since=NOW.isoformat())

    assert effect_of(timer, clock=OPEN, runs=[], now=minutes(31)) == RecordSilence(
        "customer", "1800s", NOW
    )
