"""Deleting a workflow archives it (API.md "Safer writes"): it disappears from lists and
reads and starts no run, its active runs end as interrupted, and every run and log stays."""

import threading
import time

import pytest
from django.conf import settings
from django.db import connection, connections, transaction
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conversations import services
from conversations.models import Conversation
from inbox.selectors import timeline
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process, runs_of
from workflows.models import Workflow, WorkflowLog, WorkflowRun
from workflows.services import WORKFLOW_IN_USE, workflow_archive

pytestmark = pytest.mark.django_db

Status = WorkflowRun.Status


@pytest.fixture
def admin_api(admin_user):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=admin_user).key}")
    return api


def open_conversation(body="Hello"):
    conversation = services.conversation_open(contact=ContactFactory(), body=body)
    process(conversation)
    conversation.refresh_from_db()
    return conversation


def asking_workflow(name="Ask first"):
    return make_workflow(
        name,
        trigger="customer_first_message",
        steps=[{"type": "reply_buttons", "body": "Sales or support?", "buttons": [
            {"label": "Sales", "steps": []}, {"label": "Support", "steps": []},
        ]}],
    )  # fmt: skip


def test_it_hides_an_archived_workflow_from_lists_and_reads_but_keeps_its_runs_and_logs(
    admin_api,
):
    tagger = make_workflow("Tagger")
    conversation = open_conversation()
    [run] = runs_of(conversation, tagger)
    logs_before = WorkflowLog.objects.filter(workflow=tagger).count()

    assert admin_api.delete(f"/api/workflows/{tagger.pk}/").status_code == 204

    assert admin_api.get(f"/api/workflows/{tagger.pk}/").status_code == 404
    assert admin_api.delete(f"/api/workflows/{tagger.pk}/").status_code == 404
    assert tagger.pk not in [w["id"] for w in admin_api.get("/api/workflows/").json()["results"]]
    runs = admin_api.get(f"/api/conversations/{conversation.pk}/runs/").json()["runs"]
    assert [(r["id"], r["workflow_name"]) for r in runs] == [(run.pk, "Tagger")]
    assert runs[0]["logs"]
    listed = admin_api.get(f"/api/workflow-runs/?workflow={tagger.pk}")
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()["results"]] == [run.pk]
    assert WorkflowLog.objects.filter(workflow=tagger).count() == logs_before
    assert "Tagger: tagged Tagger" in [item.text for item in timeline(conversation)]


def test_an_archived_workflow_starts_no_run():
    tagger = make_workflow("Tagger")
    workflow_archive(workflow=tagger)

    conversation = open_conversation()

    assert not runs_of(conversation).exists()
    assert conversation.tags.count() == 0


def test_it_ends_active_runs_as_interrupted_with_a_record_that_says_why(support_team):
    asking = asking_workflow()
    make_workflow(
        "Route",
        trigger="customer_first_message",
        steps=[{"type": "assign", "team": "Support"}],
    )
    conversation = open_conversation()
    assert conversation.in_bot_inbox is True
    assert conversation.team is None  # deferred behind the bot

    workflow_archive(workflow=asking)

    conversation.refresh_from_db()
    [run] = runs_of(conversation, asking)
    assert run.status == Status.INTERRUPTED
    assert "archived" in run.end_reason
    assert conversation.in_bot_inbox is False
    assert conversation.team == support_team  # the held-back assignment applied
    record = WorkflowLog.objects.get(run=run, kind=WorkflowLog.Kind.INTERRUPTED)
    assert record.details == {
        "cause": "workflow_archived",
        "reason": "workflow_archived",
        "workflow": asking.pk,
        "name": "Ask first",
    }


