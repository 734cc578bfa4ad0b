"""List endpoints cost the same number of queries for 3 rows and for 25."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations import services
from conversations.actors import Actor
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow
from workflows.processing import process_conversation_events

pytestmark = pytest.mark.django_db


def seed(count, teammate):
    for index in range(count):
        conversation = services.conversation_open(contact=ContactFactory(), body=f"m{index}")
        services.conversation_add_tag(
            conversation=conversation, name=f"t{index}", acting=Actor.teammate(teammate)
        )
        process_conversation_events(conversation.pk)


@pytest.mark.parametrize(
    "url", ["/api/conversations/", "/api/contacts/", "/api/workflow-runs/", "/api/teams/"]
)
def test_list_queries_do_not_grow_with_the_page(teammate_api, teammate, url):
    make_workflow("Tagger", frequency="every_time")
    seed(3, teammate)
    with CaptureQueriesContext(connection) as few:
        assert teammate_api.get(url).status_code == 200
    seed(22, teammate)
    with CaptureQueriesContext(connection) as many:
        teammate_api.get(url)

    assert len(many) == len(few)


def test_the_conversation_list_stays_within_a_handful_of_queries(
    teammate_api, teammate, django_assert_max_num_queries
):
    seed(25, teammate)

    # auth token, count, page, tags prefetch (pending events are a subquery column)
    with django_assert_max_num_queries(4):
        teammate_api.get("/api/conversations/")
