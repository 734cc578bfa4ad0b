"""SLA clocks (DESIGN.md §7): due times counted in all hours or in office hours only,
paused while the conversation is snoozed; which targets are still open or missed."""

from datetime import datetime, timedelta

TARGETS = ("first_reply", "next_reply", "time_to_close")
DUE_FIELDS = {
    "first_reply": "first_reply_due_at",
    "next_reply": "next_reply_due_at",
    "time_to_close": "close_due_at",
}


def schedule_for(policy):
    """All hours, or the workspace's office hours for an office-hours-only policy."""
    from conversations.business_time import ALWAYS_OPEN
    from conversations.office_hours import workspace_schedule

    return workspace_schedule() if policy.office_hours_only else ALWAYS_OPEN


def due(policy, target: str, start: datetime) -> datetime | None:
    """When `target` of `policy` falls due for a clock started at `start`."""
    from conversations.business_time import add_working_time

    duration: timedelta | None = getattr(policy, target)
    if not duration:
        return None
    return add_working_time(start, duration, schedule_for(policy))


def is_met(conversation, target: str) -> bool:
    """Whether the target's clock has stopped: replied, or closed."""
    due_at = getattr(conversation, DUE_FIELDS[target])
    if due_at is None:
        return True
    if target == "first_reply":
        return conversation.first_teammate_reply_at is not None
    if target == "next_reply":
        return conversation.waiting_since is None
    return conversation.state == "closed"


def open_targets(conversation) -> list[tuple[str, datetime]]:
    """(target, due time) of every target still running, soonest first."""
    if conversation.sla_policy_id is None:
        return []
    running = [
        (target, getattr(conversation, DUE_FIELDS[target]))
        for target in TARGETS
        if not is_met(conversation, target)
    ]
    return sorted(running, key=lambda pair: pair[1])


def shift_for_pause(conversation, policy, paused_from: datetime, paused_to: datetime) -> list[str]:
    """Time spent snoozed does not count: push each running target's due time back by
    the (office) time the pause took. Returns the fields changed."""
    from conversations.business_time import add_working_time, working_time_between

    schedule = schedule_for(policy)
    changed = []
    for target, due_at in open_targets(conversation):
        if due_at <= paused_from:
            continue  # already due before the snooze: missed, nothing to pause
        remaining = working_time_between(paused_from, due_at, schedule)
        setattr(conversation, DUE_FIELDS[target], add_working_time(paused_to, remaining, schedule))
        changed.append(DUE_FIELDS[target])
    return changed
