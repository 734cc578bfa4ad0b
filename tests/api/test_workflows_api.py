import pytest

from conversations import services
from conversations.models import Event, Part
from tests.factories import ContactFactory
from tests.workflows.helpers import API_EXAMPLE, make_workflow
from workflows.models import Workflow
from workflows.processing import process_conversation_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def references(support_team, premium_sla):
    return None


def test_an_admin_creates_the_api_example_and_reads_it_back(admin_api, references):
    response = admin_api.post("/api/workflows/", API_EXAMPLE, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in API_EXAMPLE} == API_EXAMPLE
    assert (body["is_background"], body["priority"]) == (True, 0)
    assert admin_api.get(f"/api/workflows/{body['id']}/").json() == body


def test_a_refused_definition_names_the_step_and_saves_nothing(admin_api, references):
    bad = {
        **API_EXAMPLE,
        "steps": [*API_EXAMPLE["steps"][:2], {"type": "assign", "team": "Tier 3"}],
    }

    response = admin_api.post("/api/workflows/", bad, format="json")

    assert response.status_code == 400
    assert response.json() == {"steps[2].team": ['No team named "Tier 3".']}
    assert not Workflow.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        [1, 2, 3],
        {"name": "x"},
        {"name": "x", "trigger": "customer_any_message", "steps": "close it"},
        {
            "name": "x",
            "trigger": "customer_any_message",
            "steps": [{"type": "wait", "duration": 5}],
        },
    ],
)
def test_wrong_shapes_are_400s(admin_api, body):
    response = admin_api.post("/api/workflows/", body, format="json")

    assert response.status_code == 400
    assert not Workflow.objects.exists()


def test_list_in_priority_order_within_a_trigger_and_filter_by_background(admin_api):
    make_workflow("B tagger")
    make_workflow("A greeter", steps=[{"type": "send_message", "body": "Hi"}])

    names = [w["name"] for w in admin_api.get("/api/workflows/").json()["results"]]
    background = admin_api.get("/api/workflows/?is_background=true").json()["results"]

    assert names == ["B tagger", "A greeter"]
    assert [w["name"] for w in background] == ["B tagger"]
    assert admin_api.get("/api/workflows/?trigger=nope").status_code == 400


def test_reorder_sets_the_priority_order_and_refuses_a_partial_list(admin_api):
    first, second = make_workflow("First"), make_workflow("Second")

    response = admin_api.post(
        "/api/workflows/reorder/",
        {"trigger": "customer_any_message", "order": [second.pk, first.pk]},
        format="json",
    )
    partial = admin_api.post(
        "/api/workflows/reorder/",
        {"trigger": "customer_any_message", "order": [first.pk]},
        format="json",
    )

    assert [w["name"] for w in response.json()] == ["Second", "First"]
    assert (partial.status_code, list(partial.json())) == (400, ["order"])


def test_patch_changes_the_status_and_put_replaces_the_definition(admin_api):
    workflow = make_workflow("Tagger")

    paused = admin_api.patch(f"/api/workflows/{workflow.pk}/", {"status": "paused"}, format="json")
    replaced = admin_api.put(
        f"/api/workflows/{workflow.pk}/",
        {
            "name": "Closer",
            "status": "live",
            "trigger": "teammate_replied",
            "steps": [{"type": "close"}],
        },
        format="json",
    )

    assert paused.json()["status"] == "paused"
    assert (replaced.json()["name"], replaced.json()["trigger"]) == ("Closer", "teammate_replied")
    assert admin_api.delete(f"/api/workflows/{workflow.pk}/").status_code == 204
    assert admin_api.get(f"/api/workflows/{workflow.pk}/").status_code == 404


def test_the_dry_run_explains_and_changes_nothing(admin_api, references):
    workflow = admin_api.post("/api/workflows/", API_EXAMPLE, format="json").json()
    conversation = services.conversation_open(
        contact=ContactFactory(plan="Pro", monthly_spend=300), body="New project"
    )
    counts = (Part.objects.count(), Event.objects.count(), conversation.tags.count())

    response = admin_api.post(
        f"/api/workflows/{workflow['id']}/test/", {"conversation": conversation.pk}, format="json"
    )

    assert response.status_code == 200
    result = response.json()
    assert result["would_start"] is False
    assert result["reason"].startswith(
        "targeting rule did not match: Monthly spend is greater than 500"
    )
    assert [r["matched"] for r in result["audience"]["rules"]] == [True, False]
    assert result["audience"]["rules"][1]["actual"] == 300
    assert result["steps"][1]["matched"] == [1]  # "project" in the message
    assert (Part.objects.count(), Event.objects.count(), conversation.tags.count()) == counts
    missing = admin_api.post(
        f"/api/workflows/{workflow['id']}/test/", {"conversation": 999}, format="json"
    )
    assert (missing.status_code, list(missing.json())) == (400, ["conversation"])


def test_runs_of_a_conversation_show_step_logs_and_skip_reasons(teammate_api):
    make_workflow("Tagger", trigger="customer_first_message")
    make_workflow(
        "Premium only",
        trigger="customer_first_message",
        audience={"match": "all", "rules": [{"attribute": "contact.plan", "operator": "is", "value": "Premium"}]},
    )  # fmt: skip
    conversation = services.conversation_open(contact=ContactFactory(plan="Pro"), body="Hi")
    process_conversation_events(conversation.pk)

    body = teammate_api.get(f"/api/conversations/{conversation.pk}/runs/").json()

    [run] = body["runs"]
    assert (run["workflow_name"], run["status"]) == ("Tagger", "completed")
    assert [log["kind"] for log in run["logs"]] == ["started", "step", "completed"]
    assert 'Plan is "Premium" — actual value "Pro"' in body["skips"][0]["message"]
    listed = teammate_api.get(
        f"/api/workflow-runs/?conversation={conversation.pk}&status=completed"
    )
    assert [r["id"] for r in listed.json()["results"]] == [run["id"]]
