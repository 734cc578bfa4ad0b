"""The inbox list: search across every inbox, SLA badges and waiting time on rows, capped
counts, the list beside a conversation, and the number of queries each page makes."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conversations import services
from conversations.actors import Actor
from conversations.models import Conversation
from inbox import selectors
from tests.factories import ContactFactory, SlaPolicyFactory
from tests.workflows.helpers import process

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, teammate):
    client.force_login(teammate)
    return client


def open_conversation(body="Hello", **contact):
    conversation = services.conversation_open(contact=ContactFactory(**contact), body=body)
    process(conversation)
    return conversation


def listed(client, query: str) -> list[int]:
    response = client.get(reverse("inbox:list") + "?" + query)
    assert response.status_code == 200
    return [c.pk for c in response.context["page"].conversations]


def test_search_from_your_inbox_finds_a_customer_whose_conversation_is_elsewhere(
    logged_in, teammate, support_team
):
    unassigned = open_conversation("My parcel is late", name="Maya Okafor")
    in_team = open_conversation("Question", name="Noor", email="noor.haddad@example.com")
    services.conversation_assign(conversation=in_team, team=support_team, acting=Actor.system())
    open_conversation("Unrelated", name="Liam")

    assert listed(logged_in, "view=mine") == []
    assert listed(logged_in, "view=mine&q=maya") == [unassigned.pk]
    assert listed(logged_in, "view=mine&q=NOOR.HADDAD@example") == [in_team.pk]
    assert listed(logged_in, "view=mine&q=parcel is late") == [unassigned.pk]
    page = logged_in.get(reverse("inbox:list") + "?view=mine&q=maya").content.decode()
    assert "Results from every inbox" in page and "Maya Okafor" in page


def test_search_finds_words_in_replies_and_notes_but_keeps_the_state_filter(logged_in, teammate):
    replied = open_conversation("Hi", name="Aiko")
    services.conversation_teammate_reply(
        conversation=replied, teammate=teammate, body="Your refund is on its way"
    )
    noted = open_conversation("Hi", name="Carl")
    services.conversation_add_note(
        conversation=noted, body="Wants a refund too", acting=Actor.teammate(teammate)
    )
    closed = open_conversation("Refund for order 7", name="Dora")
    services.conversation_close(conversation=closed, acting=Actor.teammate(teammate))

    assert sorted(listed(logged_in, "q=refund")) == sorted([replied.pk, noted.pk])
    assert listed(logged_in, "q=refund&state=closed") == [closed.pk]
    assert listed(logged_in, "q=nothing-like-this") == []


def test_a_common_search_term_is_checked_row_by_row_with_the_same_results(logged_in, monkeypatch):
    # Three matching messages count as "common" here: the list checks each row it walks.
    monkeypatch.setattr(selectors, "SEARCH_COMMON", 3)
    matching = [open_conversation(f"Invoice {n} is wrong", name=f"C{n}").pk for n in range(4)]
    open_conversation("Something else", name="Other")

    assert sorted(listed(logged_in, "q=invoice")) == sorted(matching)
    assert listed(logged_in, "q=C2") == [matching[2]]


def test_list_rows_show_the_sla_badge_and_the_waiting_time(logged_in):
    policy = SlaPolicyFactory(name="Gold", first_reply=timedelta(minutes=30))
    due = open_conversation("Help", name="Due Soon")
    services.conversation_apply_sla(conversation=due, policy=policy, acting=Actor.system())
    missed = open_conversation("Help", name="Too Late")
    services.conversation_apply_sla(conversation=missed, policy=policy, acting=Actor.system())
    Conversation.objects.filter(pk=missed.pk).update(
        first_reply_due_at=timezone.now() - timedelta(minutes=5),
        waiting_since=timezone.now() - timedelta(hours=2),
    )

    body = logged_in.get(reverse("inbox:list") + "?view=all").content.decode()

    assert "First reply due in 29m" in body or "First reply due in 30m" in body
    assert "First reply missed 5m ago" in body
    assert "waiting 2\xa0hours" in body


def test_inbox_counts_stop_at_the_cap(logged_in, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    for name in ("A", "B", "C", "D"):
        open_conversation(name=name)
    open_conversation(name="E")

    nav = logged_in.get(
        reverse("inbox:list") + "?partial=nav&view=all", HTTP_HX_REQUEST="true"
    ).content.decode()

    assert 'All <span class="count">2+</span>' in nav
    assert 'Your inbox <span class="count">0</span>' in nav


def test_pages_walk_the_waiting_then_the_idle_conversations_once(logged_in, teammate):
    created = [open_conversation(f"m{i}").pk for i in range(30)]
    # Replied to: nobody waits on these, so they come after every waiting conversation.
    idle = created[::3]
    for pk in idle:
        services.conversation_teammate_reply(
            conversation=Conversation.objects.get(pk=pk), teammate=teammate, body="Done"
        )
    waiting = [pk for pk in created if pk not in idle]

    first = logged_in.get(reverse("inbox:list") + "?view=all").context["page"]
    second = logged_in.get(reverse("inbox:list") + f"?view=all&after={first.next_cursor}").context[
        "page"
    ]

    seen = [c.pk for c in first.conversations + second.conversations]
    assert seen == waiting + idle
    assert second.next_cursor is None


def test_the_newest_sort_pages_by_last_activity(logged_in):
    created = [open_conversation(f"m{i}").pk for i in range(27)]

    first = logged_in.get(reverse("inbox:list") + "?view=all&sort=newest").context["page"]
    second = logged_in.get(
        reverse("inbox:list") + f"?view=all&sort=newest&after={first.next_cursor}"
    ).context["page"]

    assert [c.pk for c in first.conversations + second.conversations] == created[::-1]


def test_a_conversation_shows_the_inbox_list_it_was_opened_from(logged_in):
    maya = open_conversation("Parcel", name="Maya")
    noor = open_conversation("Invoice", name="Noor")
    logged_in.get(reverse("inbox:list") + "?view=all&q=parcel")

    page = logged_in.get(reverse("inbox:conversation", args=[maya.pk]))

    assert [c.pk for c in page.context["page"].conversations] == [maya.pk]
    body = page.content.decode()
    assert f'data-id="{maya.pk}"' in body and 'aria-current="true"' in body
    assert f'data-id="{noor.pk}"' not in body
    assert "Search: parcel" in body


def test_the_list_and_search_pages_make_the_same_few_queries_for_more_conversations(
    logged_in, django_assert_max_num_queries
):
    for index in range(3):
        open_conversation(f"refund {index}", name=f"Customer {index}")
    pages = ["?view=all", "?view=mine", "?view=all&sort=newest", "?q=refund", "?q=Customer"]
    counted = {}
    for query in pages:
        # Session and user; a search's contacts, its messages' estimate and ids; the page
        # (waiting rows, then idle ones) and its tags; teams and the capped counts; the
        # session remembering this list (a savepoint, the update, its release).
        # 16: with the bulk bar's choices of teammates, teams and macros.
        with django_assert_max_num_queries(16) as few:
            logged_in.get(reverse("inbox:list") + query)
        counted[query] = len(few.captured_queries)
    for index in range(25):
        open_conversation(f"refund again {index}", name=f"Customer {index}")
    for query in pages:
        with django_assert_max_num_queries(counted[query]):
            logged_in.get(reverse("inbox:list") + query)


def test_a_polled_list_makes_no_count_queries(logged_in, django_assert_max_num_queries):
    open_conversation("Polled")
    # Session, user, the page (its tags within it on PostgreSQL); the counts are polled
    # separately (partial=nav).
    with django_assert_max_num_queries(5):
        response = logged_in.get(reverse("inbox:list") + "?view=all", HTTP_HX_REQUEST="true")
    assert "Polled" in response.content.decode()


def test_a_team_inbox_is_marked_as_the_current_one(logged_in, support_team):
    nav = logged_in.get(reverse("inbox:list") + f"?view=team-{support_team.pk}").content.decode()

    assert f'aria-current="page" data-team="{support_team.pk}"' in nav
