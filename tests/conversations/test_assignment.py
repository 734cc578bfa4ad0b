import pytest
from django.core.exceptions import ValidationError

from conversations import services, validation
from conversations.models import EventType, PartType
from tests.factories import TeamFactory, TeammateFactory

pytestmark = pytest.mark.django_db


def test_it_assigns_a_teammate_and_a_team(conversation, teammate, support_team, as_teammate):
    conversation = services.conversation_assign(
        conversation=conversation, assignee=teammate, team=support_team, acting=as_teammate
    )

    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.team) == (teammate, support_team)
    part = conversation.parts.get(part_type=PartType.ASSIGNMENT)
    assert part.details == {"assignee": "Ben", "team": "Support"}
    event = conversation.events.get(event_type=EventType.ASSIGNED)
    assert event.payload["assignee_id"] == teammate.pk
    assert event.payload["team_id"] == support_team.pk
    assert event.payload["previous_assignee_id"] is None


def test_it_assigns_a_team_and_keeps_the_teammate(conversation, teammate, as_teammate):
    billing = TeamFactory(name="Billing")
    services.conversation_assign(conversation=conversation, assignee=teammate, acting=as_teammate)

    services.conversation_assign(conversation=conversation, team=billing, acting=as_teammate)

    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.team) == (teammate, billing)
    assert conversation.events.filter(event_type=EventType.ASSIGNED).count() == 2


def test_it_refuses_a_teammate_outside_the_given_team(
    conversation, outsider, support_team, as_teammate
):
    with pytest.raises(ValidationError) as error:
        services.conversation_assign(
            conversation=conversation, assignee=outsider, team=support_team, acting=as_teammate
        )

    assert error.value.message_dict == {
        "assignee": [validation.ASSIGNEE_NOT_IN_TEAM.format(teammate="Carl", team="Support")]
    }
    conversation.refresh_from_db()
    assert conversation.assignee is None and conversation.team is None
    assert not conversation.events.filter(event_type=EventType.ASSIGNED).exists()


def test_it_refuses_to_assign_nobody(conversation, as_teammate):
    with pytest.raises(ValidationError) as error:
        services.conversation_assign(conversation=conversation, acting=as_teammate)

    assert error.value.message_dict == {"assignee": [validation.ASSIGN_NOTHING]}


def test_it_refuses_a_deactivated_teammate(conversation, as_teammate):
    gone = TeammateFactory(username="gone", is_active=False)

    with pytest.raises(ValidationError):
        services.conversation_assign(conversation=conversation, assignee=gone, acting=as_teammate)

    conversation.refresh_from_db()
    assert conversation.assignee is None


def test_it_records_nothing_when_the_assignment_does_not_change(
    conversation, teammate, as_teammate
):
    services.conversation_assign(conversation=conversation, assignee=teammate, acting=as_teammate)
    events = conversation.events.count()

    services.conversation_assign(conversation=conversation, assignee=teammate, acting=as_teammate)

    assert conversation.events.count() == events


def test_it_unassigns_teammate_and_team(conversation, teammate, support_team, as_teammate):
    services.conversation_assign(
        conversation=conversation, assignee=teammate, team=support_team, acting=as_teammate
    )

    services.conversation_unassign(conversation=conversation, acting=as_teammate)

    conversation.refresh_from_db()
    assert conversation.assignee is None and conversation.team is None
    event = conversation.events.get(event_type=EventType.UNASSIGNED)
    assert event.payload["previous_assignee_id"] == teammate.pk
    assert conversation.parts.filter(part_type=PartType.UNASSIGNMENT).count() == 1


def test_it_records_nothing_when_unassigning_an_unassigned_conversation(conversation, as_teammate):
    events = conversation.events.count()

    services.conversation_unassign(conversation=conversation, acting=as_teammate)

    assert conversation.events.count() == events
