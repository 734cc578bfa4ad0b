from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from conversations import services, validation
from conversations.models import EventType, PartType, Tag
from tests.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db


def test_it_adds_a_tag_creating_it_when_new(conversation, as_teammate):
    services.conversation_add_tag(conversation=conversation, name=" Projects ", acting=as_teammate)

    assert [t.name for t in conversation.tags.all()] == ["Projects"]
    event = conversation.events.get(event_type=EventType.TAG_ADDED)
    assert event.payload["tag"] == "Projects"
    assert conversation.parts.get(part_type=PartType.TAG_ADDED).details == {"tag": "Projects"}


def test_it_reuses_a_tag_whatever_its_case(conversation, as_teammate):
    Tag.objects.create(name="VIP")

    services.conversation_add_tag(conversation=conversation, name="vip", acting=as_teammate)

    assert Tag.objects.count() == 1
    assert [t.name for t in conversation.tags.all()] == ["VIP"]


def test_it_records_nothing_when_the_tag_is_already_there(conversation, as_teammate):
    services.conversation_add_tag(conversation=conversation, name="VIP", acting=as_teammate)
    services.conversation_add_tag(conversation=conversation, name="VIP", acting=as_teammate)

    assert conversation.events.filter(event_type=EventType.TAG_ADDED).count() == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", validation.TAG_NAME_BLANK),
        ("", validation.TAG_NAME_BLANK),
        ("t" * 65, validation.TAG_NAME_TOO_LONG),
    ],
)
def test_it_refuses_a_bad_tag_name_and_saves_nothing(conversation, as_teammate, name, message):
    with pytest.raises(ValidationError) as error:
        services.conversation_add_tag(conversation=conversation, name=name, acting=as_teammate)

    assert error.value.message_dict == {"name": [message]}
    assert not Tag.objects.exists()
    assert not conversation.events.filter(event_type=EventType.TAG_ADDED).exists()


def test_it_removes_a_tag(conversation, as_teammate):
    services.conversation_add_tag(conversation=conversation, name="Billing", acting=as_teammate)

    services.conversation_remove_tag(conversation=conversation, name="billing", acting=as_teammate)

    assert not conversation.tags.exists()
    event = conversation.events.get(event_type=EventType.TAG_REMOVED)
    assert event.payload["tag"] == "Billing"
    assert conversation.parts.filter(part_type=PartType.TAG_REMOVED).count() == 1


def test_it_records_nothing_when_removing_a_tag_that_is_not_there(conversation, as_teammate):
    services.conversation_remove_tag(conversation=conversation, name="Nope", acting=as_teammate)

    assert not conversation.events.filter(event_type=EventType.TAG_REMOVED).exists()


def test_it_marks_and_unmarks_priority(conversation, as_teammate):
    services.conversation_set_priority(conversation=conversation, priority=True, acting=as_teammate)
    services.conversation_set_priority(conversation=conversation, priority=True, acting=as_teammate)
    services.conversation_set_priority(
        conversation=conversation, priority=False, acting=as_teammate
    )

    conversation.refresh_from_db()
    assert conversation.priority is False
    changes = conversation.events.filter(event_type=EventType.PRIORITY_CHANGED).order_by("id")
    assert [e.payload["priority"] for e in changes] == [True, False]


def test_it_refuses_a_priority_that_is_not_true_or_false(conversation, as_teammate):
    with pytest.raises(ValidationError):
        services.conversation_set_priority(
            conversation=conversation, priority="yes", acting=as_teammate
        )


def test_it_applies_an_sla_and_sets_the_due_times(conversation, as_teammate):
    policy = SlaPolicyFactory(name="Premium Support")
    conversation.refresh_from_db()
    waiting_since = conversation.waiting_since

    services.conversation_apply_sla(conversation=conversation, policy=policy, acting=as_teammate)

    conversation.refresh_from_db()
    assert conversation.sla_policy == policy
    assert conversation.first_reply_due_at == waiting_since + timedelta(minutes=30)
    assert conversation.next_reply_due_at is None
    assert conversation.close_due_at == conversation.sla_applied_at + timedelta(days=1)
    event = conversation.events.get(event_type=EventType.SLA_APPLIED)
    assert event.payload["sla"] == "Premium Support"
    assert conversation.parts.get(part_type=PartType.SLA_APPLIED).details == {
        "sla": "Premium Support"
    }


def test_it_sets_conversation_data(conversation, as_teammate):
    services.conversation_set_data(
        conversation=conversation, key="order_id", value="A-1001", acting=as_teammate
    )
    services.conversation_set_data(
        conversation=conversation, key="order_id", value="A-1001", acting=as_teammate
    )

    conversation.refresh_from_db()
    assert conversation.custom_attributes == {"order_id": "A-1001"}
    [event] = conversation.events.filter(event_type=EventType.DATA_SET)
    assert (event.payload["key"], event.payload["value"]) == ("order_id", "A-1001")


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [("", 1, "key"), ("has space", 1, "key"), ("ok", {"nested": 1}, "value")],
)
def test_it_refuses_bad_conversation_data(conversation, as_teammate, key, value, field):
    with pytest.raises(ValidationError) as error:
        services.conversation_set_data(
            conversation=conversation, key=key, value=value, acting=as_teammate
        )

    assert field in error.value.message_dict
    conversation.refresh_from_db()
    assert conversation.custom_attributes == {}