def test_an_archived_workflow_frees_its_name(admin_api, admin_user):
    old = make_workflow("Tagger")
    workflow_archive(workflow=old)

    response = admin_api.post(
        "/api/workflows/",
        {"name": "Tagger", "trigger": "customer_any_message", "steps": [{"type": "close"}]},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["id"] != old.pk


def test_archiving_a_reusable_workflow_another_one_runs_is_refused_with_409(admin_api):
    shared = make_workflow("Shared", trigger="reusable")
    make_workflow("Caller", steps=[{"type": "run_workflow", "workflow": "Shared"}])

    response = admin_api.delete(f"/api/workflows/{shared.pk}/")

    assert response.status_code == 409
    assert "Caller" in str(response.json())
    assert WORKFLOW_IN_USE.format(names="Caller") in str(response.json())
    assert admin_api.get(f"/api/workflows/{shared.pk}/").status_code == 200


def test_the_builder_delete_button_archives(admin_client):
    tagger = make_workflow("Tagger")
    conversation = open_conversation()

    admin_client.post(reverse("workflows:delete", args=[tagger.pk]))

    assert not Workflow.objects.filter(pk=tagger.pk).exists()
    assert Workflow.all_objects.get(pk=tagger.pk).archived_at is not None
    assert runs_of(conversation, tagger).count() == 1


def test_the_admin_delete_archives(client, admin_user):
    tagger = make_workflow("Tagger")
    asking = asking_workflow()
    conversation = open_conversation()
    client.force_login(admin_user)

    client.post(reverse("admin:workflows_workflow_delete", args=[tagger.pk]), {"post": "yes"})
    client.post(
        reverse("admin:workflows_workflow_changelist"),
        {"action": "delete_selected", "_selected_action": [asking.pk], "post": "yes"},
    )

    assert Workflow.objects.filter(pk__in=[tagger.pk, asking.pk]).count() == 0
    assert Workflow.all_objects.filter(pk__in=[tagger.pk, asking.pk]).count() == 2
    assert runs_of(conversation).count() == 2
    assert runs_of(conversation, asking).get().status == Status.INTERRUPTED


def test_a_run_started_from_a_stale_catalog_ends_when_its_conversation_is_next_processed():
    """The narrow window: a worker that read the catalog just before the archive
    committed may start one more run; the next processing of that conversation ends it."""
    asking = asking_workflow()
    conversation = open_conversation()
    [run] = runs_of(conversation, asking)
    # As if the run had been started by a worker after the archive ended the others.
    Workflow.objects.filter(pk=asking.pk).update(archived_at=run.started_at)
    from workflows.catalog import bump_catalog_version

    bump_catalog_version()

    services.conversation_customer_message(conversation=conversation, body="Sales")
    process(conversation)

    run.refresh_from_db()
    conversation.refresh_from_db()
    assert run.status == Status.INTERRUPTED
    assert conversation.in_bot_inbox is False
    assert WorkflowLog.objects.get(run=run, kind="interrupted").details["reason"] == (
        "workflow_archived"
    )


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="row locks need PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_archiving_while_a_worker_processes_answers_no_error_and_loses_no_log(support_team):
    """A worker thread processes a burst of conversations while the API archives the
    workflow that runs on them: no IntegrityError, every run and log kept, no run of the
    archived workflow left active."""
    asking = asking_workflow()
    conversations = [
        services.conversation_open(contact=ContactFactory(), body=f"Hello {n}") for n in range(30)
    ]
    for conversation in conversations[:10]:
        process(conversation)
    errors = []
    start = threading.Barrier(2)

    def worker():
        try:
            start.wait()
            for conversation in conversations:
                process(conversation)
        except Exception as error:  # reported below, with its type
            errors.append(error)
        finally:
            connections.close_all()

    def archiver():
        try:
            start.wait()
            workflow_archive(workflow=Workflow.objects.get(pk=asking.pk))
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker), threading.Thread(target=archiver)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for conversation in conversations:  # the next processing ends any stale-catalog run
        services.conversation_customer_message(conversation=conversation, body="still there?")
        process(conversation)

    assert errors == []
    assert connection.vendor == "postgresql"
    runs = WorkflowRun.objects.filter(workflow=asking)
    assert runs.count() >= 10
    assert not runs.filter(status__in=WorkflowRun.ACTIVE).exists()
    for run in runs:
        kinds = set(WorkflowLog.objects.filter(run=run).values_list("kind", flat=True))
        assert {"started", "interrupted"} <= kinds


def wait_until_blocked_on_a_lock(pid: int) -> None:
    """Until the backend `pid` waits for a row lock (it holds the workflow row by then)."""
    with connection.cursor() as cursor:
        for _ in range(200):
            cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
            row = cursor.fetchone()
            if row and row[0] == "Lock":
                return
            time.sleep(0.05)
    raise AssertionError("the archive never waited for the conversation lock")


@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="row locks need PostgreSQL",
)
@pytest.mark.django_db(transaction=True)
def test_archiving_waits_for_a_worker_that_starts_a_run_of_it_without_a_deadlock():
    """The orchestrator holds a conversation's lock and then writes a run that points at
    the workflow; the archive holds the workflow's row and then waits for that same
    conversation. Both finish, in that order."""
    asking = asking_workflow()
    conversation = open_conversation()
    [earlier_run] = runs_of(conversation, asking)
    outcome = {}

    def archiver(pid_ready: threading.Event):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                outcome["pid"] = cursor.fetchone()[0]
            pid_ready.set()
            with transaction.atomic():
                workflow_archive(workflow=Workflow.objects.get(pk=asking.pk))
            outcome["archived"] = True
        except Exception as error:  # reported by the assert below, with its type
            outcome["error"] = error
        finally:
            connections.close_all()

    with transaction.atomic():
        Conversation.objects.select_for_update().get(pk=conversation.pk)
        pid_ready = threading.Event()
        thread = threading.Thread(target=archiver, args=(pid_ready,))
        thread.start()
        pid_ready.wait(10)
        wait_until_blocked_on_a_lock(outcome["pid"])
        # What the orchestrator writes under the lock: a run of the workflow being archived.
        WorkflowRun.objects.create(
            workflow=asking, conversation=conversation, status=Status.RUNNING,
            is_customer_facing=False,
        )  # fmt: skip
    thread.join(30)

    assert outcome.get("error") is None and outcome.get("archived")
    assert not WorkflowRun.objects.filter(workflow=asking, status__in=WorkflowRun.ACTIVE).exists()
    earlier_run.refresh_from_db()
    assert earlier_run.status == Status.INTERRUPTED


def test_the_changes_an_archive_makes_are_processed_like_any_others(
    support_team, monkeypatch, django_capture_on_commit_callbacks
):
    """The archive writes events (bot inbox left, the held-back assignment applied) that
    no processing loop reads before its commit: a task is sent for them, and it handles
    them (an assignment trigger fires)."""
    from conversations.models import Event
    from workflows.tasks import process_conversation_events_task

    asking = asking_workflow()
    make_workflow(
        "Route", trigger="customer_first_message", steps=[{"type": "assign", "team": "Support"}]
    )
    make_workflow(
        "On assign", trigger="conversation_assigned", steps=[{"type": "add_tag", "tag": "Routed"}]
    )
    conversation = open_conversation()
    sent = []
    monkeypatch.setattr(process_conversation_events_task, "delay", sent.append)

    with django_capture_on_commit_callbacks(execute=True):
        workflow_archive(workflow=asking)

    assert sent == [conversation.pk]
    assert Event.objects.filter(conversation=conversation, processed_at__isnull=True).exists()
    process(conversation)
    assert sorted(conversation.tags.values_list("name", flat=True)) == ["Routed"]
