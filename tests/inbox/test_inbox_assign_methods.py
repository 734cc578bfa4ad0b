"""The inbox's assign form gives a conversation to a team member by a method; the admin
site's capacity and away go through the same service (the queue moves)."""

import pytest

from conversations import services
from conversations.models import Conversation
from conversations.validation import ASSIGN_METHOD_NEEDS_TEAM
from tests.factories import ContactFactory, TeamFactory, TeammateFactory

pytestmark = pytest.mark.django_db


def test_assign_to_a_team_by_balanced_gives_it_to_the_least_busy_member(client, teammate):
    busy = TeammateFactory(username="busy")
    free = TeammateFactory(username="free")
    team = TeamFactory(name="Billing", members=[busy, free])
    services.conversation_assign(
        conversation=services.conversation_open(contact=ContactFactory()),
        assignee=busy,
        acting=services.Actor.system(),
    )
    conversation = services.conversation_open(contact=ContactFactory(), body="Hi")
    client.force_login(teammate)

    response = client.post(
        f"/inbox/conversations/{conversation.pk}/assign/",
        {"team": team.pk, "method": "balanced"},
    )

    assert response.status_code == 302
    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.team) == (free, team)


def test_a_queued_conversation_says_so_on_its_page(client, teammate):
    team = TeamFactory(name="Billing", members=[TeammateFactory(username="full", capacity=0)])
    conversation = services.conversation_open(contact=ContactFactory(), body="Hi")
    client.force_login(teammate)

    client.post(
        f"/inbox/conversations/{conversation.pk}/assign/", {"team": team.pk, "method": "balanced"}
    )

    page = client.get(f"/inbox/conversations/{conversation.pk}/").content.decode()
    assert "Waiting in Billing's queue for a member with room." in page


def test_a_method_without_a_team_is_an_error_beside_the_field(client, teammate):
    conversation = services.conversation_open(contact=ContactFactory(), body="Hi")
    client.force_login(teammate)

    response = client.post(
        f"/inbox/conversations/{conversation.pk}/assign/", {"method": "round_robin"}
    )

    assert response.status_code == 400
    assert response.context["assign_form"].errors["method"] == [ASSIGN_METHOD_NEEDS_TEAM]
    assert Conversation.objects.get(pk=conversation.pk).team_id is None


def test_more_capacity_in_the_admin_site_hands_out_the_queue(client, admin_user):
    member = TeammateFactory(username="member", capacity=0)
    team = TeamFactory(name="Billing", members=[member])
    conversation = services.conversation_open(contact=ContactFactory(), body="Hi")
    services.conversation_assign_to_team(
        conversation=conversation, team=team, method="balanced", acting=services.Actor.system()
    )
    client.force_login(admin_user)
    page = client.get(f"/admin/conversations/teammate/{member.pk}/change/")
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("groups", "user_permissions", "password")
    }
    data.update(
        {
            "capacity": "1",
            "date_joined_0": member.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": member.date_joined.strftime("%H:%M:%S"),
            "teams": [team.pk],
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)

    response = client.post(f"/admin/conversations/teammate/{member.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    conversation.refresh_from_db()
    assert (conversation.assignee, conversation.assignment_queued) == (member, False)
