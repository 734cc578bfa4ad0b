"""The bell (count, latest, open, mark all read), @name suggestions, and the e-mail for a
teammate away from the inbox."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from conversations import live, services
from conversations.actors import Actor
from conversations.models import Notification
from tests.factories import TeammateFactory


@pytest.fixture
def dana(db):
    return TeammateFactory(username="dana", first_name="Dana", last_name="Reyes")


@pytest.fixture
def logged_in(client, teammate):
    client.force_login(teammate)
    return client


def mention_ben(conversation, dana):
    services.conversation_add_note(
        conversation=conversation, body="@ben have a look", acting=Actor.teammate(dana)
    )


def test_the_bell_counts_unread_and_lists_them_in_words(logged_in, conversation, dana):
    mention_ben(conversation, dana)
    count = logged_in.get("/inbox/notifications/count/").content.decode()
    assert "Notifications, 1 unread" in count
    recent = logged_in.get("/inbox/notifications/recent/").content.decode()
    assert "Dana Reyes mentioned you in Maya Okafor" in recent
    assert "Mark all read" in recent


def test_the_bell_is_in_the_inbox_header(logged_in, conversation):
    page = logged_in.get("/inbox/").content.decode()
    assert 'id="notification-bell"' in page
    assert "/inbox/notifications/live/" in page


def test_opening_a_notification_marks_it_read_and_shows_the_conversation(
    logged_in, conversation, dana
):
    mention_ben(conversation, dana)
    notification = Notification.objects.get()
    response = logged_in.post(f"/inbox/notifications/{notification.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == f"/inbox/conversations/{conversation.pk}/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert (
        "Notifications, none unread"
        in logged_in.get("/inbox/notifications/count/").content.decode()
    )


def test_another_teammates_notification_is_a_404(client, teammate, outsider, conversation, dana):
    mention_ben(conversation, dana)
    client.force_login(outsider)
    notification = Notification.objects.get()
    assert client.post(f"/inbox/notifications/{notification.pk}/open/").status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_empties_the_count(logged_in, conversation, dana):
    mention_ben(conversation, dana)
    mention_ben(conversation, dana)
    response = logged_in.post("/inbox/notifications/read/", {"next": "https://evil.example/"})
    assert response["Location"] == "/inbox/notifications/"
    assert not Notification.objects.filter(read_at__isnull=True).exists()


def test_the_notifications_page_lists_them(logged_in, conversation, dana):
    mention_ben(conversation, dana)
    page = logged_in.get("/inbox/notifications/").content.decode()
    assert "<h1>Notifications</h1>" in page
    assert "Dana Reyes mentioned you in Maya Okafor" in page


def test_mention_suggestions_match_active_teammates_by_prefix(logged_in, dana):
    TeammateFactory(username="danny", first_name="Danny", is_active=False)
    for n in range(12):
        # Names of their own: a generated "Daniel" or "Reyes" would match the queries.
        TeammateFactory(username=f"dave{n}", first_name="Dave", last_name=f"Number {n}")
    rows = logged_in.get("/inbox/mentions/", {"q": "dan"}).json()["teammates"]
    assert rows == [{"username": "dana", "name": "Dana Reyes"}]
    assert len(logged_in.get("/inbox/mentions/", {"q": "da"}).json()["teammates"]) == 8
    assert (
        logged_in.get("/inbox/mentions/", {"q": "reY"}).json()["teammates"][0]["username"] == "dana"
    )
    assert logged_in.get("/inbox/mentions/", {"q": "x" * 5000}).json() == {"teammates": []}
    assert logged_in.get("/inbox/mentions/").json() == {"teammates": []}


def test_mention_suggestions_need_a_login(client):
    assert client.get("/inbox/mentions/", {"q": "b"}).status_code == 302


def test_the_notification_stream_is_the_teammates_own(client, teammate):
    assert client.get("/inbox/notifications/live/").status_code == 403
    client.force_login(teammate)
    # Under WSGI the stream says 204 and the bell polls (inbox/live_views.py).
    assert client.get("/inbox/notifications/live/").status_code == 204


def test_redis_delivers_a_teammate_message_to_that_teammates_stream():
    import asyncio

    hub = live.Hub()
    mine, others = asyncio.Queue(), asyncio.Queue()
    hub.queues = {live.teammate_channel(5): {mine}, live.teammate_channel(6): {others}}
    hub.on_message({"type": "message", "data": b"teammate-5"})
    assert (mine.qsize(), others.qsize()) == (1, 0)


# --- e-mail ---------------------------------------------------------------------------------


def test_a_teammate_away_from_the_inbox_gets_an_email(
    conversation, teammate, dana, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mention_ben(conversation, dana)
    (message,) = mail.outbox
    assert message.to == ["ben@example.com"]
    assert message.subject == "Dana Reyes mentioned you in Maya Okafor"
    assert f"/inbox/conversations/{conversation.pk}/" in message.body
    assert Notification.objects.get().emailed_at is not None


def test_a_teammate_with_the_inbox_open_gets_no_email(
    logged_in, conversation, teammate, dana, django_capture_on_commit_callbacks
):
    logged_in.get("/inbox/notifications/count/")  # the open page's bell
    with django_capture_on_commit_callbacks(execute=True):
        mention_ben(conversation, dana)
    assert mail.outbox == []


def test_a_teammate_seen_long_ago_gets_an_email(
    conversation, teammate, dana, django_capture_on_commit_callbacks
):
    teammate.inbox_seen_at = timezone.now() - timedelta(minutes=30)
    teammate.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_assign(
            conversation=conversation, assignee=teammate, acting=Actor.teammate(dana)
        )
    (message,) = mail.outbox
    assert message.subject == "Dana Reyes assigned you Maya Okafor"
