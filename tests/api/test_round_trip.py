"""Read-only fields the API returns are ignored on input (API.md, top of "Additions"):
a document read from the API can be posted or put back as it is."""

import json

import pytest
from django.core.management import call_command

from conversations import services
from tests.factories import ContactFactory, SlaPolicyFactory, TeamFactory
from tests.workflows.helpers import API_EXAMPLE
from workflows.models import Workflow

pytestmark = pytest.mark.django_db


@pytest.fixture
def references(db, teammate):
    TeamFactory(name="Support", members=[teammate])
    SlaPolicyFactory(name="Premium Support")


def test_a_workflow_read_from_the_api_can_be_put_back_as_it_is(admin_api, references):
    created = admin_api.post("/api/workflows/", API_EXAMPLE, format="json").json()
    document = admin_api.get(f"/api/workflows/{created['id']}/").json()

    put = admin_api.put(f"/api/workflows/{created['id']}/", document, format="json")
    patched = admin_api.patch(f"/api/workflows/{created['id']}/", document, format="json")

    assert put.status_code == 200, put.json()
    assert patched.status_code == 200, patched.json()
    assert put.json()["steps"] == API_EXAMPLE["steps"]


def test_a_workflow_read_from_the_api_can_be_posted_as_a_new_one(admin_api, references):
    created = admin_api.post("/api/workflows/", API_EXAMPLE, format="json").json()
    document = admin_api.get(f"/api/workflows/{created['id']}/").json()
    assert {"id", "created_at", "updated_at", "priority", "is_background"} <= set(document)

    posted = admin_api.post("/api/workflows/", {**document, "name": "Copy"}, format="json")

    assert posted.status_code == 201, posted.json()
    copy = posted.json()
    assert copy["id"] != created["id"]
    assert copy["priority"] == created["priority"] + 1  # the server's, not the document's
    assert Workflow.objects.get(pk=copy["id"]).created_at.isoformat() != document["created_at"]


def test_read_only_fields_cannot_be_set_through_the_document(admin_api, references):
    created = admin_api.post("/api/workflows/", API_EXAMPLE, format="json").json()

    admin_api.put(
        f"/api/workflows/{created['id']}/",
        {**API_EXAMPLE, "id": 999, "priority": 42, "is_background": False},
        format="json",
    )

    workflow = Workflow.objects.get(pk=created["id"])
    assert (workflow.priority, workflow.is_background) == (0, True)


def test_unknown_keys_are_still_refused(admin_api, references):
    response = admin_api.post("/api/workflows/", {**API_EXAMPLE, "colour": "red"}, format="json")

    assert response.status_code == 400
    assert "colour" in str(response.json())


def test_a_team_read_from_the_api_can_be_put_back_and_posted(admin_api, teammate):
    team = admin_api.post(
        "/api/teams/", {"name": "Billing", "members": [teammate.pk]}, format="json"
    ).json()
    document = admin_api.get(f"/api/teams/{team['id']}/").json()

    assert admin_api.put(f"/api/teams/{team['id']}/", document, format="json").status_code == 200
    posted = admin_api.post("/api/teams/", {**document, "name": "Billing 2"}, format="json")
    assert posted.status_code == 201, posted.json()


def test_an_sla_policy_read_from_the_api_can_be_put_back_and_posted(admin_api):
    policy = admin_api.post(
        "/api/sla-policies/", {"name": "Gold", "first_reply": "30m"}, format="json"
    ).json()
    document = admin_api.get(f"/api/sla-policies/{policy['id']}/").json()

    put = admin_api.put(f"/api/sla-policies/{policy['id']}/", document, format="json")
    posted = admin_api.post("/api/sla-policies/", {**document, "name": "Gold 2"}, format="json")

    assert put.status_code == 200, put.json()
    assert posted.status_code == 201, posted.json()
    assert posted.json()["first_reply"] == "30m"


def test_a_contact_read_from_the_api_can_be_posted_as_a_new_one(admin_api):
    contact = admin_api.post(
        "/api/contacts/",
        {"name": "Maya", "email": "maya@example.com", "plan": "Pro", "monthly_spend": 900,
         "company": "Acme", "custom_attributes": {"tier": "gold"}},
        format="json",
    ).json()  # fmt: skip
    document = admin_api.get(f"/api/contacts/{contact['id']}/").json()

    posted = admin_api.post("/api/contacts/", document, format="json")

    assert posted.status_code == 201, posted.json()
    assert posted.json()["id"] != contact["id"]
    assert (posted.json()["company"], posted.json()["plan"]) == ("Acme", "Pro")


def test_a_conversation_read_from_the_api_can_be_posted_as_a_new_one(admin_api):
    conversation = services.conversation_open(contact=ContactFactory(), body="Hello")
    document = admin_api.get(f"/api/conversations/{conversation.pk}/").json()

    posted = admin_api.post("/api/conversations/", document, format="json")

    assert posted.status_code == 201, posted.json()
    assert posted.json()["contact"] == conversation.contact_id
    assert posted.json()["id"] != conversation.pk


def test_workflows_read_from_the_api_can_be_imported(admin_api, references, tmp_path):
    created = admin_api.post("/api/workflows/", API_EXAMPLE, format="json").json()
    listed = admin_api.get("/api/workflows/").json()["results"]
    (tmp_path / "workflows.json").write_text(json.dumps(listed))

    call_command("import_workflows", str(tmp_path / "workflows.json"))

    assert list(Workflow.objects.values_list("pk", flat=True)) == [created["id"]]
