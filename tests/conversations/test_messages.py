import pytest
from django.core.exceptions import ValidationError

from conversations import services, validation
from conversations.actors import Actor
from conversations.models import ActorType, Conversation, EventType, PartType

pytestmark = pytest.mark.django_db


def last_event(conversation):
    return conversation.events.order_by("-id").first()


def test_it_records_a_later_customer_message_as_not_first(conversation):
    part = services.conversation_customer_message(conversation=conversation, body="Anyone?")

    assert part.part_type == PartType.CUSTOMER_MESSAGE
    assert part.author_type == ActorType.CONTACT
    event = last_event(conversation)
    assert event.event_type == EventType.CUSTOMER_MESSAGE
    assert event.payload["first"] is False
    assert event.payload["part_id"] == part.pk


def test_it_reopens_a_closed_conversation_when_the_customer_writes(conversation, as_teammate):
    services.conversation_close(conversation=conversation, acting=as_teammate)

    services.conversation_customer_message(conversation=conversation, body="Still broken")

    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.OPEN
    reopen, message = conversation.events.order_by("-id")[1], last_event(conversation)
    assert reopen.event_type == EventType.STATE_CHANGED
    assert reopen.payload == {
        "part_id": reopen.payload["part_id"],
        "state": "open",
        "previous": "closed",
    }
    assert reopen.actor_type == ActorType.CONTACT
    assert message.event_type == EventType.CUSTOMER_MESSAGE


def test_it_records_a_teammate_reply_and_stops_the_wait(conversation, teammate):
    part = services.conversation_teammate_reply(
        conversation=conversation, teammate=teammate, body="On it!"
    )

    conversation.refresh_from_db()
    assert conversation.waiting_since is None
    assert conversation.first_teammate_reply_at == part.created_at
    assert conversation.last_teammate_reply_at == part.created_at
    assert (part.part_type, part.author_type, part.author_id) == (
        PartType.TEAMMATE_REPLY,
        ActorType.TEAMMATE,
        teammate.pk,
    )
    event = last_event(conversation)
    assert (event.event_type, event.actor_id) == (EventType.TEAMMATE_REPLIED, teammate.pk)


def test_it_keeps_the_first_reply_time_on_later_replies(conversation, teammate):
    first = services.conversation_teammate_reply(
        conversation=conversation, teammate=teammate, body="One"
    )
    second = services.conversation_teammate_reply(
        conversation=conversation, teammate=teammate, body="Two"
    )

    conversation.refresh_from_db()
    assert conversation.first_teammate_reply_at == first.created_at
    assert conversation.last_teammate_reply_at == second.created_at


def test_it_refuses_a_reply_from_a_deactivated_teammate(conversation, teammate):
    teammate.is_active = False
    teammate.save()
    count = conversation.parts.count()

    with pytest.raises(ValidationError) as error:
        services.conversation_teammate_reply(conversation=conversation, teammate=teammate, body="x")

    assert "teammate" in error.value.message_dict
    assert conversation.parts.count() == count


def test_it_records_a_note_as_internal(conversation, as_teammate):
    part = services.conversation_add_note(
        conversation=conversation, body="VIP, be nice", acting=as_teammate
    )

    assert part.part_type == PartType.NOTE
    assert last_event(conversation).event_type == EventType.NOTE_ADDED
    conversation.refresh_from_db()
    assert conversation.waiting_since is not None  # a note is not a reply


def test_it_records_a_bot_message_by_the_workflow(conversation):
    acting = Actor.workflow(7, "Greeting", depth=1)

    part = services.conversation_bot_message(
        conversation=conversation, body="Hi there!", acting=acting, details={"buttons": ["Yes"]}
    )

    assert (part.part_type, part.author_type, part.author_id) == (
        PartType.BOT_MESSAGE,
        ActorType.WORKFLOW,
        7,
    )
    assert part.details == {"buttons": ["Yes"]}
    event = last_event(conversation)
    assert (event.event_type, event.actor_type, event.depth) == (
        EventType.BOT_MESSAGE,
        ActorType.WORKFLOW,
        1,
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", validation.BODY_EMPTY),
        (None, validation.BODY_EMPTY),
        ("y" * 10_001, validation.BODY_TOO_LONG),
    ],
)
def test_it_refuses_bad_bodies_everywhere_and_saves_nothing(conversation, teammate, body, message):
    parts, events = conversation.parts.count(), conversation.events.count()
    calls = [
        lambda: services.conversation_customer_message(conversation=conversation, body=body),
        lambda: services.conversation_teammate_reply(
            conversation=conversation, teammate=teammate, body=body
        ),
        lambda: services.conversation_add_note(
            conversation=conversation, body=body, acting=Actor.teammate(teammate)
        ),
    ]
    for call in calls:
        with pytest.raises(ValidationError) as error:
            call()
        assert error.value.message_dict == {"body": [message]}

    assert (conversation.parts.count(), conversation.events.count()) == (parts, events)
