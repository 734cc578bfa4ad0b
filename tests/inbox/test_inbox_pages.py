"""The teammate inbox with the Django test client."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation, Event, Part
from tests.factories import ContactFactory, SlaPolicyFactory
from tests.workflows.helpers import make_workflow, process

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, teammate):
    client.force_login(teammate)
    return client


def open_conversation(body="Hello", **contact):
    conversation = services.conversation_open(contact=ContactFactory(**contact), body=body)
    process(conversation)
    return conversation


def test_the_inbox_needs_a_login(client):
    assert client.get(reverse("inbox:list"))["Location"].startswith("/accounts/login/")
    conversation = open_conversation()
    assert client.get(reverse("inbox:conversation", args=[conversation.pk])).status_code == 302
    assert (
        client.post(reverse("inbox:reply", args=[conversation.pk]), {"body": "x"}).status_code
        == 302
    )


def test_the_inboxes_show_their_conversations_and_counts(logged_in, teammate, support_team):
    mine = open_conversation("Mine please", name="Mina")
    services.conversation_assign(
        conversation=mine, assignee=teammate, acting=Actor.teammate(teammate)
    )
    team_only = open_conversation("Team one", name="Tomas")
    services.conversation_assign(conversation=team_only, team=support_team, acting=Actor.system())
    unassigned = open_conversation("Nobody yet", name="Una")

    def names(view):
        response = logged_in.get(reverse("inbox:list") + f"?view={view}")
        return [c.contact.name for c in response.context["page"].conversations], response

    assert names("mine")[0] == ["Mina"]
    assert names("unassigned")[0] == ["Una"]
    assert names(f"team-{support_team.pk}")[0] == ["Tomas"]
    assert sorted(names("all")[0]) == ["Mina", "Tomas", "Una"]
    counts = names("all")[1].context["counts"]
    assert (counts["mine"], counts["unassigned"], counts["all"]) == (1, 1, 3)
    assert counts["teams"] == [(support_team, 1)]
    assert unassigned.pk  # shown above


def test_the_bot_inbox_lists_conversations_a_customer_facing_workflow_handles(logged_in):
    make_workflow("Ask", trigger="customer_first_message",
                  steps=[{"type": "collect_data", "body": "Email?", "attribute": "email"}])  # fmt: skip
    handled = open_conversation(name="Bo")

    page = logged_in.get(reverse("inbox:list") + "?view=bot").context["page"]

    assert [c.pk for c in page.conversations] == [handled.pk]


def test_state_filter_search_and_sort(logged_in, teammate):
    old = open_conversation("Invoice question", name="Olga")
    new = open_conversation("Login broken", name="Nina", email="nina@example.com")
    closed = open_conversation("Done", name="Carl")
    services.conversation_close(conversation=closed, acting=Actor.teammate(teammate))

    def ids(query):
        return [
            c.pk
            for c in logged_in.get(reverse("inbox:list") + "?view=all&" + query)
            .context["page"]
            .conversations
        ]

    assert ids("state=closed") == [closed.pk]
    assert ids("q=invoice") == [old.pk]
    assert ids("q=NINA@example") == [new.pk]
    assert ids("sort=waiting") == [old.pk, new.pk]
    assert ids("sort=newest") == [new.pk, old.pk]
    assert logged_in.get(reverse("inbox:list") + "?view=nonsense&state=melted").status_code == 200


def test_keyset_pagination_walks_every_conversation_once(logged_in):
    created = [open_conversation(f"m{i}").pk for i in range(30)]

    first = logged_in.get(reverse("inbox:list") + "?view=all&sort=waiting").context["page"]
    second = logged_in.get(
        reverse("inbox:list") + f"?view=all&sort=waiting&after={first.next_cursor}"
    ).context["page"]

    seen = [c.pk for c in first.conversations] + [c.pk for c in second.conversations]
    assert seen == created
    assert second.next_cursor is None


def test_the_list_query_count_does_not_grow_with_the_conversations_shown(
    logged_in, django_assert_max_num_queries
):
    for index in range(3):
        open_conversation(f"m{index}")
    # 13: with the bulk bar's choices of teammates, teams and macros.
    with django_assert_max_num_queries(13) as few:
        logged_in.get(reverse("inbox:list") + "?view=all")
    for index in range(22):
        open_conversation(f"n{index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        logged_in.get(reverse("inbox:list") + "?view=all")


def test_the_conversation_shows_messages_notes_and_workflow_activity_in_words(logged_in, teammate):
    make_workflow("Support routing", trigger="customer_first_message",
                  steps=[{"type": "add_tag", "tag": "Projects"}])  # fmt: skip
    make_workflow(
        "A", trigger="customer_first_message", steps=[{"type": "send_message", "body": "Hi from A"}]
    )
    make_workflow(
        "B", trigger="customer_first_message", steps=[{"type": "send_message", "body": "Hi from B"}]
    )
    conversation = open_conversation("About my project")
    services.conversation_add_note(
        conversation=conversation, body="Internal remark", acting=Actor.teammate(teammate)
    )

    body = logged_in.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()

    assert "About my project" in body and "Internal remark" in body and "Hi from A" in body
    assert '<strong class="entry-name">Support routing</strong>: tagged Projects' in body
    assert "Workflow &quot;B&quot; did not start" in body
    assert "<li>&quot;B&quot;: lower priority than &quot;A&quot;, which started</li>" in body
    assert 'data-kind="note"' in body and 'data-kind="bot"' in body


def test_a_deferred_assignment_is_explained_in_the_timeline(logged_in, support_team):
    make_workflow("Bot", trigger="customer_first_message",
                  steps=[{"type": "collect_data", "body": "Email?", "attribute": "email"}])  # fmt: skip
    make_workflow(
        "Route", trigger="customer_first_message", steps=[{"type": "assign", "team": "Support"}]
    )
    conversation = open_conversation()

    body = logged_in.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()

    assert (
        '<strong class="entry-name">Route</strong>: assignment to Support held until the bot '
        "finished" in body
    )


def test_reply_note_and_every_action_go_through_the_services(logged_in, teammate, support_team):
    conversation = open_conversation()
    url = lambda name, *args: reverse(f"inbox:{name}", args=[conversation.pk, *args])  # noqa: E731

    logged_in.post(url("reply"), {"body": "On it", "kind": "reply"})
    logged_in.post(url("reply"), {"body": "Check billing", "kind": "note"})
    logged_in.post(url("assign"), {"assignee": teammate.pk, "team": support_team.pk})
    logged_in.post(url("add_tag"), {"name": "VIP"})
    logged_in.post(url("priority"), {"priority": "true"})
    logged_in.post(url("snooze"), {"preset": "1h"})
    conversation.refresh_from_db()
    assert conversation.state == "snoozed" and conversation.priority
    assert (conversation.assignee, conversation.team) == (teammate, support_team)
    logged_in.post(url("remove_tag", "VIP"))
    logged_in.post(url("close"))
    conversation.refresh_from_db()
    assert conversation.state == "closed" and not conversation.tags.exists()
    logged_in.post(url("reopen"))
    kinds = list(conversation.events.values_list("event_type", flat=True))
    assert {"teammate_replied", "note_added", "assigned", "tag_added", "tag_removed",
            "priority_changed", "state_changed"} <= set(kinds)  # fmt: skip
    assert all(e.actor_id == teammate.pk for e in conversation.events.filter(actor_type="teammate"))


@pytest.mark.parametrize(
    ("body", "message"), [("", "This field is required."), ("x" * 10_001, "at most 10000")]
)
def test_an_empty_or_oversized_message_is_refused_beside_the_field(logged_in, body, message):
    conversation = open_conversation()
    parts = Part.objects.count()

    response = logged_in.post(
        reverse("inbox:reply", args=[conversation.pk]), {"body": body, "kind": "reply"}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Part.objects.count() == parts


def test_a_snooze_in_the_past_and_a_missing_teammate_are_refused(logged_in):
    conversation = open_conversation()
    events = Event.objects.count()
    past = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")

    snooze = logged_in.post(
        reverse("inbox:snooze", args=[conversation.pk]), {"preset": "custom", "until": past}
    )
    assign = logged_in.post(reverse("inbox:assign", args=[conversation.pk]), {"assignee": 99999})

    assert snooze.status_code == 400 and "must be in the future" in snooze.content.decode()
    assert assign.status_code == 400 and "Select a valid choice" in assign.content.decode()
    assert Event.objects.count() == events
    assert Conversation.objects.get(pk=conversation.pk).state == "open"


def test_bodies_are_shown_as_text(logged_in):
    conversation = open_conversation("<script>alert('x')</script>", name="<b>Eve</b>")

    body = logged_in.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    listing = logged_in.get(reverse("inbox:list") + "?view=all").content.decode()

    assert "<script>alert" not in body and "&lt;script&gt;alert" in body
    assert "<b>Eve</b>" not in listing and "&lt;b&gt;Eve&lt;/b&gt;" in listing


def test_the_sla_badge_shows_the_time_left_or_the_miss(logged_in, teammate):
    policy = SlaPolicyFactory(name="Gold", first_reply=timedelta(minutes=30))
    conversation = open_conversation()
    services.conversation_apply_sla(conversation=conversation, policy=policy, acting=Actor.system())

    body = logged_in.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert "First reply due in" in body
    Conversation.objects.filter(pk=conversation.pk).update(
        first_reply_due_at=timezone.now() - timedelta(minutes=5)
    )
    body = logged_in.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert "First reply missed 5m ago" in body


def test_the_timeline_partial_is_served_for_polling(logged_in):
    conversation = open_conversation("Polled")

    response = logged_in.get(
        reverse("inbox:conversation", args=[conversation.pk]) + "?partial=timeline",
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "Polled" in response.content.decode() and "<html" not in response.content.decode()


def test_away_toggles(logged_in, teammate):
    logged_in.post(reverse("inbox:away"))
    teammate.refresh_from_db()
    assert teammate.is_away is True


def test_the_inbox_counts_are_served_for_polling(logged_in):
    open_conversation("Counted")

    response = logged_in.get(
        reverse("inbox:list") + "?partial=nav&view=all", HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert "<html" not in body and 'aria-label="Inboxes"' in body
    assert 'All <span class="count">1</span>' in body


def test_a_tag_with_a_slash_can_be_shown_and_removed(logged_in):
    conversation = open_conversation()
    logged_in.post(reverse("inbox:add_tag", args=[conversation.pk]), {"name": "billing/refund"})

    page = logged_in.get(reverse("inbox:conversation", args=[conversation.pk]))
    logged_in.post(reverse("inbox:remove_tag", args=[conversation.pk, "billing/refund"]))

    assert page.status_code == 200 and "billing/refund" in page.content.decode()
    assert not conversation.tags.exists()


def test_the_away_toggle_only_redirects_within_the_site(logged_in):
    response = logged_in.post(reverse("inbox:away"), {"next": "https://evil.example/"})

    assert response["Location"] == reverse("inbox:list")


def test_a_teammate_applies_an_sla_from_the_inbox(logged_in):
    policy = SlaPolicyFactory(name="Gold", first_reply=timedelta(minutes=30))
    conversation = open_conversation()

    logged_in.post(reverse("inbox:sla", args=[conversation.pk]), {"policy": policy.pk})
    bad = logged_in.post(reverse("inbox:sla", args=[conversation.pk]), {"policy": 9999})

    conversation.refresh_from_db()
    assert conversation.sla_policy == policy
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()
