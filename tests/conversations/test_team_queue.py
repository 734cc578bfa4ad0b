"""Team assignment on PostgreSQL: capacity, away, the queue and what releases it."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation, Team
from conversations.timeline import describe_part
from tests.factories import ContactFactory, TeamFactory, TeammateFactory

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system()


def arrive(team, method="balanced", count=1):
    """Conversations arriving one after another, each given to the team by `method`."""
    arrived = []
    for _ in range(count):
        conversation = services.conversation_open(contact=ContactFactory(), body="Help")
        services.conversation_assign_to_team(
            conversation=conversation, team=team, method=method, acting=SYSTEM
        )
        arrived.append(conversation.pk)
    return arrived


def fresh(pk):
    return Conversation.objects.get(pk=pk)


@pytest.fixture
def trio():
    return [TeammateFactory(username=name, capacity=2) for name in ("ana", "bo", "cy")]


@pytest.fixture
def team(trio):
    return TeamFactory(name="Billing", members=trio)


def test_members_at_capacity_are_passed_over_and_the_rest_wait_in_the_queue(team, trio):
    ids = arrive(team, count=8)

    assigned = Conversation.objects.filter(pk__in=ids, assignee__isnull=False)
    queued = Conversation.objects.filter(pk__in=ids, assignment_queued=True)
    assert assigned.count() == 6
    assert {member.pk: assigned.filter(assignee=member).count() for member in trio} == {
        member.pk: 2 for member in trio
    }
    assert list(queued.order_by("queued_at").values_list("pk", flat=True)) == ids[6:]
    assert all(c.team_id == team.pk for c in queued)
    waiting = fresh(ids[7]).parts.filter(part_type="assignment").get()
    assert "queue of Billing" in describe_part(waiting)


def test_closing_one_hands_out_exactly_one_the_oldest_queued(team, trio):
    ids = arrive(team, count=8)
    oldest, newest = ids[6], ids[7]
    busy = fresh(ids[0])

    services.conversation_close(conversation=busy.pk, acting=SYSTEM)

    assert fresh(oldest).assignee_id == busy.assignee_id
    assert fresh(oldest).assignment_queued is False
    assert fresh(newest).assignment_queued is True
    assert Conversation.objects.filter(pk__in=ids, assignment_queued=True).count() == 1


@pytest.mark.parametrize("release", ["snooze", "reassign", "unassign"])
def test_a_snooze_or_a_reassignment_also_gives_the_member_room(team, trio, release):
    ids = arrive(team, count=7)
    busy = fresh(ids[0])
    outsider = TeammateFactory(username="dee")

    if release == "snooze":
        services.conversation_snooze(
            conversation=busy.pk, until=timezone.now() + timedelta(hours=1), acting=SYSTEM
        )
    elif release == "reassign":
        services.conversation_assign(conversation=busy.pk, assignee=outsider, acting=SYSTEM)
    else:
        services.conversation_unassign(conversation=busy.pk, acting=SYSTEM)

    assert fresh(ids[6]).assignee_id == busy.assignee_id
    assert fresh(ids[6]).assignment_queued is False


def test_more_capacity_releases_as_many_as_it_makes_room_for(team, trio):
    ids = arrive(team, count=9)
    ana = trio[0]

    services.teammate_update_settings(teammate=ana, capacity=4)

    assert Conversation.objects.filter(pk__in=ids[6:8], assignee=ana).count() == 2
    assert fresh(ids[8]).assignment_queued is True

    services.teammate_update_settings(teammate=ana, capacity=None)  # no limit

    assert fresh(ids[8]).assignee_id == ana.pk


def test_coming_back_from_away_hands_out_the_queue(team, trio):
    for member in trio:
        services.teammate_update_settings(teammate=member, away=True)
    ids = arrive(team, count=2)
    assert Conversation.objects.filter(pk__in=ids, assignment_queued=True).count() == 2

    services.teammate_update_settings(teammate=trio[1], away=False)

    assert [fresh(pk).assignee_id for pk in ids] == [trio[1].pk, trio[1].pk]


def test_going_away_keeps_ones_conversations_unless_the_team_says_requeue(team, trio):
    ids = arrive(team, count=3)  # one each
    ana = trio[0]
    kept = Conversation.objects.get(pk__in=ids, assignee=ana)

    services.teammate_update_settings(teammate=ana, away=True)
    assert fresh(kept.pk).assignee_id == ana.pk

    services.teammate_update_settings(teammate=ana, away=False)
    Team.objects.filter(pk=team.pk).update(away_policy=Team.AwayPolicy.REQUEUE)
    team.refresh_from_db()
    services.teammate_update_settings(teammate=ana, away=True)

    moved = fresh(kept.pk)
    assert moved.assignee_id in {trio[1].pk, trio[2].pk}  # back in the queue, handed on
    assert moved.assignment_queued is False


def test_requeued_conversations_wait_when_nobody_else_has_room(trio):
    team = TeamFactory(name="Night", members=trio[:1], away_policy=Team.AwayPolicy.REQUEUE)
    ids = arrive(team, count=2)

    services.teammate_update_settings(teammate=trio[0], away=True)

    assert [fresh(pk).assignment_queued for pk in ids] == [True, True]
    assert [fresh(pk).assignee_id for pk in ids] == [None, None]


def test_round_robin_rotation_is_kept_per_team_between_arrivals(team, trio):
    for member in trio:
        services.teammate_update_settings(teammate=member, capacity=None)

    first = arrive(team, method="round_robin", count=2)
    second = arrive(team, method="round_robin", count=4)

    order = [fresh(pk).assignee_id for pk in first + second]
    ids = sorted(member.pk for member in trio)
    assert order == [ids[0], ids[1], ids[2], ids[0], ids[1], ids[2]]


def test_balanced_ties_go_to_the_member_assigned_longest_ago(team, trio):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        first = arrive(team, count=3)
        clock.shift(timedelta(minutes=1))
        services.conversation_close(conversation=first[1], acting=SYSTEM)
        services.conversation_close(conversation=first[2], acting=SYSTEM)
        clock.shift(timedelta(minutes=1))
        # bo and cy now have 0 open each; bo was given one before cy.
        (next_one,) = arrive(team, count=1)

    assert fresh(next_one).assignee_id == fresh(first[1]).assignee_id


def test_a_conversation_already_with_a_member_of_the_team_stays_with_them(team, trio):
    (pk,) = arrive(team, count=1)
    holder = fresh(pk).assignee_id

    services.conversation_assign_to_team(
        conversation=pk, team=team, method="round_robin", acting=SYSTEM
    )

    assert fresh(pk).assignee_id == holder
    assert fresh(pk).parts.filter(part_type="assignment").count() == 1


def test_a_closed_queued_conversation_is_not_handed_out(team, trio):
    ids = arrive(team, count=8)
    services.conversation_close(conversation=ids[6], acting=SYSTEM)

    services.conversation_close(conversation=ids[0], acting=SYSTEM)

    assert fresh(ids[6]).assignee_id is None
    assert fresh(ids[7]).assignee_id == fresh(ids[0]).assignee_id


def test_an_unknown_method_is_a_field_error_and_changes_nothing(team):
    conversation = services.conversation_open(contact=ContactFactory())

    with pytest.raises(services.ValidationError) as error:
        services.conversation_assign_to_team(
            conversation=conversation, team=team, method="random", acting=SYSTEM
        )

    assert "method" in error.value.message_dict
    assert fresh(conversation.pk).team_id is None
