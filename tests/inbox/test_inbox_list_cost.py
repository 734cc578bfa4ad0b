"""The inbox list stays cheap however full the page is: rows that show everything a row
can show (contact, waiting time, last message, SLA badge, priority, bot, failing
workflows, tags, assignee and team) cost no query of their own — the same number of
queries for a full page as for one row (or fewer), on PostgreSQL."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conversations.models import ActorType, Part, PartType
from inbox.selectors import PAGE_SIZE
from tests.factories import ConversationFactory, SlaPolicyFactory, TagFactory, TeamFactory
from workflows.models import ProcessingFailure

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged_in(client, teammate):
    client.force_login(teammate)
    return client


def full_rows(count: int, teammate, start: int = 0) -> None:
    """`count` open conversations with every badge a row shows."""
    now = timezone.now()
    team = TeamFactory(name=f"Billing {start}")
    policy = SlaPolicyFactory(name=f"Gold {start}")
    tags = [TagFactory(name=f"vip-{start}"), TagFactory(name=f"refund-{start}")]
    for index in range(start, start + count):
        conversation = ConversationFactory(
            contact__name=f"Customer {index}",
            assignee=teammate,
            team=team,
            priority=True,
            in_bot_inbox=True,
            sla_policy=policy,
            first_reply_due_at=now + timedelta(minutes=20),
            waiting_since=now - timedelta(hours=2, minutes=index),
        )
        conversation.tags.add(*tags)
        Part.objects.create(
            conversation=conversation,
            part_type=PartType.CUSTOMER_MESSAGE,
            author_type=ActorType.CONTACT,
            body=f"Where is my parcel {index}?",
        )
        ProcessingFailure.objects.create(
            conversation=conversation,
            failures=settings.PROCESSING_FAILURES_BEFORE_FAILING,
            error="The workflow's webhook timed out",
            retry_at=now + timedelta(minutes=5),
        )


def queries_of(client, url: str, **headers) -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return [query["sql"] for query in captured.captured_queries], response.content.decode()


LISTS = [
    "?view=all&sort=waiting",
    "?view=all&sort=newest",
    "?view=mine&sort=waiting",
    "?view=all&q=parcel",
    "?view=all&q=Customer",
]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="counts PostgreSQL's queries")
@pytest.mark.parametrize("query", LISTS)
def test_a_full_page_of_rich_rows_makes_no_more_queries_than_one_row(logged_in, teammate, query):
    full_rows(1, teammate)
    url = reverse("inbox:list") + query
    logged_in.get(url)  # the session remembers this list from now on: no write below
    one_row, body = queries_of(logged_in, url)
    assert body.count('class="conversation-row') == 1

    full_rows(PAGE_SIZE + 5, teammate, start=1)
    full_page, body = queries_of(logged_in, url)

    assert body.count('class="conversation-row') == PAGE_SIZE
    # No more (one fewer when the waiting rows alone fill the page: no idle rows read);
    # the bulk-action bar's teammates, teams and macros are three fixed queries.
    assert len(full_page) <= len(one_row) <= 12, "\n".join(one_row)
    # What each row shows, read with the page's few queries.
    assert "Where is my parcel" in body
    assert "First reply due in" in body
    assert "waiting 2\xa0hours" in body
    assert "Workflows failing" in body
    assert "vip-1" in body and "refund-1" in body
    assert "Ben · Billing 1" in body


@pytest.mark.skipif(connection.vendor != "postgresql", reason="counts PostgreSQL's queries")
def test_the_polled_list_fragment_makes_three_queries_whatever_the_page_holds(logged_in, teammate):
    full_rows(PAGE_SIZE + 5, teammate)
    url = reverse("inbox:list") + "?view=all&sort=waiting"

    queries, body = queries_of(logged_in, url, HX_Request="true")

    # The session, the teammate, and the page with its last messages and tags.
    assert len(queries) == 3, "\n".join(queries)
    assert body.count('class="conversation-row') == PAGE_SIZE
