"""Team assignment under real concurrency: two Celery workers route 50 conversations that
arrive at once to a team of three with a capacity of 5 each. The team's and members' row
locks must keep every member at 5, whatever the interleaving."""

import pytest
from django.db import transaction
from django.db.models import Count

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation, Event
from tests.factories import ContactFactory, TeamFactory, TeammateFactory
from tests.integration.conftest import wait_for
from tests.workflows.helpers import make_workflow

pytestmark = pytest.mark.integration

TIMEOUT_SECONDS = 180
ARRIVING = 50
CAPACITY = 5


def all_processed():
    return not Event.objects.filter(processed_at__isnull=True).exists()


def ready(process):
    return "ready." in process.log_path.read_text()


def queue_in_order(team):
    return list(
        Conversation.objects.filter(team=team, assignment_queued=True)
        .order_by("queued_at", "id")
        .values_list("pk", flat=True)
    )


def loads(members):
    counts = dict(
        Conversation.objects.filter(state="open", assignee__in=members)
        .values("assignee")
        .annotate(n=Count("id"))
        .values_list("assignee", "n")
    )
    return [counts.get(member.pk, 0) for member in members]


def test_fifty_at_once_fill_three_members_to_capacity_and_the_queue_moves_by_room(
    celery_processes,
):
    members = [TeammateFactory(username=name, capacity=CAPACITY) for name in ("ana", "bo", "cy")]
    team = TeamFactory(name="Billing", members=members)
    make_workflow(
        "Route billing",
        trigger="customer_first_message",
        steps=[{"type": "assign", "team": "Billing", "method": "balanced"}],
    )
    workers = [celery_processes.worker("worker1"), celery_processes.worker("worker2")]
    wait_for(lambda: all(map(ready, workers)), timeout=60, processes=celery_processes)

    with transaction.atomic():  # all 50 dispatched together at the commit
        arrived = [
            services.conversation_open(contact=ContactFactory(), body="Invoice wrong").pk
            for _ in range(ARRIVING)
        ]
    wait_for(all_processed, timeout=TIMEOUT_SECONDS, processes=celery_processes)

    both_worked = all("received" in worker.log_path.read_text() for worker in workers)
    assert both_worked, celery_processes.logs()
    routed = Conversation.objects.filter(pk__in=arrived)
    assert routed.filter(assignee__isnull=False).count() == 15
    assert routed.filter(assignment_queued=True, assignee__isnull=True).count() == 35
    assert loads(members) == [CAPACITY] * 3
    assert routed.filter(team=team).count() == ARRIVING

    # A close gives exactly one member room: exactly one, the oldest queued, goes to them.
    queued = queue_in_order(team)
    closing = routed.filter(assignee=members[1]).first()
    services.conversation_close(conversation=closing.pk, acting=Actor.system())

    assert queue_in_order(team) == queued[1:]
    assert Conversation.objects.get(pk=queued[0]).assignee_id == members[1].pk
    assert loads(members) == [CAPACITY] * 3

    # More capacity hands out as many as it makes room for, oldest first.
    services.teammate_update_settings(teammate=members[0], capacity=CAPACITY + 2)

    assert queue_in_order(team) == queued[3:]
    assert set(
        Conversation.objects.filter(pk__in=queued[1:3]).values_list("assignee", flat=True)
    ) == {members[0].pk}

    # Away: room made meanwhile waits until they are back.
    services.teammate_update_settings(teammate=members[2], away=True)
    services.teammate_update_settings(teammate=members[2], capacity=CAPACITY + 1)
    assert queue_in_order(team) == queued[3:]

    services.teammate_update_settings(teammate=members[2], away=False)

    assert queue_in_order(team) == queued[4:]
    assert Conversation.objects.get(pk=queued[3]).assignee_id == members[2].pk
    assert loads(members) == [CAPACITY + 2, CAPACITY, CAPACITY + 1]
