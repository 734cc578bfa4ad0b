"""Replay on PostgreSQL: events really processed with a workflow live, then replayed —
the simulation and the engine agree; it reads only; the snapshots cost no statement of
their own and expire."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conversations import services
from conversations.actors import Actor
from conversations.models import Event, Part
from tests.factories import ContactFactory, TeammateFactory
from tests.workflows.helpers import make_workflow, process
from workflows import catalog as catalog_module
from workflows.engine.definitions import REPEATABLE_TRIGGERS
from workflows.engine.replay import step_outline
from workflows.models import ReplayJob, ReplaySnapshot, WorkflowLog, WorkflowRun
from workflows.replay import replay
from workflows.tasks import delete_old_replay_snapshots_task

pytestmark = pytest.mark.django_db

TRIGGERS = ["customer_any_message", "customer_first_message", "teammate_replied"]
AUDIENCES = {
    "all": None,
    "pro": {"match": "all", "rules": [
        {"attribute": "contact.plan", "operator": "is", "value": "Pro"}]},
    "help": {"match": "any", "rules": [
        {"attribute": "message.body", "operator": "contains", "value": "help"},
        {"attribute": "conversation.tags", "operator": "contains", "value": "W0"}]},
}  # fmt: skip


def steps_of(name, kind):
    steps = [{"type": "add_tag", "tag": name}]
    if kind == "branch":
        steps.append({"type": "branches", "branches": [
            {"when": {"match": "all", "rules": [
                {"attribute": "contact.plan", "operator": "is", "value": "Pro"}]},
             "steps": [{"type": "add_tag", "tag": f"{name}-pro"}]},
        ], "else": [{"type": "set_priority", "priority": True}]})  # fmt: skip
    if kind == "talk":
        steps.append({"type": "send_message", "body": "Hello"})
    if kind == "ask":
        steps.append({"type": "reply_buttons", "body": "Ok?", "buttons": [
            {"label": "Yes", "steps": [{"type": "add_tag", "tag": f"{name}-yes"}]},
            {"label": "No", "steps": []},
        ]})  # fmt: skip
    return steps


catalogs = st.lists(
    st.tuples(
        st.sampled_from(TRIGGERS),
        st.sampled_from(["once", "every_time"]),
        st.sampled_from(sorted(AUDIENCES)),
        st.sampled_from(["tag", "branch", "talk", "ask"]),
    ),
    min_size=1,
    max_size=4,
)
histories = st.lists(
    st.tuples(
        st.sampled_from(["Pro", "Free"]),
        st.lists(
            st.sampled_from(["Hi", "help me", "Yes", "No", "teammate_reply", "close", "reopen"]),
            max_size=5,
        ),
    ),
    min_size=1,
    max_size=3,
)


class Rollback(Exception):
    pass


def act(conversation, teammate, what):
    if what == "teammate_reply":
        services.conversation_teammate_reply(
            conversation=conversation.pk, teammate=teammate, body="On it"
        )
    elif what == "close":
        services.conversation_close(conversation=conversation.pk, acting=Actor.teammate(teammate))
    elif what == "reopen":
        services.conversation_reopen(conversation=conversation.pk, acting=Actor.teammate(teammate))
    else:
        services.conversation_customer_message(conversation=conversation.pk, body=what)


def played(catalog, history):
    """Make the catalog live and really process the history; the workflows made."""
    catalog_module._cached = None
    made = []
    for number, (trigger, frequency, audience, kind) in enumerate(catalog):
        made.append(
            make_workflow(
                f"W{number}",
                trigger=trigger,
                # "Every time" is refused on a trigger that happens once per conversation.
                frequency=frequency if trigger in REPEATABLE_TRIGGERS else "once",
                steps=steps_of(f"W{number}", kind),
                **({"audience": AUDIENCES[audience]} if AUDIENCES[audience] else {}),
            )
        )
    teammate = TeammateFactory()
    for plan, sequence in history:
        conversation = services.conversation_open(contact=ContactFactory(plan=plan), body="Hi")
        process(conversation)
        for what in sequence:
            act(conversation, teammate, what)
            process(conversation)
    return made


def until_choice(types):
    """Step types up to the customer's choice: after it, the path depends on the answer."""
    return types[: types.index("reply_buttons") + 1] if "reply_buttons" in types else types


