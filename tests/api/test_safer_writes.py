"""API.md "Safer writes": who may write as whom (admin_id, writing as the customer).

Personas: admin (ada), teammate (ben), other teammate (carl), contact (Maya), other contact.
"""

import pytest

from conversations import services
from conversations.actors import Actor
from conversations.models import Event, Part

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(customer):
    return services.conversation_open(contact=customer, body="Hello")


def reply_url(conversation):
    return f"/api/conversations/{conversation.pk}/reply/"


def parts_url(conversation):
    return f"/api/conversations/{conversation.pk}/parts/"


def tags_url(conversation, name=""):
    return f"/api/conversations/{conversation.pk}/tags/" + (f"{name}/" if name else "")


def last_part(conversation):
    return conversation.parts.order_by("-created_at", "-id").first()


def author(part):
    return (part.author_type, part.author_id, part.author_name)


# --- admin_id ------------------------------------------------------------------------------


WRITES_WITH_ADMIN_ID = [
    ("reply", {"type": "admin", "body": "Hi!"}),
    ("note", {"type": "admin", "message_type": "note", "body": "VIP"}),
    ("close", {"message_type": "close"}),
    ("tag", {"name": "Billing"}),
]


def post_write(api, conversation, kind, payload):
    url = {"reply": reply_url, "note": reply_url, "close": parts_url, "tag": tags_url}[kind]
    return api.post(url(conversation), payload, format="json")


@pytest.mark.parametrize(("kind", "payload"), WRITES_WITH_ADMIN_ID)
def test_a_teammate_cannot_write_as_another_teammate(
    teammate_api, other_teammate, conversation, kind, payload
):
    parts, events = Part.objects.count(), Event.objects.count()

    response = post_write(
        teammate_api, conversation, kind, {**payload, "admin_id": other_teammate.pk}
    )

    assert response.status_code == 403
    assert (Part.objects.count(), Event.objects.count()) == (parts, events)


@pytest.mark.parametrize(("kind", "payload"), WRITES_WITH_ADMIN_ID)
def test_a_teammate_writes_as_themselves_with_or_without_their_own_admin_id(
    teammate_api, teammate, conversation, kind, payload
):
    without = post_write(teammate_api, conversation, kind, payload)
    assert without.status_code in (200, 201), without.json()
    assert author(last_part(conversation)) == ("teammate", teammate.pk, "Ben")
    if kind == "close":
        services.conversation_reopen(conversation=conversation, acting=Actor.system())
    if kind == "tag":
        payload = {"name": "Refunds"}

    own = post_write(teammate_api, conversation, kind, {**payload, "admin_id": teammate.pk})

    assert own.status_code in (200, 201), own.json()
    assert author(last_part(conversation)) == ("teammate", teammate.pk, "Ben")


@pytest.mark.parametrize(("kind", "payload"), WRITES_WITH_ADMIN_ID)
def test_a_workspace_admin_writes_for_a_teammate_and_the_part_names_that_teammate(
    admin_api, teammate, conversation, kind, payload
):
    response = post_write(admin_api, conversation, kind, {**payload, "admin_id": teammate.pk})

    assert response.status_code in (200, 201), response.json()
    assert author(last_part(conversation)) == ("teammate", teammate.pk, "Ben")


def test_a_workspace_admin_without_admin_id_writes_as_themselves(
    admin_api, admin_user, conversation
):
    response = admin_api.post(reply_url(conversation), {"type": "admin", "body": "Hi"})

    assert response.status_code == 201
    assert response.json()["author"] == {"id": admin_user.pk, "name": admin_user.display_name}


def test_an_unknown_admin_id_is_a_400_for_an_admin_and_a_403_for_a_teammate(
    admin_api, teammate_api, conversation
):
    payload = {"type": "admin", "body": "x", "admin_id": 99999}

    assert admin_api.post(reply_url(conversation), payload, format="json").status_code == 400
    assert teammate_api.post(reply_url(conversation), payload, format="json").status_code == 403


def test_removing_a_tag_follows_the_same_admin_id_rules(
    admin_api, teammate_api, teammate, other_teammate, conversation
):
    for name in ("Billing", "Refunds"):
        services.conversation_add_tag(conversation=conversation, name=name, acting=Actor.system())

    spoofed = teammate_api.delete(
        tags_url(conversation, "Billing") + f"?admin_id={other_teammate.pk}"
    )
    assert spoofed.status_code == 403
    assert sorted(t.name for t in conversation.tags.all()) == ["Billing", "Refunds"]

    own = teammate_api.delete(tags_url(conversation, "Billing") + f"?admin_id={teammate.pk}")
    assert own.status_code == 200
    assert author(last_part(conversation)) == ("teammate", teammate.pk, "Ben")

    for_other = admin_api.delete(
        tags_url(conversation, "Refunds") + f"?admin_id={other_teammate.pk}"
    )
    assert for_other.status_code == 200
    assert author(last_part(conversation)) == ("teammate", other_teammate.pk, "Carl")


def test_assignment_and_snooze_follow_the_admin_id_rules(
    admin_api, teammate_api, teammate, other_teammate, conversation
):
    assign = {"message_type": "assignment", "assignee_id": teammate.pk}

    spoofed = teammate_api.post(
        parts_url(conversation), {**assign, "admin_id": other_teammate.pk}, format="json"
    )
    assert spoofed.status_code == 403
    conversation.refresh_from_db()
    assert conversation.assignee_id is None

    allowed = admin_api.post(
        parts_url(conversation), {**assign, "admin_id": other_teammate.pk}, format="json"
    )
    assert allowed.status_code == 200
    assert author(last_part(conversation)) == ("teammate", other_teammate.pk, "Carl")


# --- writing as the customer ---------------------------------------------------------------


def test_a_teammate_cannot_write_as_the_customer(teammate_api, conversation):
    parts = Part.objects.count()

    response = teammate_api.post(
        reply_url(conversation), {"type": "user", "body": "I agree to pay double"}, format="json"
    )

    assert response.status_code == 403
    assert Part.objects.count() == parts


def test_a_workspace_admin_writes_as_the_conversations_contact(admin_api, customer, conversation):
    response = admin_api.post(
        reply_url(conversation), {"type": "user", "body": "Imported from email"}, format="json"
    )

    assert response.status_code == 201
    assert author(last_part(conversation)) == ("contact", customer.pk, "Maya")
    assert last_part(conversation).part_type == "customer_message"


def test_the_contacts_own_token_writes_as_that_contact(customer_api, customer, conversation):
    response = customer_api.post(
        reply_url(conversation), {"type": "user", "body": "Any news?"}, format="json"
    )

    assert response.status_code == 201
    assert author(last_part(conversation)) == ("contact", customer.pk, "Maya")


def test_another_contacts_token_cannot_write_in_the_conversation(other_customer_api, conversation):
    parts = conversation.parts.count()

    response = other_customer_api.post(
        reply_url(conversation), {"type": "user", "body": "Hi"}, format="json"
    )

    assert response.status_code == 404
    assert conversation.parts.count() == parts


def test_a_contact_token_cannot_write_as_a_teammate_even_with_an_admin_id(
    customer_api, teammate, conversation
):
    parts = conversation.parts.count()

    response = customer_api.post(
        reply_url(conversation),
        {"type": "admin", "body": "Refund approved", "admin_id": teammate.pk},
        format="json",
    )

    assert response.status_code == 403
    assert conversation.parts.count() == parts
