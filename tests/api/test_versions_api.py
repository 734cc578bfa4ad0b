"""API.md "Versions, replay and lint": versions, drafts, publish, restore; runs carry the
version they started on."""

import pytest

from conversations import services
from tests.factories import ContactFactory, TeamFactory
from tests.workflows.helpers import make_workflow, process
from workflows.models import Workflow, WorkflowVersion

pytestmark = pytest.mark.django_db


def tagger(tag="first"):
    return make_workflow("Tagger", steps=[{"type": "add_tag", "tag": tag}])


def with_tag(workflow, tag):
    return {**workflow.document(), "steps": [{"type": "add_tag", "tag": tag}]}


def test_a_workflow_reads_with_its_live_version_and_no_draft(admin_api):
    workflow = tagger()

    body = admin_api.get(f"/api/workflows/{workflow.pk}/").json()

    assert (body["version"], body["draft"]) == (1, None)


def test_put_and_patch_publish_a_new_version_at_once(admin_api, admin_user):
    workflow = tagger()

    put = admin_api.put(
        f"/api/workflows/{workflow.pk}/", with_tag(workflow, "second"), format="json"
    )
    patch = admin_api.patch(
        f"/api/workflows/{workflow.pk}/", {"frequency": "every_time"}, format="json"
    )

    assert (put.status_code, put.json()["version"]) == (200, 2)
    assert (patch.status_code, patch.json()["version"]) == (200, 3)
    versions = admin_api.get(f"/api/workflows/{workflow.pk}/versions/").json()
    assert [v["version"] for v in versions] == [3, 2, 1]  # newest first
    assert versions[0]["author"] == "ada" and versions[2]["author"] is None
    assert versions[1]["document"]["steps"] == [{"type": "add_tag", "tag": "second"}]
    assert set(versions[0]) == {"version", "created_at", "author", "document"}


def test_a_status_change_alone_is_no_new_version(admin_api):
    workflow = tagger()

    body = admin_api.patch(
        f"/api/workflows/{workflow.pk}/", {"status": "paused"}, format="json"
    ).json()

    assert (body["status"], body["version"]) == ("paused", 1)


def test_a_draft_is_saved_then_published_as_the_next_version(admin_api):
    workflow = tagger()
    url = f"/api/workflows/{workflow.pk}/"

    saved = admin_api.put(url + "draft/", with_tag(workflow, "drafted"), format="json")

    assert saved.status_code == 200
    assert saved.json()["draft"]["steps"] == [{"type": "add_tag", "tag": "drafted"}]
    live = admin_api.get(url).json()
    assert (live["version"], live["steps"]) == (1, [{"type": "add_tag", "tag": "first"}])

    published = admin_api.post(url + "publish/")

    assert published.status_code == 200
    body = published.json()
    assert (body["version"], body["draft"]) == (2, None)
    assert body["steps"] == [{"type": "add_tag", "tag": "drafted"}]


def test_a_discarded_draft_leaves_the_live_version(admin_api):
    workflow = tagger()
    url = f"/api/workflows/{workflow.pk}/"
    admin_api.put(url + "draft/", with_tag(workflow, "drafted"), format="json")

    response = admin_api.delete(url + "draft/")

    assert response.status_code == 200
    assert (response.json()["draft"], response.json()["version"]) == (None, 1)


def test_a_bad_draft_is_refused_with_its_place_and_saves_nothing(admin_api):
    workflow = tagger()
    document = {**workflow.document(), "steps": [{"type": "assign", "team": "Nobody"}]}

    response = admin_api.put(f"/api/workflows/{workflow.pk}/draft/", document, format="json")

    assert response.status_code == 400
    assert response.json() == {"steps[0].team": ['No team named "Nobody".']}
    assert Workflow.objects.get(pk=workflow.pk).draft is None


def test_publishing_without_a_draft_is_refused(admin_api):
    workflow = tagger()

    response = admin_api.post(f"/api/workflows/{workflow.pk}/publish/")

    assert response.status_code == 400
    assert response.json() == {"draft": ["There is no draft to publish."]}
    assert WorkflowVersion.objects.filter(workflow=workflow).count() == 1


def test_a_draft_naming_a_team_deleted_since_is_refused_on_publish(admin_api):
    team = TeamFactory(name="Billing")
    workflow = tagger()
    document = {**workflow.document(), "steps": [{"type": "assign", "team": "Billing"}]}
    admin_api.put(f"/api/workflows/{workflow.pk}/draft/", document, format="json")
    team.delete()

    response = admin_api.post(f"/api/workflows/{workflow.pk}/publish/")

    assert response.status_code == 400
    assert response.json() == {"steps[0].team": ['No team named "Billing".']}
    workflow.refresh_from_db()
    assert (workflow.version, workflow.draft is not None) == (1, True)


def test_restore_publishes_an_old_document_as_a_new_version(admin_api):
    workflow = tagger("first")
    admin_api.put(f"/api/workflows/{workflow.pk}/", with_tag(workflow, "second"), format="json")

    response = admin_api.post(f"/api/workflows/{workflow.pk}/versions/1/restore/")

    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["steps"]) == (3, [{"type": "add_tag", "tag": "first"}])
    assert admin_api.post(f"/api/workflows/{workflow.pk}/versions/9/restore/").status_code == 404


def test_only_admins_write_versions_and_teammates_read_them(teammate_api):
    workflow = tagger()
    url = f"/api/workflows/{workflow.pk}/"

    assert teammate_api.get(url + "versions/").status_code == 200
    assert teammate_api.put(url + "draft/", workflow.document(), format="json").status_code == 403
    assert teammate_api.delete(url + "draft/").status_code == 403
    assert teammate_api.post(url + "publish/").status_code == 403
    assert teammate_api.post(url + "versions/1/restore/").status_code == 403
    assert Workflow.objects.get(pk=workflow.pk).version == 1


def test_runs_carry_the_version_they_started_on(admin_api, admin_user):
    workflow = tagger()
    first = services.conversation_open(contact=ContactFactory(), body="Hi")
    process(first)
    admin_api.put(f"/api/workflows/{workflow.pk}/", with_tag(workflow, "second"), format="json")
    second = services.conversation_open(contact=ContactFactory(), body="Hi")
    process(second)

    runs = admin_api.get(f"/api/workflow-runs/?workflow={workflow.pk}").json()["results"]
    on_first = admin_api.get(f"/api/conversations/{first.pk}/runs/").json()["runs"]

    assert sorted((r["conversation"], r["version"]) for r in runs) == [
        (first.pk, 1),
        (second.pk, 2),
    ]
    assert [r["version"] for r in on_first] == [1]
