"""Live updates: what is published when, and who may follow which stream."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.conf import settings as django_settings
from django.db import transaction
from django.test import AsyncClient
from django.urls import reverse
from django.utils import timezone

from conversations import live, services
from conversations.actors import Actor
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, process

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_stamps(settings, tmp_path):
    """Stamp files (no LIVE_URL) in a folder of this test's own."""
    settings.VAR_DIR = tmp_path
    settings.LIVE_URL = ""
    live._away_until = 0.0


def stamp(conversation):
    return live._read_stamp(live.conversation_channel(conversation.pk))


def inbox_stamp():
    return live._read_stamp(live.INBOX)


# --- publishing after the commit ----------------------------------------------------------


def test_a_change_is_published_once_its_transaction_commits(
    conversation, teammate, django_capture_on_commit_callbacks
):
    before, inbox_before = stamp(conversation), inbox_stamp()

    with django_capture_on_commit_callbacks() as callbacks:
        services.conversation_teammate_reply(
            conversation=conversation, teammate=teammate, body="On it."
        )
        assert stamp(conversation) == before  # not yet: the reply is not committed

    for callback in callbacks:
        callback()
    assert stamp(conversation) != before
    assert inbox_stamp() != inbox_before


def test_a_rolled_back_change_publishes_nothing(
    conversation, teammate, django_capture_on_commit_callbacks
):
    before = stamp(conversation)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.conversation_close(conversation=conversation, acting=Actor.teammate(teammate))
        raise RuntimeError("the request failed after the change")

    assert stamp(conversation) == before


@pytest.mark.parametrize(
    "change",
    ["assign", "close", "bot_message", "customer_message"],
)
def test_assignments_state_changes_and_messages_are_published(
    change, conversation, teammate, django_capture_on_commit_callbacks
):
    acting = Actor.teammate(teammate)
    changes = {
        "assign": lambda: services.conversation_assign(
            conversation=conversation, assignee=teammate, acting=acting
        ),
        "close": lambda: services.conversation_close(conversation=conversation, acting=acting),
        "bot_message": lambda: services.conversation_bot_message(
            conversation=conversation, body="Hi!", acting=Actor.workflow(1, "Welcome")
        ),
        "customer_message": lambda: services.conversation_customer_message(
            conversation=conversation, body="Any news?"
        ),
    }
    before = stamp(conversation)

    with django_capture_on_commit_callbacks(execute=True):
        changes[change]()

    assert stamp(conversation) != before


def test_the_workflows_processing_a_conversation_publish_it_after_their_commit(
    conversation, django_capture_on_commit_callbacks
):
    # Processed events end the Messenger's "…" even when no workflow changed anything.
    make_workflow("Welcome", steps=[{"type": "send_message", "body": "Thanks!"}])
    before = stamp(conversation)

    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        process(conversation)
    assert stamp(conversation) == before
    for callback in callbacks:
        callback()

    assert stamp(conversation) != before
    assert conversation.parts.filter(body="Thanks!").exists()


def test_a_failing_fan_out_does_not_fail_the_change(
    conversation, teammate, settings, caplog, django_capture_on_commit_callbacks
):
    settings.LIVE_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    live._sync_client = None

    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_teammate_reply(
            conversation=conversation, teammate=teammate, body="Still saved."
        )

    assert conversation.parts.filter(body="Still saved.").exists()
    assert "Could not publish a live update" in caplog.text
    live._sync_client = None


# --- who may follow which stream -------------------------------------------------------


