from datetime import timedelta

import pytest
from django.utils import timezone

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation, Event, Part
from tests.factories import TeamFactory
from workflows.processing import process_conversation_events

pytestmark = pytest.mark.django_db


def open_via_api(api, customer, body="Hi there"):
    response = api.post(
        "/api/conversations/", {"contact": customer.pk, "body": body}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_teammate_opens_a_conversation_for_a_contact_with_a_first_message(teammate_api, customer):
    body = open_via_api(teammate_api, customer, "Where is my invoice?")

    assert body["contact"] == customer.pk
    assert body["state"] == "open"
    assert body["pending_events"] == 2  # opened + first message, not processed yet
    conversation = Conversation.objects.get(pk=body["id"])
    assert [e.event_type for e in conversation.events.order_by("id")] == [
        "conversation_opened",
        "customer_message",
    ]


def test_pending_events_reaches_zero_once_processed(teammate_api, customer):
    created = open_via_api(teammate_api, customer)
    process_conversation_events(created["id"])

    body = teammate_api.get(f"/api/conversations/{created['id']}/").json()

    assert body["pending_events"] == 0
    assert set(body) >= {
        "id", "contact", "state", "snoozed_until", "assignee", "team", "tags", "priority",
        "in_bot_inbox", "sla", "custom_attributes", "created_at", "updated_at", "pending_events",
    }  # fmt: skip


def test_a_contact_opens_and_writes_in_its_own_conversation_only(
    customer_api, customer, other_customer
):
    mine = customer_api.post("/api/conversations/", {"body": "Hello"}, format="json").json()
    theirs = services.conversation_open(contact=other_customer, body="Secret")

    assert Conversation.objects.get(pk=mine["id"]).contact == customer
    assert customer_api.get(f"/api/conversations/{theirs.pk}/").status_code == 404
    assert customer_api.get(f"/api/conversations/{theirs.pk}/parts/").status_code == 404
    reply = customer_api.post(
        f"/api/conversations/{theirs.pk}/reply/", {"type": "user", "body": "hi"}, format="json"
    )
    assert reply.status_code == 404
    listed = customer_api.get("/api/conversations/").json()["results"]
    assert [c["id"] for c in listed] == [mine["id"]]
    forged = customer_api.post(
        "/api/conversations/", {"contact": other_customer.pk, "body": "x"}, format="json"
    )
    assert forged.status_code == 400


def test_a_contact_sees_messages_but_not_notes_or_internal_changes(
    customer_api, customer, teammate
):
    conversation = services.conversation_open(contact=customer, body="Hello")
    services.conversation_add_note(
        conversation=conversation, body="Internal only", acting=Actor.teammate(teammate)
    )
    services.conversation_teammate_reply(conversation=conversation, teammate=teammate, body="Hi!")

    parts = customer_api.get(f"/api/conversations/{conversation.pk}/parts/").json()["results"]

    assert [p["body"] for p in parts] == ["Hello", "Hi!"]


def test_a_contact_cannot_act_as_a_teammate(customer_api, customer):
    conversation = services.conversation_open(contact=customer, body="Hello")

    close = customer_api.post(
        f"/api/conversations/{conversation.pk}/parts/", {"message_type": "close"}, format="json"
    )
    reply = customer_api.post(
        f"/api/conversations/{conversation.pk}/reply/",
        {"type": "admin", "body": "x"},
        format="json",
    )

    assert (close.status_code, reply.status_code) == (403, 403)


def test_reply_as_teammate_customer_and_note(teammate_api, admin_api, teammate, customer):
    conversation = services.conversation_open(contact=customer, body="Hello")
    url = f"/api/conversations/{conversation.pk}/reply/"

    admin_reply = teammate_api.post(url, {"type": "admin", "body": "Hi!"}, format="json")
    note = teammate_api.post(
        url, {"type": "admin", "message_type": "note", "body": "VIP"}, format="json"
    )
    # Writing as the customer is for workspace admins (and the contact's own token).
    user = admin_api.post(url, {"type": "user", "body": "Thanks"}, format="json")

    assert [r.status_code for r in (admin_reply, note, user)] == [201, 201, 201]
    assert admin_reply.json()["part_type"] == "teammate_reply"
    assert admin_reply.json()["author"] == {"id": teammate.pk, "name": "Ben"}
    assert note.json()["part_type"] == "note"
    assert user.json()["author_type"] == "contact"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"type": "admin", "body": ""}, "body"),
        ({"type": "admin", "body": "x" * 10_001}, "body"),
        ({"type": "robot", "body": "x"}, "type"),
        ({"type": "user", "message_type": "note", "body": "x"}, "message_type"),
        # The schema says string: a number is refused, not read as text (issue 11).
        ({"type": "admin", "body": 5}, "body"),
        ({"type": "admin", "body": "x", "subject": "Hi"}, "subject"),
    ],
)
def test_a_bad_reply_is_a_400_with_field_messages_and_saves_nothing(
    teammate_api, customer, payload, field
):
    conversation = services.conversation_open(contact=customer, body="Hello")
    parts = Part.objects.count()

    response = teammate_api.post(
        f"/api/conversations/{conversation.pk}/reply/", payload, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()
    assert Part.objects.count() == parts


def test_malformed_json_is_a_400(teammate_api, customer):
    conversation = services.conversation_open(contact=customer, body="Hello")

    response = teammate_api.post(
        f"/api/conversations/{conversation.pk}/reply/", "{not json", content_type="application/json"
    )

    assert response.status_code == 400


def test_state_changes_and_assignment_through_parts(teammate_api, teammate, customer):
    team = TeamFactory(name="Tier 2", members=[teammate])
    conversation = services.conversation_open(contact=customer, body="Hello")
    url = f"/api/conversations/{conversation.pk}/parts/"
    until = (timezone.now() + timedelta(hours=3)).isoformat()

    snoozed = teammate_api.post(
        url, {"message_type": "snoozed", "snoozed_until": until}, format="json"
    )
    assigned = teammate_api.post(
        url,
        {"message_type": "assignment", "assignee_id": teammate.pk, "team_id": team.pk},
        format="json",
    )
    closed = teammate_api.post(url, {"message_type": "close"}, format="json")

    assert snoozed.json()["state"] == "snoozed"
    assert (assigned.json()["assignee"], assigned.json()["team"]) == (teammate.pk, team.pk)
    assert closed.json()["state"] == "closed"
    assert teammate_api.post(url, {"message_type": "open"}, format="json").json()["state"] == "open"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"message_type": "snoozed"}, "snoozed_until"),
        ({"message_type": "snoozed", "snoozed_until": "2001-01-01T00:00:00Z"}, "snoozed_until"),
        ({"message_type": "snoozed", "snoozed_until": "tomorrow"}, "snoozed_until"),
        ({"message_type": "assignment", "assignee_id": 9999}, "assignee_id"),
        ({"message_type": "assignment", "team_id": 9999}, "team_id"),
        ({"message_type": "explode"}, "message_type"),
    ],
)
def test_bad_state_changes_are_400s_and_change_nothing(teammate_api, customer, payload, field):
    conversation = services.conversation_open(contact=customer, body="Hello")
    events = Event.objects.count()

    response = teammate_api.post(
        f"/api/conversations/{conversation.pk}/parts/", payload, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()
    assert Event.objects.count() == events


def test_assigning_a_teammate_outside_the_team_is_a_400(
    teammate_api, outsider, support_team, customer
):
    conversation = services.conversation_open(contact=customer, body="Hello")

    response = teammate_api.post(
        f"/api/conversations/{conversation.pk}/parts/",
        {"message_type": "assignment", "assignee_id": outsider.pk, "team_id": support_team.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "assignee" in response.json()


def test_tags_are_added_and_removed(teammate_api, customer):
    conversation = services.conversation_open(contact=customer, body="Hello")

    added = teammate_api.post(
        f"/api/conversations/{conversation.pk}/tags/", {"name": "VIP"}, format="json"
    )
    blank = teammate_api.post(
        f"/api/conversations/{conversation.pk}/tags/", {"name": " "}, format="json"
    )
    removed = teammate_api.delete(f"/api/conversations/{conversation.pk}/tags/vip/")

    assert added.json()["tags"] == ["VIP"]
    assert (blank.status_code, list(blank.json())) == (400, ["name"])
    assert (removed.status_code, removed.json()["tags"]) == (200, [])


def test_conversations_filter_by_state_tag_bot_inbox_and_refuse_unknown_values(
    teammate_api, customer, teammate
):
    open_one = services.conversation_open(contact=customer, body="a")
    closed = services.conversation_open(contact=customer, body="b")
    services.conversation_close(conversation=closed, acting=Actor.teammate(teammate))
    services.conversation_add_tag(
        conversation=open_one, name="VIP", acting=Actor.teammate(teammate)
    )

    def ids(query):
        return [c["id"] for c in teammate_api.get(f"/api/conversations/?{query}").json()["results"]]

    assert ids("state=closed") == [closed.pk]
    assert ids("tag=vip") == [open_one.pk]
    assert ids("in_bot_inbox=false") == [closed.pk, open_one.pk]
    assert ids(f"contact={customer.pk}&state=open") == [open_one.pk]
    assert teammate_api.get("/api/conversations/?state=melted").status_code == 400
    assert teammate_api.get("/api/conversations/?assignee=99999").status_code == 400


def test_an_unknown_conversation_is_a_404(teammate_api):
    assert teammate_api.get("/api/conversations/424242/").status_code == 404
    assert (
        teammate_api.post(
            "/api/conversations/424242/reply/", {"type": "admin", "body": "x"}, format="json"
        ).status_code
        == 404
    )


def test_a_body_holding_markup_is_stored_and_returned_as_text(teammate_api, customer):
    body = open_via_api(teammate_api, customer, "<script>alert(1)</script>")

    parts = teammate_api.get(f"/api/conversations/{body['id']}/parts/").json()["results"]

    assert parts[-1]["body"] == "<script>alert(1)</script>"


def test_a_body_over_the_upload_limit_is_a_400_not_a_500(teammate_api, customer, settings):
    conversation = services.conversation_open(contact=customer, body="Hello")
    huge = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)

    response = teammate_api.post(
        f"/api/conversations/{conversation.pk}/reply/",
        {"type": "admin", "body": huge},
        format="json",
    )

    assert response.status_code == 400
    assert conversation.parts.count() == 2


def test_a_tag_with_a_slash_is_removed_through_the_api(teammate_api, customer):
    conversation = services.conversation_open(contact=customer, body="Hello")
    teammate_api.post(f"/api/conversations/{conversation.pk}/tags/", {"name": "a/b"}, format="json")

    response = teammate_api.delete(f"/api/conversations/{conversation.pk}/tags/a/b/")

    assert (response.status_code, response.json()["tags"]) == (200, [])


def test_the_sla_field_tells_the_time_left_and_the_misses(teammate_api, customer, premium_sla):
    from datetime import timedelta

    import time_machine

    conversation = services.conversation_open(contact=customer, body="Hello")
    services.conversation_apply_sla(
        conversation=conversation, policy=premium_sla, acting=Actor.system()
    )

    sla = teammate_api.get(f"/api/conversations/{conversation.pk}/").json()["sla"]
    assert (sla["name"], sla["next_target"], sla["missed"]) == (
        "Premium Support",
        "first_reply",
        [],
    )
    assert 0 < sla["seconds_left"] <= 30 * 60
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        late = teammate_api.get(f"/api/conversations/{conversation.pk}/").json()["sla"]
    assert late["missed"] == ["first_reply"] and late["seconds_left"] < 0
