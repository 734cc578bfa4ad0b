"""Which team member gets a conversation: pure decisions over plain data (no database).

The services (conversations/services.py) read the members' loads under the team's lock,
ask `choose_member`, and write what it chose.
"""

from dataclasses import dataclass
from datetime import datetime

ROUND_ROBIN = "round_robin"
BALANCED = "balanced"
METHODS = (ROUND_ROBIN, BALANCED)

# What happens to an away member's open conversations in a team.
AWAY_KEEP = "keep"
AWAY_REQUEUE = "requeue"
AWAY_POLICIES = (AWAY_KEEP, AWAY_REQUEUE)

# The largest capacity a teammate can be given (open conversations at once).
MAX_CAPACITY = 1000


@dataclass(frozen=True)
class MemberLoad:
    """One team member as the choice sees them."""

    id: int
    open_count: int
    capacity: int | None = None  # None: no limit
    away: bool = False
    last_assigned_at: datetime | None = None  # None: never assigned


def has_room(member: MemberLoad) -> bool:
    """Available (not away) and below their capacity."""
    if member.away:
        return False
    return member.capacity is None or member.open_count < member.capacity


def choose_member(
    members: list[MemberLoad], method: str, *, last_member_id: int | None = None
) -> int | None:
    """The id of the member who gets the next conversation; None when nobody has room.

    round_robin: the next member with room after the last one chosen, in id order (a
    true rotation: loads do not matter). balanced: the member with room who has the
    fewest open conversations; ties go to the one assigned longest ago (never first),
    then the lowest id.
    """
    if method not in METHODS:
        raise ValueError(f"unknown assignment method {method!r}")
    available = [member for member in members if has_room(member)]
    if not available:
        return None
    if method == ROUND_ROBIN:
        ordered = sorted(available, key=lambda member: member.id)
        if last_member_id is not None:
            for member in ordered:
                if member.id > last_member_id:
                    return member.id
        return ordered[0].id

    def balance_key(member: MemberLoad):
        never = member.last_assigned_at is None
        return (member.open_count, not never, member.last_assigned_at or datetime.min, member.id)

    return min(available, key=balance_key).id


def room_left(member: MemberLoad) -> int | None:
    """How many more conversations the member can take now (None: no limit)."""
    if member.away:
        return 0
    if member.capacity is None:
        return None
    return max(member.capacity - member.open_count, 0)
