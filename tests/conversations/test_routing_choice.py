"""Choosing the member who gets a conversation: the pure decision (no database)."""

from datetime import UTC, datetime, timedelta

import pytest

from conversations.routing import BALANCED, ROUND_ROBIN, MemberLoad, choose_member, room_left

EARLY = datetime(2026, 1, 1, 9, tzinfo=UTC)
LATE = EARLY + timedelta(hours=1)


def rotation(members, turns, last=None):
    picked = []
    for _ in range(turns):
        last = choose_member(members, ROUND_ROBIN, last_member_id=last)
        picked.append(last)
    return picked


def test_round_robin_goes_round_in_member_order_whatever_their_loads():
    members = [MemberLoad(3, open_count=0), MemberLoad(1, open_count=9), MemberLoad(2, 4)]

    assert rotation(members, 7) == [1, 2, 3, 1, 2, 3, 1]


def test_round_robin_carries_on_after_the_last_member_it_gave_one_to():
    members = [MemberLoad(1, 0), MemberLoad(2, 0), MemberLoad(3, 0)]

    assert rotation(members, 3, last=2) == [3, 1, 2]


def test_round_robin_passes_over_away_and_full_members_and_keeps_its_turn():
    members = [
        MemberLoad(1, 0),
        MemberLoad(2, 0, away=True),
        MemberLoad(3, 5, capacity=5),
        MemberLoad(4, 1, capacity=5),
    ]

    assert rotation(members, 4) == [1, 4, 1, 4]


def test_round_robin_after_a_member_who_left_the_team_goes_on_with_the_next():
    members = [MemberLoad(1, 0), MemberLoad(5, 0)]

    assert choose_member(members, ROUND_ROBIN, last_member_id=3) == 5


def test_balanced_gives_it_to_the_member_with_the_fewest_open():
    members = [MemberLoad(1, 4), MemberLoad(2, 1), MemberLoad(3, 2)]

    assert choose_member(members, BALANCED) == 2


def test_balanced_ties_go_to_the_member_assigned_longest_ago_never_first():
    members = [
        MemberLoad(1, 2, last_assigned_at=LATE),
        MemberLoad(2, 2, last_assigned_at=EARLY),
        MemberLoad(3, 5),
    ]
    assert choose_member(members, BALANCED) == 2

    never = [*members, MemberLoad(4, 2)]
    assert choose_member(never, BALANCED) == 4


def test_balanced_passes_over_away_and_full_members_even_with_fewer_open():
    members = [
        MemberLoad(1, 0, away=True),
        MemberLoad(2, 1, capacity=1),
        MemberLoad(3, 7),
    ]

    assert choose_member(members, BALANCED) == 3


@pytest.mark.parametrize("method", [ROUND_ROBIN, BALANCED])
def test_nobody_with_room_means_no_member(method):
    members = [MemberLoad(1, 0, away=True), MemberLoad(2, 3, capacity=3), MemberLoad(3, 0, 0)]

    assert choose_member(members, method) is None
    assert choose_member([], method) is None


def test_an_unknown_method_is_refused():
    with pytest.raises(ValueError):
        choose_member([MemberLoad(1, 0)], "random")


def test_room_left_counts_down_to_capacity_and_is_none_without_a_limit():
    assert room_left(MemberLoad(1, 3, capacity=5)) == 2
    assert room_left(MemberLoad(1, 7, capacity=5)) == 0
    assert room_left(MemberLoad(1, 7)) is None
    assert room_left(MemberLoad(1, 0, capacity=5, away=True)) == 0
