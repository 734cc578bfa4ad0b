"""The processor's per-conversation reads of runs go straight to their rows on
PostgreSQL: active runs through a partial index, ran-before from an index alone."""

import pytest
from django.db import connection

from conversations import services
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process
from workflows.models import WorkflowRun

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="EXPLAIN output and partial indexes as in production",
    ),
]


def plan_of(queryset) -> str:
    with connection.cursor() as cursor:
        # The tables are tiny here: without this, a sequential scan is cheaper than any
        # index and the plan tells nothing about which index fits the query.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    return queryset.explain()


@pytest.fixture
def conversation_with_runs():
    make_workflow("Tagger", frequency="every_time")
    conversation = services.conversation_open(contact=ContactFactory(), body="first")
    process(conversation)
    return conversation


def test_active_runs_are_read_through_the_partial_index(conversation_with_runs):
    active = WorkflowRun.objects.filter(
        conversation=conversation_with_runs, status__in=WorkflowRun.ACTIVE
    )

    assert "run_active_by_conv" in plan_of(active)


def test_which_workflows_ran_before_is_read_from_an_index_alone(conversation_with_runs):
    ran_before = (
        WorkflowRun.objects.filter(conversation=conversation_with_runs)
        .order_by()
        .values_list("workflow_id", flat=True)
        .distinct()
    )

    assert "Index Only Scan using run_conv_workflow" in plan_of(ran_before)
