"""The processor's side of the planner: records saved with their words, the timeline
saying them from the record, the dry run deciding with the planner, and the ran-before
read returning one row per workflow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations import services
from conversations.actors import Actor
from inbox.selectors import workflow_words
from tests.factories import ContactFactory, TeammateFactory
from tests.workflows.helpers import make_workflow, process
from workflows.dry_run import workflow_dry_run
from workflows.models import WorkflowLog

pytestmark = pytest.mark.django_db

TALK = [{"type": "send_message", "body": "Hello"}, {"type": "snooze", "duration": "1d"}]


def test_an_interruption_is_saved_as_a_record_and_said_from_it():
    make_workflow("Greeter", steps=TALK)
    conversation = services.conversation_open(contact=ContactFactory(), body="Hi")
    process(conversation)
    services.conversation_teammate_reply(
        conversation=conversation.pk,
        teammate=TeammateFactory(first_name="Ben", last_name=""),
        body="Hi",
    )
    process(conversation)

    log = WorkflowLog.objects.get(conversation=conversation, kind="interrupted")
    assert log.details == {"cause": "teammate_replied", "actor": "Ben"}
    assert log.message == "Interrupted: Ben replied"
    # The timeline says it from the record: a message edited by hand changes nothing.
    log.message = "something else"
    assert workflow_words(log) == 'Workflow "Greeter" was interrupted: Ben replied'


def test_the_dry_run_says_another_customer_facing_run_is_active():
    make_workflow("Greeter", steps=TALK)
    second = make_workflow("Second", trigger="teammate_replied", steps=TALK)
    conversation = services.conversation_open(contact=ContactFactory(), body="Hi")
    process(conversation)

    result = workflow_dry_run(second, conversation)

    assert result["would_start"] is False
    assert result["reason"] == 'another customer-facing workflow, "Greeter", is active'


def test_the_workflows_that_ran_before_are_read_one_row_per_workflow():
    make_workflow("Tagger", frequency="every_time")
    once = make_workflow("Once", trigger="teammate_added_note")
    conversation = services.conversation_open(contact=ContactFactory(), body="Hi")
    process(conversation)
    for body in ("again", "and again"):
        services.conversation_customer_message(conversation=conversation.pk, body=body)
        process(conversation)
    services.conversation_add_note(
        conversation=conversation.pk, body="note", acting=Actor.teammate(TeammateFactory())
    )

    with CaptureQueriesContext(connection) as queries:
        process(conversation)

    # Read with the rest of the processor's state (run_rows.load_state), one sub-query.
    [read] = [q["sql"] for q in queries if "DISTINCT" in q["sql"]]
    ran_before = read[read.index("SELECT DISTINCT") :].split(")", 1)[0]
    assert ran_before.startswith('SELECT DISTINCT "workflow_id" FROM "workflows_workflowrun"')
    assert "ORDER BY" not in ran_before
    assert once.runs.count() == 1


@pytest.mark.parametrize(
    "kind, message, details, said",
    [
        (
            "skipped",
            "Did not start: it runs once per conversation and already ran on this one",
            {"trigger": "customer_any_message"},
            'Workflow "Greeter" did not start: it runs once per conversation and already ran on this one',
        ),
        (
            "not_matched",
            "Did not start: targeting rule did not match: Channel is email (actual: chat)",
            {"count": 1, "workflows": [{"id": 1, "name": "Greeter", "reason": "…"}]},
            'Workflow "Greeter" did not start: targeting rule did not match: Channel is email '
            "(actual: chat)",
        ),
        (
            "interrupted",
            "Interrupted: Ben replied",
            {},
            'Workflow "Greeter" was interrupted: Ben replied',
        ),
        (
            "interrupted",
            "Interrupted: the workflow was archived",
            {"reason": "workflow_archived", "workflow": 1},
            'Workflow "Greeter" was interrupted: the workflow was archived',
        ),
        ("failed", "Failed: no such team", {}, 'Workflow "Greeter" failed: no such team'),
        ("resumed", "The wait ended", {}, 'Workflow "Greeter": The wait ended'),
    ],
)
def test_a_log_saved_before_records_reads_in_the_timeline_as_it_did(kind, message, details, said):
    """Rows written by the processor before records existed (message, old details) keep
    the timeline's sentence: 'did not start', 'was interrupted', 'failed'."""
    workflow = make_workflow("Greeter", steps=TALK)
    log = WorkflowLog(workflow=workflow, kind=kind, message=message, details=details)
    assert workflow_words(log) == said