def test_the_teammate_streams_refuse_anonymous_visitors(client, conversation):
    for url in (
        reverse("inbox:live"),
        reverse("inbox:conversation_live", args=[conversation.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 403, url


def test_a_teammate_stream_of_a_missing_conversation_is_404(client, teammate):
    client.force_login(teammate)
    assert client.get(reverse("inbox:conversation_live", args=[999_999])).status_code == 404


def messenger_live(conversation):
    return reverse("messenger:live", args=[conversation.pk])


def test_a_customer_cannot_follow_another_customers_conversation(client, contact, conversation):
    other = ContactFactory(name="Otto Berg")
    others = services.conversation_open(contact=other, body="My own question")
    client.get(reverse("messenger:home"), {"token": contact.messenger_token})

    assert client.get(messenger_live(others)).status_code == 404
    # Its own: allowed (under WSGI a stream answers 204: the page polls instead).
    assert client.get(messenger_live(conversation)).status_code == 204


def test_nobody_signed_in_to_the_messenger_gets_404(client, conversation, teammate):
    client.force_login(teammate)  # a teammate is not the customer
    assert client.get(messenger_live(conversation)).status_code == 404


# --- the streams under ASGI -------------------------------------------------------------


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """A service called as a request calls it: its on-commit work runs (tests never
    commit their transaction), from the stream's event loop."""

    def call(service, **arguments):
        def run():
            with django_capture_on_commit_callbacks(execute=True):
                return service(**arguments)

        return sync_to_async(run)()

    return call


async def next_event(stream, timeout=3.0) -> str:
    return await asyncio.wait_for(anext(stream), timeout)


def follow(url, *, login=None, token=None):
    """Open the stream as a browser would (ASGI), then yield (events, publish)."""

    async def run(check):
        client = AsyncClient()
        if login is not None:
            await client.aforce_login(login)
        if token is not None:
            await client.get(reverse("messenger:home"), {"token": token})
        response = await client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/event-stream"
        stream = aiter(response.streaming_content)
        try:
            await check(stream)
        finally:
            await stream.aclose()

    return run


def test_the_customer_stream_tells_of_a_teammate_reply(contact, conversation, teammate, committed):
    async def check(stream):
        assert "event: ready" in (await next_event(stream)).decode()
        await committed(
            services.conversation_teammate_reply,
            conversation=conversation,
            teammate=teammate,
            body="Here it is.",
        )
        assert (await next_event(stream)).decode() == (
            f"event: change\ndata: {conversation.pk}\n\n"
        )

    async_to_sync(follow(messenger_live(conversation), token=contact.messenger_token))(check)


def test_the_teammate_streams_tell_of_a_customer_message(conversation, teammate, committed):
    async def check(stream):
        assert "event: ready" in (await next_event(stream)).decode()
        await committed(
            services.conversation_customer_message, conversation=conversation, body="Hello again"
        )
        assert "event: change" in (await next_event(stream)).decode()

    for url in (reverse("inbox:live"), reverse("inbox:conversation_live", args=[conversation.pk])):
        async_to_sync(follow(url, login=teammate))(check)


def test_a_stream_hears_nothing_of_other_conversations(contact, conversation, teammate, committed):
    other = services.conversation_open(contact=ContactFactory(), body="Elsewhere")
    process(conversation)  # nothing left for the workers to do in Maya's conversation

    async def check(stream):
        await next_event(stream)
        await committed(
            services.conversation_teammate_reply,
            conversation=other,
            teammate=teammate,
            body="Not for Maya",
        )
        with pytest.raises(TimeoutError):
            await next_event(stream, timeout=1.0)

    async_to_sync(follow(messenger_live(conversation), token=contact.messenger_token))(check)


@pytest.mark.skipif(
    not django_settings.CELERY_BROKER_URL.startswith("redis://"),
    reason="Redis pub/sub needs a Redis (CELERY_BROKER_URL=redis://…)",
)
def test_with_redis_the_stream_hears_a_change_published_by_any_process(
    settings, contact, conversation, teammate, committed
):
    settings.LIVE_URL = django_settings.CELERY_BROKER_URL
    settings.LIVE_REDIS_CHANNEL = f"test-live-{uuid.uuid4().hex}"  # pub/sub spans databases
    live._sync_client = None

    async def check(stream):
        assert "event: ready" in (await next_event(stream)).decode()
        await committed(
            services.conversation_teammate_reply,
            conversation=conversation,
            teammate=teammate,
            body="Via Redis.",
        )
        assert (await next_event(stream)).decode() == (
            f"event: change\ndata: {conversation.pk}\n\n"
        )

    try:
        async_to_sync(follow(messenger_live(conversation), token=contact.messenger_token))(check)
    finally:
        live._sync_client = None


# --- the Messenger: titles and the "…" --------------------------------------------------


def test_a_new_messenger_conversation_is_named_after_its_first_message(client, contact):
    client.get(reverse("messenger:home"), {"token": contact.messenger_token})
    body = "  Hello,\n\nmy invoice for October shows the wrong plan and the wrong amount again  "

    response = client.post(reverse("messenger:home"), {"body": body}, follow=True)

    title = "Hello, my invoice for October shows the wrong plan and the…"
    assert contact.conversations.get().title == title
    assert f"<h1>{title}</h1>" in response.content.decode()
    assert title in client.get(reverse("messenger:home")).content.decode()


def test_an_untitled_conversation_shows_its_first_message_not_a_date(client, contact):
    services.conversation_open(contact=contact, body="Where is my parcel?")  # as the API opens it
    client.get(reverse("messenger:home"), {"token": contact.messenger_token})

    page = client.get(reverse("messenger:home")).content.decode()

    assert "<strong>Where is my parcel?</strong>" in page
    assert "Conversation of" not in page


def test_the_messenger_shows_dots_while_the_workflows_have_the_customers_message(client, contact):
    conversation = services.conversation_open(contact=contact, body="Hi")
    client.get(reverse("messenger:home"), {"token": contact.messenger_token})
    timeline = reverse("messenger:timeline", args=[conversation.pk])

    waiting = client.get(timeline).content.decode()
    process(conversation)
    answered = client.get(timeline).content.decode()

    assert "data-typing" in waiting and 'aria-label="Working on your message"' in waiting
    assert "data-typing" not in answered


def test_the_dots_stop_when_no_worker_took_the_message_for_a_while(client, contact, time_machine):
    conversation = services.conversation_open(contact=contact, body="Hi")
    client.get(reverse("messenger:home"), {"token": contact.messenger_token})
    later = timezone.now() + timedelta(seconds=django_settings.LIVE_TYPING_SECONDS + 1)
    time_machine.move_to(later)

    page = client.get(reverse("messenger:conversation", args=[conversation.pk])).content.decode()

    assert "data-typing" not in page
