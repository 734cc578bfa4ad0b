"""§9 speed: an event costs the same number of queries whatever the live workflows that
do not match; definitions are compiled once per process and recompiled on change."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from conversations import services
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process, runs_of, tag_names
from workflows import catalog
from workflows.models import Workflow, WorkflowLog
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

    # lock; one read of the catalog stamp, active runs, pending timers, pending events,
    # ran-before and tags (six SELECTs before run_rows.load_state); mark processed (with
    # the timer the message sets, if any); plus the savepoint pair of the test's own
    # transaction.
    with django_assert_max_num_queries(3 + 2):
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


def statements(captured, text):
    """The statements that run `text`, alone or with others in one statement of WITH
    clauses (the processor writes a round's conversation UPDATE, parts and events in one;
    its runs, the events it marks processed and its timers in another)."""
    return [query["sql"] for query in captured if text in query["sql"]]


FOUR_CHANGES = [
    {"type": "add_tag", "tag": "Billing"},
    {"type": "set_priority", "priority": True},
    {"type": "set_data", "key": "topic", "value": "billing"},
    {"type": "add_note", "body": "Looked at by the bot"},
]


def test_a_runs_changes_are_written_together_one_update_and_one_insert_per_table():
    """A run that makes four changes: one conversation UPDATE, one INSERT of the four
    parts, one of their four events, one of the run (not one of each per change)."""
    make_workflow("Triage", frequency="once", steps=FOUR_CHANGES)
    services.tag_get_or_create("Billing")
    catalog.current_catalog()
    conversation = services.conversation_open(contact=ContactFactory(), body="first")
    with CaptureQueriesContext(connection) as captured:
        process(conversation)

    assert len(statements(captured, 'UPDATE "conversations_conversation"')) == 1
    assert len(statements(captured, 'INSERT INTO "conversations_part"')) == 1
    assert len(statements(captured, 'INSERT INTO "conversations_event"')) == 1
    assert len(statements(captured, 'INSERT INTO "workflows_workflowrun"')) == 1
    # The round's UPDATE and both INSERTs are one statement.
    assert statements(captured, 'UPDATE "conversations_conversation"') == statements(
        captured, 'INSERT INTO "conversations_event"'
    )
    # The tag link (its id cached) is written in that statement too.
    assert statements(captured, 'INSERT INTO "conversations_conversation_tags"') == statements(
        captured, 'INSERT INTO "conversations_event"'
    )
    # The run, the events marked processed and the log records in one statement.
    assert statements(captured, 'INSERT INTO "workflows_workflowlog"') == statements(
        captured, 'INSERT INTO "workflows_workflowrun"'
    )
    # lock; one read of the catalog stamp, runs, timers, events, ran-before and tags
    # (run_rows.load_state); flush: UPDATE, tag link, parts and events in one statement;
    # round 2 reads the events it wrote (no SELECT); the run INSERT that also marks both
    # rounds' events processed and writes the log records; savepoint pair of the test's
    # transaction. (Before the writes were batched: 25, an UPDATE, a part and an event per
    # change, a SELECT and an UPDATE per round; before the one read: 14, a SELECT for each
    # of the six; before the one flush statement: 9, three for the flush; before the run
    # INSERT marked the events: 7; before the tag links joined the flush: 6; before the
    # log records joined the run INSERT: 5, their COPY.)
    assert len(captured) == 4 + 2

    # What the user sees is as before: each change a part and an event naming it, in order.
    conversation.refresh_from_db()
    assert conversation.priority is True
    assert conversation.custom_attributes == {"topic": "billing"}
    assert tag_names(conversation) == ["Billing"]
    parts = list(conversation.parts.order_by("created_at", "id"))
    events = list(conversation.events.order_by("id"))
    assert [p.part_type for p in parts][-4:] == ["tag_added", "priority", "data_set", "note"]
    assert [e.event_type for e in events][-4:] == [
        "tag_added",
        "priority_changed",
        "data_set",
        "note_added",
    ]
    assert [e.payload["part_id"] for e in events] == [p.pk for p in parts]
    assert all(e.processed_at is not None for e in events)
    run = runs_of(conversation).get()
    assert run.status == "completed"
    assert set(WorkflowLog.objects.filter(run=run).values_list("kind", flat=True)) >= {
        "started",
        "completed",
    }


def test_a_burst_writes_its_runs_parts_and_events_in_one_insert_each():
    """20 messages in one transaction, a workflow that runs on each and adds a note: the
    20 runs in one INSERT; the round's 20 notes in one UPDATE and one INSERT per table."""
    make_workflow(
        "Each",
        frequency="every_time",
        steps=[{"type": "add_tag", "tag": "Seen"}, {"type": "add_note", "body": "Seen it"}],
    )
    conversation = services.conversation_open(contact=ContactFactory(), body="first")
    process(conversation)
    with transaction.atomic():
        for number in range(20):
            services.conversation_customer_message(conversation=conversation, body=f"m{number}")
    with CaptureQueriesContext(connection) as captured:
        assert process(conversation) == 40  # the messages, then the notes

    runs = list(runs_of(conversation))
    assert [run.status for run in runs] == ["completed"] * 21
    # In the order they started (their messages'), each named by its own records.
    assert [run.event_id for run in runs] == sorted(run.event_id for run in runs)
    for run in runs:
        kinds = list(run.logs.order_by("id").values_list("kind", "event_id"))
        assert kinds[0] == ("started", run.event_id)
        assert kinds[-1] == ("completed", run.event_id)
    notes = list(conversation.parts.filter(part_type="note").order_by("id"))
    assert len(notes) == 21
    note_events = list(conversation.events.filter(event_type="note_added").order_by("id"))
    assert [e.payload["part_id"] for e in note_events] == [p.pk for p in notes]
    for statement in (
        'INSERT INTO "workflows_workflowrun"',
        'UPDATE "conversations_conversation"',
        'INSERT INTO "conversations_part"',
        'INSERT INTO "conversations_event"',
    ):
        assert len(statements(captured, statement)) == 1, statement
    # lock; one read of the catalog stamp, runs, timers, events, ran-before and tags;
    # flush: UPDATE, tag link, parts and events in one statement; round 2 reads the notes
    # it wrote (no SELECT); the runs' INSERT that also marks both rounds' events
    # processed and writes the log records; savepoint pair of the test's transaction.
    # (Before: 91, an UPDATE, a part and an event per note, an INSERT per run, a SELECT
    # and an UPDATE per round; before the one read: 13; before the one flush statement:
    # 8; before the runs' INSERT marked the events: 6; before it wrote the logs: 5.)
    assert len(captured) == 4 + 2


