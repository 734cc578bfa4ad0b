"""§9 speed: an event costs the same number of queries whatever the live workflows that
do not match; definitions are compiled once per process and recompiled on change."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations import services
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process, tag_names
from workflows import catalog
from workflows.models import Workflow
from workflows.services import workflow_update

pytestmark = pytest.mark.django_db

TRIGGERS = ["customer_any_message", "customer_first_message", "teammate_replied", "sla_missed"]


def add_non_matching(count):
    """Live workflows that do not start: other triggers, or targeting that fails."""
    rows = []
    for index in range(count):
        rows.append(
            Workflow(
                name=f"Never {index}",
                status="live",
                trigger=TRIGGERS[index % len(TRIGGERS)],
                priority=100 + index,
                audience={"match": "all", "rules": [
                    {"attribute": "contact.plan", "operator": "is", "value": f"Enterprise {index}"}
                ]},
                steps=[{"type": "add_tag", "tag": f"never-{index}"}],
            )
        )  # fmt: skip
    Workflow.objects.bulk_create(rows)
    catalog.bump_catalog_version()


def queries_for_one_message(contact):
    conversation = services.conversation_open(contact=contact, body="first")
    process(conversation)
    process(conversation)  # nothing pending: the catalog is warm from here on
    services.conversation_customer_message(conversation=conversation, body="again")
    with CaptureQueriesContext(connection) as captured:
        process(conversation)
    assert tag_names(conversation) == ["Matching"]
    return len(captured)


def test_the_query_count_per_event_does_not_grow_with_non_matching_workflows():
    make_workflow("Matching", frequency="once", steps=[{"type": "add_tag", "tag": "Matching"}])
    add_non_matching(5)
    with_5 = queries_for_one_message(ContactFactory(plan="Pro"))

    add_non_matching_more = 195
    rows = Workflow.objects.count()
    add_non_matching_range(rows, add_non_matching_more)
    with_200 = queries_for_one_message(ContactFactory(plan="Pro"))

    assert Workflow.objects.filter(status="live").count() == 201
    assert with_5 == with_200


def add_non_matching_range(start, count):
    Workflow.objects.bulk_create(
        Workflow(
            name=f"Never more {start + index}",
            status="live",
            trigger=TRIGGERS[index % len(TRIGGERS)],
            priority=500 + index,
            audience={"match": "all", "rules": [
                {"attribute": "contact.plan", "operator": "is", "value": f"Enterprise {index}"}
            ]},
            steps=[{"type": "add_tag", "tag": "never"}],
        )
        for index in range(count)
    )  # fmt: skip
    catalog.bump_catalog_version()


def test_an_event_that_starts_nothing_costs_a_handful_of_queries(django_assert_max_num_queries):
    make_workflow("Elsewhere", trigger="teammate_replied")
    conversation = services.conversation_open(contact=ContactFactory(), body="first")
    process(conversation)
    services.conversation_customer_message(conversation=conversation, body="again")

    # lock, catalog stamp, active runs, pending timers, pending events, mark processed;
    # plus the savepoint pair of the test's own transaction.
    with django_assert_max_num_queries(6 + 2):
        process(conversation)


def test_definitions_compile_once_and_recompile_after_a_change():
    workflow = make_workflow("Tagger", steps=[{"type": "add_tag", "tag": "old"}])
    first = catalog.current_catalog()
    assert catalog.current_catalog() is first  # cached

    workflow_update(
        workflow=workflow,
        document={**workflow.document(), "steps": [{"type": "add_tag", "tag": "new"}]},
    )

    second = catalog.current_catalog()
    assert second is not first
    assert second.by_id[workflow.pk].steps[0].args == {"tag": "new"}


def test_queries_per_event_are_equal_at_10_and_1000_live_workflows():
    """Issue 12's target, asserted by count: a message that starts a workflow (its tag
    already there) costs the same queries with 9 or 999 live workflows that do not match."""
    make_workflow(
        "Every message",
        frequency="every_time",
        steps=[{"type": "add_tag", "tag": "Matching"}, {"type": "set_priority", "priority": True}],
    )
    add_non_matching(9)
    assert Workflow.objects.filter(status="live").count() == 10
    with_10 = queries_for_one_message(ContactFactory(plan="Pro"))

    add_non_matching_range(Workflow.objects.count(), 990)
    assert Workflow.objects.filter(status="live").count() == 1000
    with_1000 = queries_for_one_message(ContactFactory(plan="Pro"))

    assert with_10 == with_1000
