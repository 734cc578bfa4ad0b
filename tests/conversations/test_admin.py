import json

import pytest
from django.urls import reverse

from conversations.models import Conversation, EventType, PartType

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    "model",
    ["teammate", "team", "company", "contact", "tag", "slapolicy", "conversation", "part", "event"],
)
def test_it_lists_every_model_in_the_admin(admin_client_logged_in, conversation, model):
    response = admin_client_logged_in.get(reverse(f"admin:conversations_{model}_changelist"))

    assert response.status_code == 200


def test_it_shows_a_conversation_read_only_with_its_timeline(admin_client_logged_in, conversation):
    url = reverse("admin:conversations_conversation_change", args=[conversation.pk])

    response = admin_client_logged_in.get(url)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Hello, I need help" in body
    assert 'name="state"' not in body  # state is not an editable field


def test_it_closes_conversations_through_the_service_from_an_admin_action(
    admin_client_logged_in, admin_user, conversation
):
    response = admin_client_logged_in.post(
        reverse("admin:conversations_conversation_changelist"),
        {"action": "close", "_selected_action": [conversation.pk]},
        follow=True,
    )

    assert response.status_code == 200
    conversation.refresh_from_db()
    assert conversation.state == Conversation.State.CLOSED
    part = conversation.parts.get(part_type=PartType.CLOSED)
    assert part.author_id == admin_user.pk
    assert conversation.events.filter(event_type=EventType.STATE_CHANGED).count() == 1


def test_it_assigns_to_me_from_an_admin_action(admin_client_logged_in, admin_user, conversation):
    admin_client_logged_in.post(
        reverse("admin:conversations_conversation_changelist"),
        {"action": "assign_to_me", "_selected_action": [conversation.pk]},
    )

    conversation.refresh_from_db()
    assert conversation.assignee == admin_user


def test_it_keeps_non_staff_teammates_out_of_the_admin(client, teammate):
    client.force_login(teammate)

    response = client.get(reverse("admin:conversations_conversation_changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_the_contact_page_does_not_show_the_messenger_token(admin_client_logged_in, conversation):
    contact = conversation.contact

    response = admin_client_logged_in.get(f"/admin/conversations/contact/{contact.pk}/change/")

    assert response.status_code == 200
    assert contact.messenger_token not in response.content.decode()


def test_the_contact_page_bounds_custom_attributes_like_the_api(
    admin_client_logged_in, conversation
):
    contact = conversation.contact
    url = f"/admin/conversations/contact/{contact.pk}/change/"
    form = admin_client_logged_in.get(url).context["adminform"].form
    data = {
        name: ("" if value is None else value)
        for name, value in form.initial.items()
        if name in form.fields
    }
    data["custom_attributes"] = json.dumps({f"k{n}": "v" for n in range(101)})

    response = admin_client_logged_in.post(url, data)

    assert response.status_code == 200
    assert "custom_attributes" in response.context["adminform"].form.errors
    contact.refresh_from_db()
    assert len(contact.custom_attributes) < 101
