"""Tags on the hot path: a known tag costs no `SELECT tag`, a tag the conversation already
has costs no query at all, and what is recorded stays the same."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from conversations import services
from conversations.models import EventType, PartType, Tag
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process, tag_names
from workflows import catalog
from workflows.models import Workflow

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def cold_tag_cache():
    services.tag_id_cache_clear()
    yield
    services.tag_id_cache_clear()


def locked(conversation):
    return services.conversation_lock(conversation.pk)


def tag_events(conversation):
    return list(
        conversation.events.filter(event_type=EventType.TAG_ADDED)
        .order_by("id")
        .values_list("payload", flat=True)
    )


def test_adding_a_tag_the_conversation_already_has_costs_no_query(conversation, as_teammate):
    with transaction.atomic():
        conversation = locked(conversation)
        services.conversation_add_tag(conversation=conversation, name="VIP", acting=as_teammate)

        with CaptureQueriesContext(connection) as captured:
            services.conversation_add_tag(conversation=conversation, name="vip", acting=as_teammate)

    assert captured.captured_queries == []
    assert len(tag_events(conversation)) == 1


def test_adding_a_known_tag_reads_no_tag_row(contact, as_teammate):
    first = services.conversation_open(contact=contact, body="one")
    second = services.conversation_open(contact=contact, body="two")
    services.conversation_add_tag(conversation=first, name="Billing", acting=as_teammate)

    with transaction.atomic():
        second = locked(second)
        services.conversation_tags(second)  # read once per transaction
        with CaptureQueriesContext(connection) as captured:
            services.conversation_add_tag(conversation=second, name="billing", acting=as_teammate)

    # The link, the conversation's updated_at, the part and the event.
    assert len(captured) == 4, [q["sql"] for q in captured.captured_queries]
    assert tag_names(second) == ["Billing"]
    [payload] = tag_events(second)
    assert payload["tag"] == "Billing"
    assert payload["tag_id"] == Tag.objects.get().pk
    assert second.parts.get(part_type=PartType.TAG_ADDED).details == {"tag": "Billing"}


def test_removing_a_tag_the_conversation_does_not_have_costs_no_query(conversation, as_teammate):
    with transaction.atomic():
        conversation = locked(conversation)
        services.conversation_tags(conversation)
        with CaptureQueriesContext(connection) as captured:
            services.conversation_remove_tag(
                conversation=conversation, name="Nope", acting=as_teammate
            )

    assert captured.captured_queries == []


def test_a_tag_deleted_after_it_was_cached_is_made_again(contact, as_teammate):
    first = services.conversation_open(contact=contact, body="one")
    services.conversation_add_tag(conversation=first, name="Billing", acting=as_teammate)
    Tag.objects.all().delete()  # from the admin: the cached id is gone
    second = services.conversation_open(contact=contact, body="two")

    services.conversation_add_tag(conversation=second, name="Billing", acting=as_teammate)

    assert tag_names(second) == ["Billing"]
    [payload] = tag_events(second)
    assert payload["tag_id"] == Tag.objects.get(name="Billing").pk


def test_a_tag_renamed_after_it_was_cached_is_not_used_for_its_old_name(contact, as_teammate):
    first = services.conversation_open(contact=contact, body="one")
    services.conversation_add_tag(conversation=first, name="Billing", acting=as_teammate)
    Tag.objects.filter(name="Billing").update(name="Invoices")
    second = services.conversation_open(contact=contact, body="two")

    services.conversation_add_tag(conversation=second, name="Billing", acting=as_teammate)

    assert tag_names(second) == ["Billing"]
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Billing", "Invoices"]


def test_a_prefetched_tag_list_is_refreshed_after_a_change(conversation, as_teammate):
    services.conversation_add_tag(conversation=conversation, name="One", acting=as_teammate)
    assert [t.name for t in conversation.tags.all()] == ["One"]
    conversation._prefetched_objects_cache = {"tags": list(conversation.tags.all())}

    services.conversation_add_tag(conversation=conversation, name="Two", acting=as_teammate)
    services.conversation_remove_tag(conversation=conversation, name="one", acting=as_teammate)

    assert [t.name for t in conversation.tags.all()] == ["Two"]


def queries_to_process_a_message(name, steps):
    make_workflow(name, frequency="every_time", steps=steps)
    conversation = services.conversation_open(contact=ContactFactory(), body="first")
    process(conversation)
    services.conversation_customer_message(conversation=conversation, body="again")
    with CaptureQueriesContext(connection) as captured:
        process(conversation)
    assert tag_names(conversation) == ["VIP"]
    Workflow.objects.update(status=Workflow.Status.PAUSED)
    catalog.bump_catalog_version()
    return len(captured)


def test_a_workflow_adding_tags_already_there_costs_no_query_per_tag():
    once = queries_to_process_a_message("Once", [{"type": "add_tag", "tag": "VIP"}])
    thrice = queries_to_process_a_message("Thrice", [{"type": "add_tag", "tag": "VIP"}] * 3)

    assert thrice == once


def tagging_workflow_on_new_conversation(steps, contact):
    make_workflow("Tagger", frequency="every_time", steps=steps)
    conversation = services.conversation_open(contact=contact, body="first")
    process(conversation)
    return conversation


def test_a_workflow_tags_with_a_tag_deleted_after_it_was_cached(contact, as_teammate):
    other = services.conversation_open(contact=contact, body="one")
    services.conversation_add_tag(conversation=other, name="Billing", acting=as_teammate)
    Tag.objects.all().delete()  # from the admin: the cached id is gone

    conversation = tagging_workflow_on_new_conversation(
        [{"type": "add_tag", "tag": "Billing"}], contact
    )

    assert tag_names(conversation) == ["Billing"]
    [payload] = tag_events(conversation)
    assert payload["tag_id"] == Tag.objects.get(name="Billing").pk


def test_a_workflow_tags_with_a_tag_renamed_after_it_was_cached(contact, as_teammate):
    other = services.conversation_open(contact=contact, body="one")
    services.conversation_add_tag(conversation=other, name="Billing", acting=as_teammate)
    Tag.objects.filter(name="Billing").update(name="Invoices")

    conversation = tagging_workflow_on_new_conversation(
        [{"type": "add_tag", "tag": "Billing"}, {"type": "set_priority", "priority": True}],
        contact,
    )

    assert tag_names(conversation) == ["Billing"]
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Billing", "Invoices"]
    [payload] = tag_events(conversation)
    assert payload["tag_id"] == Tag.objects.get(name="Billing").pk


def test_a_workflow_that_adds_then_removes_a_known_tag_leaves_it_off(contact, as_teammate):
    other = services.conversation_open(contact=contact, body="one")
    services.conversation_add_tag(conversation=other, name="Billing", acting=as_teammate)

    conversation = tagging_workflow_on_new_conversation(
        [{"type": "add_tag", "tag": "Billing"}, {"type": "remove_tag", "tag": "billing"}],
        contact,
    )

    assert tag_names(conversation) == []
    assert [e.event_type for e in conversation.events.order_by("id")][-2:] == [
        EventType.TAG_ADDED,
        EventType.TAG_REMOVED,
    ]
