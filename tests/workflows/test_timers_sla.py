"""Timers you can trust: SLA targets met and missed, silences, snoozes that pause the
clock — with travelled time. Each fires once."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation, EventType, PartType
from tests.factories import ContactFactory, SlaPolicyFactory
from tests.workflows.helpers import make_workflow, process, runs_of
from workflows.models import Timer

pytestmark = pytest.mark.django_db

START = timezone.now().replace(microsecond=0)


def at(minutes):
    return time_machine.travel(START + timedelta(minutes=minutes), tick=False)


def events_of(conversation, kind):
    return conversation.events.filter(event_type=kind)


@pytest.fixture
def conversation():
    with at(0):
        conversation = services.conversation_open(contact=ContactFactory(), body="Help!")
        process(conversation)
    return conversation


def reply(conversation, teammate, minutes, body="On it"):
    with at(minutes):
        services.conversation_teammate_reply(
            conversation=conversation, teammate=teammate, body=body
        )
        process(conversation)


def customer_writes(conversation, minutes, body="Hello?"):
    with at(minutes):
        services.conversation_customer_message(conversation=conversation, body=body)
        process(conversation)


def tick(conversation, minutes):
    with at(minutes):
        process(conversation)


# --- silences ---------------------------------------------------------------------------


def test_customer_unresponsive_fires_once_per_silence(conversation, teammate):
    nudge = make_workflow(
        "Nudge", trigger="customer_unresponsive", trigger_options={"after": "30m"},
        frequency="every_time", steps=[{"type": "add_note", "body": "Customer went quiet"}],
    )  # fmt: skip
    reply(conversation, teammate, 1)

    tick(conversation, 20)
    assert not events_of(conversation, EventType.CUSTOMER_UNRESPONSIVE).exists()
    tick(conversation, 32)
    tick(conversation, 40)

    assert events_of(conversation, EventType.CUSTOMER_UNRESPONSIVE).count() == 1
    assert runs_of(conversation, nudge).count() == 1
    assert conversation.parts.filter(part_type=PartType.UNRESPONSIVE).count() == 1


def test_customer_unresponsive_does_not_fire_after_the_customer_answers(conversation, teammate):
    make_workflow("Nudge", trigger="customer_unresponsive", trigger_options={"after": "30m"})
    reply(conversation, teammate, 1)
    customer_writes(conversation, 10)

    tick(conversation, 45)

    assert not events_of(conversation, EventType.CUSTOMER_UNRESPONSIVE).exists()
    timer = Timer.objects.get(kind="customer_unresponsive")
    assert timer.fired_at is not None  # fired, found the silence broken: nothing recorded
    assert (timer.due_at, timer.payload) == (
        START + timedelta(minutes=31),
        {"after": "1800s", "since": (START + timedelta(minutes=1)).isoformat()},
    )


def test_teammate_unresponsive_fires_once_per_silence_and_again_for_the_next(
    conversation, teammate
):
    make_workflow(
        "Escalate", trigger="teammate_unresponsive", trigger_options={"after": "1h"},
        frequency="every_time", steps=[{"type": "set_priority", "priority": True}],
    )  # fmt: skip
    customer_writes(conversation, 5)  # a later message: its own silence clock

    tick(conversation, 66)
    tick(conversation, 70)
    assert events_of(conversation, EventType.TEAMMATE_UNRESPONSIVE).count() == 1
    assert Conversation.objects.get(pk=conversation.pk).priority is True

    reply(conversation, teammate, 80)
    customer_writes(conversation, 90)
    tick(conversation, 151)
    assert events_of(conversation, EventType.TEAMMATE_UNRESPONSIVE).count() == 2


def test_teammate_unresponsive_does_not_fire_when_a_teammate_replies(conversation, teammate):
    make_workflow("Escalate", trigger="teammate_unresponsive", trigger_options={"after": "1h"})
    customer_writes(conversation, 5)
    reply(conversation, teammate, 30)

    tick(conversation, 130)

    assert not events_of(conversation, EventType.TEAMMATE_UNRESPONSIVE).exists()


def test_only_workflows_of_the_same_length_of_silence_start(conversation, teammate):
    short = make_workflow(
        "Short", trigger="customer_unresponsive", trigger_options={"after": "30m"}
    )
    long = make_workflow("Long", trigger="customer_unresponsive", trigger_options={"after": "2h"})
    reply(conversation, teammate, 1)

    tick(conversation, 40)

    assert runs_of(conversation, short).count() == 1
    assert not runs_of(conversation, long).exists()
    tick(conversation, 125)
    assert runs_of(conversation, long).count() == 1


# --- SLA targets ----------------------------------------------------------------------------


def apply(conversation, minutes, **targets):
    policy = SlaPolicyFactory(**targets)
    with at(minutes):
        services.conversation_apply_sla(
            conversation=conversation, policy=policy, acting=Actor.system()
        )
        process(conversation)
    return policy


def misses(conversation):
    return list(
        events_of(conversation, EventType.SLA_MISSED).values_list("payload__target", flat=True)
    )


def test_a_first_reply_target_is_missed_once_and_fires_the_sla_missed_trigger(conversation):
    alarm = make_workflow("Alarm", trigger="sla_missed", frequency="every_time",
                          steps=[{"type": "add_tag", "tag": "SLA missed"}])  # fmt: skip
    apply(conversation, 1, first_reply=timedelta(minutes=30), next_reply=None, time_to_close=None)

    tick(conversation, 29)
    assert misses(conversation) == []
    tick(conversation, 31)
    tick(conversation, 50)

    assert misses(conversation) == ["first_reply"]
    assert runs_of(conversation, alarm).count() == 1
    assert conversation.parts.filter(part_type=PartType.SLA_MISSED).count() == 1


def test_a_teammate_reply_in_time_meets_the_first_reply_target(conversation, teammate):
    apply(conversation, 1, first_reply=timedelta(minutes=30), next_reply=None, time_to_close=None)
    reply(conversation, teammate, 20)

    tick(conversation, 45)

    assert misses(conversation) == []


def test_the_next_reply_clock_starts_with_the_customers_next_message(conversation, teammate):
    apply(conversation, 0, first_reply=None, next_reply=timedelta(hours=2), time_to_close=None)
    reply(conversation, teammate, 5)
    customer_writes(conversation, 10)
    assert Conversation.objects.get(pk=conversation.pk).next_reply_due_at == START + timedelta(
        minutes=130
    )

    tick(conversation, 131)

    assert misses(conversation) == ["next_reply"]


def test_a_next_reply_in_time_meets_the_target(conversation, teammate):
    apply(conversation, 0, first_reply=None, next_reply=timedelta(hours=2), time_to_close=None)
    reply(conversation, teammate, 5)
    customer_writes(conversation, 10)
    reply(conversation, teammate, 60)

    tick(conversation, 200)

    assert misses(conversation) == []


def test_closing_in_time_meets_time_to_close_and_late_misses_it(conversation, teammate):
    apply(conversation, 0, first_reply=None, next_reply=None, time_to_close=timedelta(hours=1))
    with at(30):
        services.conversation_close(conversation=conversation, acting=Actor.teammate(teammate))
    tick(conversation, 90)
    assert misses(conversation) == []

    other = services.conversation_open(contact=ContactFactory(), body="Second")
    apply(other, 0, first_reply=None, next_reply=None, time_to_close=timedelta(hours=1))
    tick(other, 61)
    assert misses(other) == ["time_to_close"]


def test_time_spent_snoozed_does_not_count(conversation, teammate):
    apply(conversation, 0, first_reply=timedelta(minutes=30), next_reply=None, time_to_close=None)
    with at(10):
        services.conversation_snooze(
            conversation=conversation,
            until=START + timedelta(hours=2),
            acting=Actor.teammate(teammate),
        )
        process(conversation)
    tick(conversation, 120)  # the snooze's timer wakes it
    assert Conversation.objects.get(pk=conversation.pk).state == Conversation.State.OPEN

    due = Conversation.objects.get(pk=conversation.pk).first_reply_due_at
    assert due == START + timedelta(minutes=140)  # 20 minutes were left when it was snoozed
    tick(conversation, 135)
    assert misses(conversation) == []
    tick(conversation, 141)
    assert misses(conversation) == ["first_reply"]


def test_a_target_falling_due_while_snoozed_is_not_missed_then(conversation, teammate):
    apply(conversation, 0, first_reply=timedelta(minutes=30), next_reply=None, time_to_close=None)
    with at(10):
        services.conversation_snooze(
            conversation=conversation,
            until=START + timedelta(hours=2),
            acting=Actor.teammate(teammate),
        )
        process(conversation)

    tick(conversation, 31)  # the target's timer: its clock is paused
    assert misses(conversation) == []
    tick(conversation, 120)
    tick(conversation, 141)
    assert misses(conversation) == ["first_reply"]


def test_a_target_missed_before_a_snooze_is_recorded_even_when_processed_after(
    conversation, teammate
):
    apply(conversation, 0, first_reply=timedelta(minutes=30), next_reply=None, time_to_close=None)
    with at(40):  # no task ran at minute 30 (a backlog)
        services.conversation_snooze(
            conversation=conversation,
            until=START + timedelta(hours=2),
            acting=Actor.teammate(teammate),
        )
        process(conversation)

    assert misses(conversation) == ["first_reply"]
    tick(conversation, 121)
    assert misses(conversation) == ["first_reply"]


# --- office hours -----------------------------------------------------------------------------

FRIDAY_4_30_PM = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)


def test_an_office_hours_sla_counts_only_open_hours_across_the_weekend(settings):
    # The default workspace schedule: Monday to Friday, 09:00 to 17:00 UTC.
    policy = SlaPolicyFactory(first_reply=timedelta(hours=1), next_reply=None, time_to_close=None,
                              office_hours_only=True)  # fmt: skip
    with time_machine.travel(FRIDAY_4_30_PM, tick=False):
        conversation = services.conversation_open(contact=ContactFactory(), body="Friday question")
        services.conversation_apply_sla(
            conversation=conversation, policy=policy, acting=Actor.system()
        )
        process(conversation)

    due = Conversation.objects.get(pk=conversation.pk).first_reply_due_at
    assert due == datetime(2026, 11, 30, 9, 30, tzinfo=UTC)  # Monday 09:30
    with time_machine.travel(due - timedelta(minutes=1), tick=False):
        process(conversation)
    assert misses(conversation) == []
    with time_machine.travel(due + timedelta(seconds=1), tick=False):
        process(conversation)
    assert misses(conversation) == ["first_reply"]


def test_a_message_out_of_hours_starts_the_clock_at_the_next_opening():
    policy = SlaPolicyFactory(first_reply=timedelta(minutes=30), next_reply=None, time_to_close=None,
                              office_hours_only=True)  # fmt: skip
    saturday = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    with time_machine.travel(saturday, tick=False):
        conversation = services.conversation_open(contact=ContactFactory(), body="Weekend")
        services.conversation_apply_sla(
            conversation=conversation, policy=policy, acting=Actor.system()
        )

    due = Conversation.objects.get(pk=conversation.pk).first_reply_due_at
    assert due == datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
