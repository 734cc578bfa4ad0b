"""A change and its event are saved together or not at all (the outbox guarantee)."""

import pytest
from django.db import transaction

from conversations import services
from conversations.models import Conversation, Event, Part

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


# Services open no savepoint (see conversations/services.py): a failure inside one rolls
# back the whole transaction, so these two run the service as the outermost transaction.
@pytest.mark.django_db(transaction=True)
def test_it_leaves_neither_change_nor_part_when_writing_the_event_fails(
    conversation, as_teammate, monkeypatch
):
    parts, events = Part.objects.count(), Event.objects.count()

    def fail(*args, **kwargs):
        raise Boom

    monkeypatch.setattr(Event.objects, "create", fail)
    with pytest.raises(Boom):
        services.conversation_close(conversation=conversation, acting=as_teammate)

    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.OPEN
    assert (Part.objects.count(), Event.objects.count()) == (parts, events)


@pytest.mark.django_db(transaction=True)
def test_it_leaves_no_conversation_when_opening_fails_half_way(contact, monkeypatch):
    original = Event.objects.create
    calls = []

    def fail_on_second(*args, **kwargs):
        calls.append(kwargs["event_type"])
        if len(calls) == 2:
            raise Boom
        return original(*args, **kwargs)

    monkeypatch.setattr(Event.objects, "create", fail_on_second)
    with pytest.raises(Boom):
        services.conversation_open(contact=contact, body="Hello")

    assert not Conversation.objects.exists()
    assert not Part.objects.exists()
    assert not Event.objects.exists()


def test_it_rolls_back_change_and_event_with_the_callers_transaction(conversation, as_teammate):
    events = Event.objects.count()

    with pytest.raises(Boom), transaction.atomic():
        services.conversation_add_tag(conversation=conversation, name="VIP", acting=as_teammate)
        raise Boom

    assert not conversation.tags.exists()
    assert Event.objects.count() == events