def test_log_records_are_written_as_given_in_order():
    """The records' one COPY keeps every character and their order (the timeline's)."""
    from django.utils import timezone

    from workflows.run_rows import write_logs

    workflow = make_workflow("Logged")
    conversation = services.conversation_open(contact=ContactFactory(), body="first")
    now = timezone.now()
    odd = "tab\there\nnew line \\ backslash \\N é 🙂 'quote' \"double\""
    rows = [
        (conversation.pk, workflow.pk, None, None, "skipped", odd, {"actual": odd}, now),
        (conversation.pk, None, None, None, "started", "plain", {}, now),
    ]
    with CaptureQueriesContext(connection) as captured:
        write_logs(rows)
    assert len(captured) == 1

    logs = list(WorkflowLog.objects.filter(conversation=conversation).order_by("id"))
    assert [(log.workflow_id, log.kind, log.message, log.details) for log in logs] == [
        (workflow.pk, "skipped", odd, {"actual": odd}),
        (None, "started", "plain", {}),
    ]
    assert all(log.created_at == now and log.run_id is None for log in logs)


def test_log_records_written_with_their_runs_name_them_and_keep_every_character():
    """The end of a processing writes its new runs and its records in one statement: each
    record names its run (new or stored), in the order queued, every character kept."""
    from django.utils import timezone

    from workflows.models import WorkflowRun
    from workflows.run_rows import insert_runs

    workflow = make_workflow("Logged")
    conversation = services.conversation_open(contact=ContactFactory(), body="first")
    now = timezone.now()

    def new_run():
        return WorkflowRun(
            workflow_id=workflow.pk, conversation=conversation, status="completed",
            started_at=now, depth=0,
        )  # fmt: skip

    stored = new_run()
    insert_runs([stored])
    first, second = new_run(), new_run()
    odd = "tab\there\nnew line \\ backslash \\N é 🙂 'quote' \"double\" {a,b} NULL"
    pk = conversation.pk
    rows = [
        (pk, workflow.pk, second, None, "started", odd, {"actual": odd}, now),
        (pk, workflow.pk, stored, None, "completed", "stored", {}, now),
        (pk, None, None, None, "skipped", "", {"n": [1, None]}, now),
        (pk, workflow.pk, first, None, "started", "first", {}, now),
    ]
    with CaptureQueriesContext(connection) as captured:
        insert_runs([first, second], logs=rows)
    assert len(captured) == 1

    logs = list(WorkflowLog.objects.filter(conversation=conversation).order_by("id"))
    assert [(log.run_id, log.kind, log.message, log.details) for log in logs] == [
        (second.pk, "started", odd, {"actual": odd}),
        (stored.pk, "completed", "stored", {}),
        (None, "skipped", "", {"n": [1, None]}),
        (first.pk, "started", "first", {}),
    ]
    assert first.pk < second.pk  # the runs' ids in the order given
    assert WorkflowRun.objects.filter(pk__in=[first.pk, second.pk]).count() == 2


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
