"""Versions and drafts (issue 14, items 1–3) on PostgreSQL: runs finish on the version
they started on, restore, archive keeps runs and versions, and the builder's pages."""

import importlib
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conversations import services as conversation_services
from inbox.selectors import timeline
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process, runs_of, tag_names
from tests.workflows.test_pages_builder import post_data_for
from workflows import services
from workflows.models import Workflow, WorkflowLog, WorkflowRun, WorkflowVersion

pytestmark = pytest.mark.django_db
Status = WorkflowRun.Status


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def teammate_client(client, teammate):
    client.force_login(teammate)
    return client


def open_conversation(body="Hello"):
    conversation = conversation_services.conversation_open(contact=ContactFactory(), body=body)
    process(conversation)
    conversation.refresh_from_db()
    return conversation


def later(**delta):
    return time_machine.travel(timezone.now() + timedelta(**delta))


def wait_then_tag(name="Follow up", tag="followed up"):
    return make_workflow(
        name,
        trigger="customer_first_message",
        steps=[{"type": "wait", "duration": "1h"}, {"type": "add_tag", "tag": tag}],
    )


def with_steps(workflow, steps):
    return {**workflow.document(), "steps": steps}


# --- runs pinned to their version ---------------------------------------------------------


def test_a_waiting_run_resumes_on_version_1_after_a_draft_is_published_as_version_2():
    workflow = wait_then_tag()
    waiting = open_conversation()
    services.workflow_save_draft(
        workflow=workflow, document=with_steps(workflow, [{"type": "add_tag", "tag": "v2 tag"}])
    )
    services.workflow_publish(workflow=workflow)

    with later(hours=2):
        process(waiting)
    fresh = open_conversation()

    run = runs_of(waiting).get()
    assert (run.status, run.version) == (Status.COMPLETED, 1)
    assert tag_names(waiting) == ["followed up"]
    # The resumed record says which version went on; a run started now is on version 2.
    resumed = WorkflowLog.objects.get(run=run, kind=WorkflowLog.Kind.RESUMED)
    assert resumed.details["version"] == 1
    assert runs_of(fresh).get().version == 2
    assert tag_names(fresh) == ["v2 tag"]
    assert "Follow up (version 2): tagged v2 tag" in [item.text for item in timeline(fresh)]


def test_a_waiting_run_of_a_restored_version_goes_on_with_its_own_steps():
    workflow = wait_then_tag(tag="one")
    services.workflow_update(workflow=workflow, document=with_steps(workflow, [
        {"type": "wait", "duration": "1h"}, {"type": "add_tag", "tag": "two"}]))  # fmt: skip
    on_two = open_conversation()

    restored = services.workflow_restore(workflow=workflow, number=1)
    on_three = open_conversation()
    with later(hours=2):
        process(on_two)
        process(on_three)

    assert restored.version == 3
    assert restored.steps == [{"type": "wait", "duration": "1h"}, {"type": "add_tag", "tag": "one"}]
    assert (runs_of(on_two).get().version, tag_names(on_two)) == (2, ["two"])
    assert (runs_of(on_three).get().version, tag_names(on_three)) == (3, ["one"])


def test_runs_of_the_live_version_read_no_version_rows():
    """The hot path: only a run of an older version looks its version up (once)."""
    workflow = wait_then_tag()
    on_live = open_conversation()

    with later(hours=2), CaptureQueriesContext(connection) as queries:
        process(on_live)

    table = WorkflowVersion._meta.db_table
    assert not [q for q in queries.captured_queries if table in q["sql"]]
    assert tag_names(on_live) == ["followed up"]

    on_old = open_conversation()
    services.workflow_update(workflow=workflow, document=with_steps(workflow, [{"type": "close"}]))
    with later(hours=2), CaptureQueriesContext(connection) as queries:
        process(on_old)
    assert len([q for q in queries.captured_queries if table in q["sql"]]) == 1
    assert tag_names(on_old) == ["followed up"]


