"""POST /api/workflows/{id}/replay/: admins only, refused input named by field, a large
window handed to a task whose progress and result the builder polls."""

import pytest

from conversations import services
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process
from workflows.models import ReplayJob

pytestmark = pytest.mark.django_db

PRO = {"match": "all", "rules": [{"attribute": "contact.plan", "operator": "is", "value": "Pro"}]}


@pytest.fixture
def greeter():
    workflow = make_workflow("Greeter", frequency="every_time", audience=PRO)
    for plan in ("Pro", "Free"):
        process(services.conversation_open(contact=ContactFactory(plan=plan), body="Hi"))
    return workflow


def url(workflow):
    return f"/api/workflows/{workflow.pk}/replay/"


def test_an_admin_replays_the_live_workflow(admin_api, greeter):
    response = admin_api.post(url(greeter), {"since": "7d"}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["events_examined"], body["would_start"], body["would_skip"]) == (2, 1, 1)
    assert body["truncated"] is False
    started = next(row for row in body["conversations"] if row["would_start"])
    assert started["reason"] == "the targeting rules match"
    assert [step["would"] for step in started["steps"]] == ["Add tag “Greeter”"]


@pytest.mark.parametrize("since", ["7", "0d", "-1d", "7 days", "99999d", "", 7, None])
def test_a_bad_since_is_a_400_naming_it(admin_api, greeter, since):
    response = admin_api.post(url(greeter), {"since": since}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["since"]


def test_a_bad_document_is_a_400_naming_its_place(admin_api, greeter):
    draft = {**greeter.document(), "steps": [{"type": "add_tag"}]}
    response = admin_api.post(url(greeter), {"since": "7d", "document": draft}, format="json")
    assert response.status_code == 400
    assert "steps[0].tag" in response.json()["document"]

    response = admin_api.post(url(greeter), {"since": "7d", "document": [1]}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["document"]


def test_unknown_keys_are_refused(admin_api, greeter):
    response = admin_api.post(url(greeter), {"since": "7d", "dry": True}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["dry"]


def test_a_teammate_who_is_not_an_admin_may_not_replay(teammate_api, greeter):
    assert teammate_api.post(url(greeter), {"since": "7d"}, format="json").status_code == 403


def test_a_large_window_runs_as_a_task_whose_progress_and_result_can_be_read(
    admin_api, greeter, settings, django_capture_on_commit_callbacks
):
    settings.REPLAY_SYNC_EVENTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post(url(greeter), {"since": "7d"}, format="json")

    assert response.status_code == 202, response.json()
    job = response.json()["job"]
    # Tests run tasks inline: sent on commit, it has finished by now.
    polled = admin_api.get(f"{url(greeter)}{job}/").json()
    assert (polled["status"], polled["progress"]) == ("done", 100)
    assert polled["result"]["would_start"] == 1
    assert ReplayJob.objects.get(pk=job).events_total == 2
