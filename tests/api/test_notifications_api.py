"""GET /api/notifications/ and POST /api/notifications/read/ (API.md "Routing, macros,
bulk actions, notifications")."""

import pytest

from conversations import services
from conversations.actors import Actor
from conversations.models import Notification
from tests.factories import TeammateFactory


@pytest.fixture
def dana(db):
    return TeammateFactory(username="dana", first_name="Dana")


@pytest.fixture
def mentioned(conversation, teammate, outsider, dana):
    """Ben mentioned twice (two notes), Carl once; newest first: Ben's second."""
    services.conversation_add_note(
        conversation=conversation, body="@ben @carl", acting=Actor.teammate(dana)
    )
    services.conversation_assign(
        conversation=conversation, assignee=teammate, acting=Actor.teammate(dana)
    )
    return conversation


def test_the_caller_sees_only_their_own_newest_first(teammate_api, mentioned, teammate):
    response = teammate_api.get("/api/notifications/")
    assert response.status_code == 200
    results = response.json()["results"]
    assert [row["kind"] for row in results] == ["assigned", "mentioned"]
    assert set(results[0]) == {"id", "kind", "conversation", "created_at", "read"}
    assert {row["conversation"] for row in results} == {mentioned.pk}
    assert not any(row["read"] for row in results)
    own = set(Notification.objects.filter(recipient=teammate).values_list("pk", flat=True))
    assert {row["id"] for row in results} == own


def test_marking_read_changes_only_the_callers(
    teammate_api, other_teammate_api, mentioned, outsider
):
    ids = [row["id"] for row in teammate_api.get("/api/notifications/").json()["results"]]
    carls = Notification.objects.get(recipient=outsider).pk
    response = teammate_api.post(
        "/api/notifications/read/", {"ids": [ids[0], carls]}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread": 1}
    rows = teammate_api.get("/api/notifications/").json()["results"]
    assert [row["read"] for row in rows] == [True, False]
    (carls_row,) = other_teammate_api.get("/api/notifications/").json()["results"]
    assert carls_row["read"] is False


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"ids": []},
        {"ids": "1,2"},
        {"ids": [1, "two"]},
        {"ids": [0]},
        {"ids": [1.5]},
        {"ids": [None]},
        {"ids": list(range(1, 502))},
        {"ids": [1], "all": True},
    ],
)
def test_bad_ids_are_a_400_naming_the_field(teammate_api, mentioned, body):
    response = teammate_api.post("/api/notifications/read/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()) & {"ids", "all"}
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_the_list_is_paged(teammate_api, conversation, teammate, dana):
    for _ in range(55):
        services.conversation_add_note(
            conversation=conversation, body="@ben", acting=Actor.teammate(dana)
        )
    page = teammate_api.get("/api/notifications/").json()
    assert (page["count"], len(page["results"])) == (55, 50)
    assert len(teammate_api.get("/api/notifications/?page=2").json()["results"]) == 5


def test_anonymous_callers_and_contacts_are_refused(anonymous_api, customer_api, mentioned):
    assert anonymous_api.get("/api/notifications/").status_code in (401, 403)
    assert customer_api.get("/api/notifications/").status_code in (401, 403)
    response = anonymous_api.post("/api/notifications/read/", {"ids": [1]}, format="json")
    assert response.status_code in (401, 403)
