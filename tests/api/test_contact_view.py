"""API.md "Safer writes": what a contact's own token sees of its conversations."""

import pytest

from conversations import services
from conversations.actors import Actor
from tests.factories import TeamFactory
from tests.workflows.helpers import make_workflow, process

pytestmark = pytest.mark.django_db

CONTACT_CONVERSATION_KEYS = {"id", "state", "created_at", "updated_at"}
CONTACT_PART_KEYS = {"id", "part_type", "author_type", "author", "body", "created_at", "buttons"}


@pytest.fixture
def busy_conversation(customer, teammate):
    """A conversation with everything a teammate or a workflow can add to it."""
    make_workflow(
        "Triage (internal name)",
        trigger="customer_first_message",
        steps=[
            {"type": "add_tag", "tag": "VIP"},
            {"type": "set_data", "key": "churn_risk", "value": "high"},
            {"type": "add_note", "body": "Workflow note: big account"},
            {"type": "reply_buttons", "body": "Sales or support?",
             "buttons": [{"label": "Sales", "steps": []}, {"label": "Support", "steps": []}]},
        ],
    )  # fmt: skip
    conversation = services.conversation_open(contact=customer, body="Hello")
    process(conversation)
    team = TeamFactory(name="Tier 2", members=[teammate])
    acting = Actor.teammate(teammate)
    services.conversation_assign(
        conversation=conversation, assignee=teammate, team=team, acting=acting
    )
    services.conversation_add_note(conversation=conversation, body="Refund?", acting=acting)
    services.conversation_teammate_reply(conversation=conversation, teammate=teammate, body="Hi!")
    process(conversation)
    return conversation


def test_a_contact_lists_and_reads_its_conversations_with_four_fields_only(
    customer_api, busy_conversation
):
    listed = customer_api.get("/api/conversations/").json()["results"]
    detail = customer_api.get(f"/api/conversations/{busy_conversation.pk}/").json()

    assert [set(c) for c in listed] == [CONTACT_CONVERSATION_KEYS]
    assert set(detail) == CONTACT_CONVERSATION_KEYS
    assert (detail["id"], detail["state"]) == (busy_conversation.pk, "open")


def test_a_teammate_still_reads_everything(teammate_api, busy_conversation):
    detail = teammate_api.get(f"/api/conversations/{busy_conversation.pk}/").json()

    assert detail["tags"] == ["VIP"]
    assert detail["custom_attributes"] == {"churn_risk": "high"}
    assert detail["assignee"] is not None and detail["team"] is not None


def test_a_contact_sees_only_messages_bot_messages_and_teammate_replies(
    customer_api, busy_conversation, teammate
):
    response = customer_api.get(f"/api/conversations/{busy_conversation.pk}/parts/")
    parts = response.json()["results"]

    assert [(p["part_type"], p["body"]) for p in parts] == [
        ("customer_message", "Hello"),
        ("bot_message", "Sales or support?"),
        ("teammate_reply", "Hi!"),
    ]
    assert all(set(p) == CONTACT_PART_KEYS for p in parts)
    customer, bot, reply = parts
    assert customer["author"] == {"name": "Maya"}
    # The workflow's internal name and id stay internal: the customer sees "Bot".
    assert (bot["author_type"], bot["author"], bot["buttons"]) == (
        "workflow",
        {"name": "Bot"},
        ["Sales", "Support"],
    )
    assert reply["author"] == {"name": "Ben"} and reply["buttons"] == []
    assert "Triage" not in response.content.decode()
    assert "Refund?" not in response.content.decode()


def test_a_contact_cannot_probe_tags_or_assignees_through_filters(
    customer_api, busy_conversation, teammate
):
    for query in ({"tag": "VIP"}, {"tag": "Nope"}, {"assignee": teammate.pk}, {"team": 9999}):
        listed = customer_api.get("/api/conversations/", query).json()["results"]
        assert [c["id"] for c in listed] == [busy_conversation.pk], query


def test_a_contact_opens_and_replies_and_gets_the_contact_view_back(customer_api):
    opened = customer_api.post("/api/conversations/", {"body": "Hi there"}, format="json")
    assert opened.status_code == 201
    assert set(opened.json()) == CONTACT_CONVERSATION_KEYS

    reply = customer_api.post(
        f"/api/conversations/{opened.json()['id']}/reply/",
        {"type": "user", "body": "Anyone?"},
        format="json",
    )

    assert reply.status_code == 201
    assert set(reply.json()) == CONTACT_PART_KEYS
    assert reply.json()["author"] == {"name": "Maya"}
