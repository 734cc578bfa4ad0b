"""The inbox's forms and addresses within bounds (issue 11): the custom snooze time in the
workspace's time zone and within years 1-9998, NUL characters and bad tag names in
addresses and fields refused with a 400, never a 500."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from conversations import services, validation
from conversations.models import OfficeHours, Part
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, teammate):
    client.force_login(teammate)
    return client


@pytest.fixture
def conversation(db):
    return services.conversation_open(contact=ContactFactory(), body="Hello")


@pytest.fixture
def new_york(db):
    hours = OfficeHours.load()
    hours.time_zone = "America/New_York"
    hours.save()


def snooze(client, conversation, until):
    return client.post(
        reverse("inbox:snooze", args=[conversation.pk]), {"preset": "custom", "until": until}
    )


def test_a_custom_snooze_time_is_read_in_the_workspace_time_zone(logged_in, conversation, new_york):
    response = snooze(logged_in, conversation, "2030-01-15T09:00")

    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.snoozed_until == datetime(2030, 1, 15, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize("until", ["9999-12-31T23:59", "9998-12-31T23:00"])
def test_a_custom_snooze_beyond_year_9998_is_a_form_error(logged_in, conversation, new_york, until):
    response = snooze(logged_in, conversation, until)

    assert response.status_code == 400
    assert validation.DATE_OUT_OF_RANGE in response.content.decode()
    conversation.refresh_from_db()
    assert conversation.state == "open"


@pytest.mark.parametrize(
    "name, field, value",
    [
        ("reply", "body", "a\x00b"),
        ("add_tag", "name", "a\x00b"),
        ("add_tag", "name", "x" * 65),
    ],
)
def test_bad_characters_and_lengths_in_inbox_forms_are_form_errors(
    logged_in, conversation, name, field, value
):
    parts = Part.objects.count()
    data = {field: value, "kind": "reply", "preset": "custom"}

    response = logged_in.post(reverse(f"inbox:{name}", args=[conversation.pk]), data)

    assert response.status_code == 400
    assert Part.objects.count() == parts


def test_a_nul_in_the_tag_name_of_the_remove_address_is_a_400(logged_in, conversation):
    response = logged_in.post(f"/inbox/conversations/{conversation.pk}/tags/a%00b/remove/")

    assert response.status_code == 400


def test_an_over_long_tag_name_in_the_remove_address_is_a_400(logged_in, conversation):
    response = logged_in.post(f"/inbox/conversations/{conversation.pk}/tags/{'x' * 300}/remove/")

    assert response.status_code == 400


@pytest.mark.parametrize("body", ["a\x00b", "x" * (validation.MAX_BODY_LENGTH + 1)])
def test_the_messenger_refuses_bad_messages_with_a_form_error(client, conversation, body):
    client.get("/messenger/", {"token": conversation.contact.messenger_token})  # signs in
    parts = Part.objects.count()

    home = client.post("/messenger/", {"body": body})
    reply = client.post(f"/messenger/conversations/{conversation.pk}/", {"body": body})

    assert (home.status_code, reply.status_code) == (400, 400)
    assert Part.objects.count() == parts