@settings(
    max_examples=25,
    deadline=None,
    # Each example really processes events on PostgreSQL: shrinking would take minutes.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(catalog=catalogs, history=histories)
def test_replaying_a_live_workflow_agrees_with_what_the_engine_did(catalog, history):
    try:
        with transaction.atomic():
            check_agreement(catalog, history)
            raise Rollback  # each example starts from an empty database
    except Rollback:
        pass


def check_agreement(catalog, history):
    for workflow in played(catalog, history):
        answer = replay(workflow, days=1)
        really = {
            run.event_id: run
            for run in WorkflowRun.objects.filter(workflow=workflow).prefetch_related("logs")
        }
        judged = {row["event"]: row for row in answer["conversations"]}
        assert not answer["truncated"]
        # The same events start it, and no other.
        assert {e for e, row in judged.items() if row["would_start"]} == set(really), workflow.name
        assert answer["would_start"] == len(really)
        assert answer["would_skip"] == answer["events_examined"] - len(really)
        # Where it started, the steps it took are the replay's (up to its first wait).
        for event, run in really.items():
            done = [
                log.details["type"]
                for log in sorted(run.logs.all(), key=lambda log: log.pk)
                if log.kind == WorkflowLog.Kind.STEP
            ]
            # A branch choice is a "branch" record, not a step: the walk's steps without it.
            described = [
                kind for _, kind in step_outline(judged[event]["steps"]) if kind != "branches"
            ]
            assert until_choice(done) == until_choice(described)[: len(until_choice(done))]
            if run.status == WorkflowRun.Status.COMPLETED and "reply_buttons" not in done:
                assert done == described, workflow.name
        # The stored document tried as a draft is judged the same: no differences.
        again = replay(workflow, days=1, document=workflow.document())
        assert again["compared_with_live"]["differences"] == []


def test_a_draft_shows_where_it_differs_from_the_live_version():
    pro_only = make_workflow("Greeter", audience=AUDIENCES["pro"])
    for plan in ("Pro", "Free"):
        conversation = services.conversation_open(contact=ContactFactory(plan=plan), body="Hi")
        process(conversation)
    draft = {**pro_only.document(), "audience": {"match": "all", "rules": []}}

    answer = replay(pro_only, days=7, document=draft)

    assert (answer["events_examined"], answer["would_start"]) == (2, 2)
    compared = answer["compared_with_live"]
    assert compared["live_would_start"] == 1
    [difference] = compared["differences"]
    assert difference["difference"] == "draft_starts"
    assert difference["words"] == "The draft would start; the live version would not"
    assert "Plan" in difference["live"]["reason"]
    assert [step["type"] for step in difference["draft"]["steps"]] == ["add_tag"]


def test_a_replay_changes_nothing():
    workflow = make_workflow("Greeter", frequency="every_time")
    conversation = services.conversation_open(contact=ContactFactory(), body="Hi")
    process(conversation)
    counts = [model.objects.count() for model in (Event, Part, WorkflowRun, WorkflowLog)]

    draft = {**workflow.document(), "steps": [{"type": "close"}]}
    assert replay(workflow, days=1, document=draft)["would_start"] == 1

    assert [model.objects.count() for model in (Event, Part, WorkflowRun, WorkflowLog)] == counts
    assert Event.objects.filter(processed_at__isnull=True).count() == 0


def test_the_snapshot_is_written_in_the_statement_that_marks_the_events_processed():
    make_workflow("Greeter", frequency="every_time")
    conversation = services.conversation_open(contact=ContactFactory(plan="Pro"), body="Hi")
    process(conversation)
    services.conversation_customer_message(conversation=conversation, body="again")
    with CaptureQueriesContext(connection) as captured:
        process(conversation)
    writing = [q["sql"] for q in captured if "workflows_replaysnapshot" in q["sql"]]
    assert len(writing) == 1
    assert "SET processed_at" in writing[0]
    kept = ReplaySnapshot.objects.latest("event_id")
    assert kept.facts["contact.plan"] == "Pro"
    assert kept.facts["message.body"] == "again"
    assert kept.triggers == ",customer_any_message,"


def test_an_event_that_fires_no_trigger_keeps_no_snapshot():
    conversation = services.conversation_open(contact=ContactFactory(), body="Hi")
    process(conversation)
    before = ReplaySnapshot.objects.count()
    # Closed by the system (not a teammate): no trigger fires.
    services.conversation_close(conversation=conversation, acting=Actor.system())
    process(conversation)
    assert ReplaySnapshot.objects.count() == before


def test_snapshots_older_than_the_retention_go_and_old_background_replays_too(settings):
    settings.REPLAY_RETENTION_DAYS = 30
    conversation = services.conversation_open(contact=ContactFactory(), body="Hi")
    services.conversation_customer_message(conversation=conversation, body="again")
    process(conversation)
    old, *recent = ReplaySnapshot.objects.order_by("event_id").values_list("pk", flat=True)
    ReplaySnapshot.objects.filter(pk=old).update(created_at=timezone.now() - timedelta(days=31))

    workflow = make_workflow("Greeter")
    ReplayJob.objects.create(workflow=workflow, since_days=7, created_at=timezone.now())
    ReplayJob.objects.create(
        workflow=workflow, since_days=7, created_at=timezone.now() - timedelta(days=2)
    )

    assert delete_old_replay_snapshots_task() == 1
    assert ReplayJob.objects.count() == 1
    assert list(ReplaySnapshot.objects.order_by("pk").values_list("pk", flat=True)) == recent
