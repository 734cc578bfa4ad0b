"""The processor's lock in plain SQL (run_rows.lock_conversation): the ORM's locking query
compiled once, read into the same instances as the ORM reads them."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations import services
from conversations.models import Conversation
from tests.factories import CompanyFactory, ContactFactory, TeamFactory, TeammateFactory
from workflows.models import ProcessingFailure
from workflows.processing import PROCESSING_RELATED
from workflows.run_rows import lock_conversation

pytestmark = pytest.mark.django_db


def fields(instance):
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def orm_read(pk):
    return Conversation.objects.select_related(*PROCESSING_RELATED).get(pk=pk)


def test_the_lock_reads_the_conversation_and_its_related_rows_as_the_orm_does():
    contact = ContactFactory(company=CompanyFactory(), custom_attributes={"tier": "gold"})
    conversation = services.conversation_open(contact=contact, body="Hello")
    Conversation.objects.filter(pk=conversation.pk).update(
        assignee=TeammateFactory(), team=TeamFactory(), custom_attributes={"topic": "billing"}
    )
    ProcessingFailure.objects.create(
        conversation_id=conversation.pk, failures=2, error="boom", retry_at=timezone.now()
    )
    expected = orm_read(conversation.pk)

    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        locked = lock_conversation(conversation.pk, PROCESSING_RELATED)
        # Everything the processor reads from it was read with it.
        related = [
            locked.contact.company,
            locked.assignee,
            locked.team,
            locked.processing_failure,
        ]

    assert len(captured) == 1
    assert "FOR UPDATE" in captured[0]["sql"]
    assert fields(locked) == fields(expected)
    assert locked.custom_attributes == {"topic": "billing"}
    assert fields(locked.contact) == fields(expected.contact)
    assert [fields(row) for row in related] == [
        fields(expected.contact.company),
        fields(expected.assignee),
        fields(expected.team),
        fields(expected.processing_failure),
    ]


def test_without_related_rows_and_for_a_missing_conversation():
    conversation = services.conversation_open(contact=ContactFactory(company=None), body="Hello")

    with transaction.atomic():
        locked = lock_conversation(conversation.pk, PROCESSING_RELATED)
        assert locked.assignee is None and locked.team is None and locked.contact.company is None
        assert getattr(locked, "processing_failure", None) is None
        assert lock_conversation(conversation.pk + 1000, PROCESSING_RELATED) is None
