"""The inbox records every change as the logged-in teammate: no field of the request can
name another author (API.md "Safer writes", for the browser pages)."""

import pytest
from django.urls import reverse

from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

# What a forger might add to any inbox form.
FORGED = {
    "admin_id": "",
    "author_id": "",
    "acting": "teammate",
    "teammate": "",
    "type": "user",
    "author_type": "contact",
}


@pytest.fixture
def ben(client, teammate):
    client.force_login(teammate)
    return client


def forged(other):
    return {key: (other.pk if value == "" else value) for key, value in FORGED.items()}


def last_part(conversation):
    return conversation.parts.order_by("-created_at", "-id").first()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("inbox:reply", {"body": "Hello", "kind": "reply"}),
        ("inbox:reply", {"body": "Internal", "kind": "note"}),
        ("inbox:add_tag", {"name": "Billing"}),
        ("inbox:priority", {"priority": "true"}),
        ("inbox:close", {}),
        ("inbox:snooze", {"preset": "1h"}),
    ],
)
def test_every_inbox_change_is_recorded_as_the_logged_in_teammate(
    ben, teammate, outsider, conversation, name, data
):
    response = ben.post(reverse(name, args=[conversation.pk]), {**data, **forged(outsider)})

    assert response.status_code == 302, response.content.decode()[:500]
    part = last_part(conversation)
    assert (part.author_type, part.author_id, part.author_name) == ("teammate", teammate.pk, "Ben")


def test_assigning_someone_else_is_done_by_the_logged_in_teammate(
    ben, teammate, outsider, conversation
):
    team = TeamFactory(name="Tier 2", members=[outsider])

    response = ben.post(
        reverse("inbox:assign", args=[conversation.pk]),
        {"assignee": outsider.pk, "team": team.pk, **forged(outsider)},
    )

    assert response.status_code == 302
    part = last_part(conversation)
    assert part.part_type == "assignment"
    assert (part.author_type, part.author_id) == ("teammate", teammate.pk)