def test_a_run_waiting_inside_a_reusable_workflow_goes_on_with_the_version_it_entered():
    reusable = make_workflow(
        "Ask later",
        trigger="reusable",
        steps=[{"type": "wait", "duration": "1h"}, {"type": "add_tag", "tag": "reusable v1"}],
    )
    caller = make_workflow(
        "Caller",
        trigger="customer_first_message",
        steps=[
            {"type": "run_workflow", "workflow": "Ask later"},
            {"type": "add_tag", "tag": "back"},
        ],
    )
    waiting = open_conversation()
    services.workflow_update(
        workflow=reusable,
        document=with_steps(reusable, [{"type": "add_tag", "tag": "reusable v2"}]),
    )

    with later(hours=2):
        process(waiting)

    run = runs_of(waiting, caller).get()
    assert run.status == Status.COMPLETED
    assert tag_names(waiting) == ["back", "reusable v1"]
    assert tag_names(open_conversation()) == ["back", "reusable v2"]


# --- archive keeps history -----------------------------------------------------------------


def test_archiving_keeps_runs_versions_and_the_pages_that_read_them(teammate_client):
    workflow = make_workflow("Tagger", trigger="customer_first_message")
    conversation = open_conversation()
    services.workflow_update(workflow=workflow, document=with_steps(workflow, [{"type": "close"}]))

    services.workflow_archive(workflow=workflow)

    assert Workflow.all_objects.get(pk=workflow.pk).archived_at is not None
    assert runs_of(conversation).get().version == 1
    assert list(
        WorkflowVersion.objects.filter(workflow=workflow).values_list("number", flat=True)
    ) == [2, 1]
    report = teammate_client.get(reverse("workflows:report", args=[workflow.pk]))
    history = teammate_client.get(reverse("workflows:history", args=[workflow.pk]))
    assert report.status_code == 200 and "Archived" in report.content.decode()
    assert history.status_code == 200
    body = history.content.decode()
    assert "Step 1 changed: Add tag “Tagger” → Close the conversation" in body
    assert "Restore" not in body  # an archived workflow is not published again
    assert "Tagger: tagged Tagger" in [item.text for item in timeline(conversation)]


# --- the migration ---------------------------------------------------------------------------


def test_the_migration_makes_version_1_of_every_workflow_from_its_document():
    live = make_workflow("Live one")
    archived = make_workflow("Gone")
    services.workflow_archive(workflow=archived)
    WorkflowVersion.objects.all().delete()
    migration = importlib.import_module("workflows.migrations.0011_workflow_versions")

    migration.first_versions(django_apps, None)

    versions = {v.workflow_id: v for v in WorkflowVersion.objects.all()}
    assert set(versions) == {live.pk, archived.pk}
    assert versions[live.pk].number == 1
    assert versions[live.pk].document == live.document()


# --- the builder -----------------------------------------------------------------------------


def test_editing_a_live_workflow_saves_a_draft_and_publish_makes_it_version_2(admin_client):
    workflow = make_workflow("Tagger", steps=[{"type": "add_tag", "tag": "old"}])
    data = post_data_for(workflow.document(), action="save")
    data["s-0-tag"] = "new"

    saved = admin_client.post(reverse("workflows:edit", args=[workflow.pk]), data, follow=True)

    body = saved.content.decode()
    assert "Draft saved. Version 1 stays live until you publish." in body
    assert ">Publish</button>" in body and ">Discard draft</button>" in body
    listing = admin_client.get(reverse("workflows:list")).content.decode()
    assert "Live · draft pending" in listing
    assert Workflow.objects.get(pk=workflow.pk).steps == [{"type": "add_tag", "tag": "old"}]

    published = admin_client.post(reverse("workflows:publish", args=[workflow.pk]), follow=True)

    workflow.refresh_from_db()
    assert (workflow.version, workflow.draft) == (2, None)
    assert workflow.steps == [{"type": "add_tag", "tag": "new"}]
    page = published.content.decode()
    assert "Published version 2 of “Tagger”." in page
    assert "Step 1 changed: Add tag “old” → Add tag “new”" in page
    assert (
        "Live · draft pending" not in admin_client.get(reverse("workflows:list")).content.decode()
    )


