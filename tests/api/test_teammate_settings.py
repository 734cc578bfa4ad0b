"""PATCH /api/teammates/{id}/ (away, capacity) and team assignment over the API."""

import pytest

from conversations import services
from conversations.models import Conversation, Teammate
from conversations.validation import CAPACITY_OUT_OF_RANGE
from tests.factories import ContactFactory, TeamFactory, TeammateFactory

pytestmark = pytest.mark.django_db


def url(teammate):
    return f"/api/teammates/{teammate.pk}/"


def test_a_teammate_sets_their_own_away_and_sees_it(teammate_api, teammate):
    response = teammate_api.patch(url(teammate), {"away": True}, format="json")

    assert response.status_code == 200
    assert response.json()["is_away"] is True
    assert Teammate.objects.get(pk=teammate.pk).is_away is True
    listed = teammate_api.get(url(teammate)).json()
    assert listed["is_away"] is True and listed["capacity"] is None


def test_a_teammate_may_not_change_their_capacity_or_anyone_else(
    teammate_api, teammate, other_teammate
):
    own_capacity = teammate_api.patch(url(teammate), {"capacity": 50}, format="json")
    other_away = teammate_api.patch(url(other_teammate), {"away": True}, format="json")

    assert own_capacity.status_code == 403
    assert other_away.status_code == 403
    assert Teammate.objects.get(pk=teammate.pk).capacity is None
    assert Teammate.objects.get(pk=other_teammate.pk).is_away is False


def test_an_admin_sets_anyones_capacity_and_away_and_can_lift_the_limit(admin_api, teammate):
    response = admin_api.patch(url(teammate), {"capacity": 5, "away": True}, format="json")
    assert response.status_code == 200
    assert response.json()["capacity"] == 5
    assert response.json()["is_away"] is True

    lifted = admin_api.patch(url(teammate), {"capacity": None}, format="json")
    assert lifted.json()["capacity"] is None
    assert Teammate.objects.get(pk=teammate.pk).capacity is None


@pytest.mark.parametrize(
    "body, field",
    [
        ({"capacity": -1}, "capacity"),
        ({"capacity": 10**12}, "capacity"),
        ({"capacity": "five"}, "capacity"),
        ({"capacity": 2.5}, "capacity"),
        ({"capacity": True}, "capacity"),
        ({"away": "maybe"}, "away"),
        ({"away": None}, "away"),
        ({"vacation": True}, "vacation"),
    ],
)
def test_bad_values_are_400_with_the_field_named_and_nothing_saved(
    admin_api, teammate, body, field
):
    response = admin_api.patch(url(teammate), body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    saved = Teammate.objects.get(pk=teammate.pk)
    assert (saved.capacity, saved.is_away) == (None, False)


def test_out_of_range_capacity_says_what_is_allowed(admin_api, teammate):
    response = admin_api.patch(url(teammate), {"capacity": 1001}, format="json")

    assert response.json()["capacity"] == [CAPACITY_OUT_OF_RANGE]


def test_teammates_cannot_be_created_or_deleted_here(admin_api, teammate):
    assert admin_api.delete(url(teammate)).status_code == 405
    assert admin_api.put(url(teammate), {"away": True}, format="json").status_code == 405


def test_an_unknown_teammate_is_404(admin_api):
    assert (
        admin_api.patch("/api/teammates/999999/", {"away": True}, format="json").status_code == 404
    )


def test_assigning_by_method_over_the_api_queues_when_nobody_has_room(admin_api):
    full = TeammateFactory(username="full", capacity=0)
    team = TeamFactory(name="Billing", members=[full])
    conversation = services.conversation_open(contact=ContactFactory(), body="Hi")
    body = {"message_type": "assignment", "team_id": team.pk, "method": "balanced"}

    response = admin_api.post(f"/api/conversations/{conversation.pk}/parts/", body, format="json")

    assert response.status_code == 200
    assert response.json()["assignment_queued"] is True
    assert response.json()["assignee"] is None

    raised = admin_api.patch(url(full), {"capacity": 1}, format="json")

    assert raised.status_code == 200
    shown = admin_api.get(f"/api/conversations/{conversation.pk}/").json()
    assert shown["assignee"] == full.pk and shown["assignment_queued"] is False


@pytest.mark.parametrize(
    "extra, field",
    [({"method": "random"}, "method"), ({"method": "balanced", "team_id": None}, "method")],
)
def test_a_bad_method_is_a_field_error(admin_api, extra, field):
    team = TeamFactory(name="Billing")
    conversation = services.conversation_open(contact=ContactFactory(), body="Hi")
    body = {"message_type": "assignment", "team_id": team.pk, **extra}

    response = admin_api.post(f"/api/conversations/{conversation.pk}/parts/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert Conversation.objects.get(pk=conversation.pk).team_id is None
