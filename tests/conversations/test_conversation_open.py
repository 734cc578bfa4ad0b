import pytest
from django.core.exceptions import ValidationError

from conversations import services, validation
from conversations.models import ActorType, Conversation, Event, EventType, Part, PartType

pytestmark = pytest.mark.django_db


def test_it_opens_a_conversation_without_a_message(contact):
    conversation = services.conversation_open(contact=contact)

    assert conversation.state == Conversation.State.OPEN
    assert conversation.first_customer_message_at is None
    part = Part.objects.get(conversation=conversation)
    assert part.part_type == PartType.OPENED
    assert (part.author_type, part.author_id) == (ActorType.CONTACT, contact.pk)
    event = Event.objects.get(conversation=conversation)
    assert event.event_type == EventType.CONVERSATION_OPENED
    assert (event.actor_type, event.actor_id) == (ActorType.CONTACT, contact.pk)
    assert event.payload["part_id"] == part.pk


def test_it_opens_with_a_first_message_as_opened_then_first_message(contact):
    conversation = services.conversation_open(contact=contact, body="  Where is my invoice?  ")

    events = list(conversation.events.order_by("id"))
    assert [e.event_type for e in events] == [
        EventType.CONVERSATION_OPENED,
        EventType.CUSTOMER_MESSAGE,
    ]
    assert events[1].payload["first"] is True
    assert events[1].payload["body"] == "Where is my invoice?"
    message = conversation.parts.get(part_type=PartType.CUSTOMER_MESSAGE)
    assert message.body == "Where is my invoice?"
    conversation.refresh_from_db()
    assert conversation.first_customer_message_at == message.created_at
    assert conversation.waiting_since == message.created_at


@pytest.mark.parametrize(
    ("body", "message"),
    [("   ", validation.BODY_EMPTY), ("x" * 10_001, validation.BODY_TOO_LONG)],
)
def test_it_refuses_a_bad_first_message_and_saves_nothing(contact, body, message):
    with pytest.raises(ValidationError) as error:
        services.conversation_open(contact=contact, body=body)

    assert error.value.message_dict == {"body": [message]}
    assert not Conversation.objects.exists()
    assert not Event.objects.exists()


def test_it_accepts_a_message_of_exactly_the_limit(contact):
    conversation = services.conversation_open(contact=contact, body="x" * 10_000)

    assert conversation.parts.get(part_type=PartType.CUSTOMER_MESSAGE).body == "x" * 10_000


def test_it_refuses_an_unknown_channel(contact):
    with pytest.raises(ValidationError) as error:
        services.conversation_open(contact=contact, channel="pigeon")

    assert "channel" in error.value.message_dict
    assert not Conversation.objects.exists()