def test_discarding_the_draft_keeps_the_live_version(admin_client):
    workflow = make_workflow("Tagger")
    services.workflow_save_draft(
        workflow=workflow, document=with_steps(workflow, [{"type": "close"}])
    )

    response = admin_client.post(
        reverse("workflows:discard_draft", args=[workflow.pk]), follow=True
    )

    workflow.refresh_from_db()
    assert (workflow.draft, workflow.version) == (None, 1)
    assert "Draft discarded: version 1 is still live." in response.content.decode()


def test_a_paused_workflow_saves_straight_away_as_a_new_version(admin_client):
    workflow = make_workflow("Tagger", status="paused", steps=[{"type": "add_tag", "tag": "old"}])
    data = post_data_for(workflow.document(), action="save")
    data["s-0-tag"] = "new"

    admin_client.post(reverse("workflows:edit", args=[workflow.pk]), data)

    workflow.refresh_from_db()
    assert (workflow.version, workflow.draft) == (2, None)
    assert workflow.steps == [{"type": "add_tag", "tag": "new"}]


def test_the_history_compares_any_two_versions_and_refuses_an_unknown_one(admin_client):
    workflow = make_workflow("Route", audience={"match": "all", "rules": []})
    document = {
        **workflow.document(),
        "audience": {"match": "all", "rules": [
            {"attribute": "contact.plan", "operator": "is", "value": "Pro"}]},
    }  # fmt: skip
    services.workflow_update(workflow=workflow, document=document)
    services.workflow_update(workflow=workflow, document={**document, "frequency": "every_time"})
    url = reverse("workflows:history", args=[workflow.pk])

    latest = admin_client.get(url).content.decode()
    first_to_last = admin_client.get(url, {"before": "1", "after": "3"}).content.decode()
    unknown = admin_client.get(url, {"before": "7", "after": "3"})

    assert "How often changed: Once per conversation → Every time" in latest
    assert "Rule added: Plan is Pro" not in latest
    assert "Rule added: Plan is Pro" in first_to_last
    assert "How often changed" in first_to_last
    assert unknown.status_code == 400
    assert "Select a valid choice" in unknown.content.decode()
    assert 'aria-label="Restore version 1"' in latest


def test_restore_from_the_history_page_publishes_a_new_version(admin_client, admin_user):
    workflow = make_workflow("Tagger", steps=[{"type": "add_tag", "tag": "one"}])
    services.workflow_update(
        workflow=workflow, document=with_steps(workflow, [{"type": "add_tag", "tag": "two"}])
    )

    response = admin_client.post(reverse("workflows:restore", args=[workflow.pk, 1]), follow=True)

    workflow.refresh_from_db()
    assert (workflow.version, workflow.steps) == (3, [{"type": "add_tag", "tag": "one"}])
    body = response.content.decode()
    assert "Restored version 1 as version 3." in body
    assert WorkflowVersion.objects.get(workflow=workflow, number=3).author == admin_user


def test_teammates_read_the_history_but_cannot_publish_or_restore(teammate_client):
    workflow = make_workflow("Tagger")
    services.workflow_update(workflow=workflow, document=with_steps(workflow, [{"type": "close"}]))
    services.workflow_save_draft(
        workflow=workflow, document=with_steps(workflow, [{"type": "reopen"}])
    )

    history = teammate_client.get(reverse("workflows:history", args=[workflow.pk]))

    assert history.status_code == 200
    assert "Restore" not in history.content.decode()
    assert (
        teammate_client.post(reverse("workflows:restore", args=[workflow.pk, 1])).status_code == 403
    )
    assert teammate_client.post(reverse("workflows:publish", args=[workflow.pk])).status_code == 403
    workflow.refresh_from_db()
    assert (workflow.version, workflow.draft is not None) == (2, True)


def test_the_report_splits_runs_by_version(teammate_client):
    workflow = make_workflow("Tagger", trigger="customer_first_message")
    open_conversation()
    services.workflow_update(workflow=workflow, document=with_steps(workflow, [{"type": "close"}]))
    open_conversation()
    open_conversation()

    response = teammate_client.get(reverse("workflows:report", args=[workflow.pk]))

    rows = {row["version"]: row for row in response.context["report"]["by_version"]}
    assert (rows[1]["started"], rows[2]["started"]) == (1, 2)
    assert rows[2]["published_at"] is not None
    assert 'data-version="2"' in response.content.decode()
