"""Notifications written by the conversation services (assigned, mentioned) and the
sla_warning service; the pure decisions behind them."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from conversations import live, notifications, services
from conversations.actors import Actor
from conversations.models import Notification
from tests.factories import TeammateFactory

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


# --- pure decisions ------------------------------------------------------------------------


def test_mentions_are_found_once_each_without_punctuation_or_email_addresses():
    text = "Hi @Ben, can you and @carl.d look? Thanks @ben. Mail ada@example.com or @ro-b!"
    assert notifications.mentioned_usernames(text) == ["ben", "carl.d", "ro-b"]


def test_a_note_mentions_at_most_twenty_teammates():
    text = " ".join(f"@user{n}" for n in range(40))
    assert len(notifications.mentioned_usernames(text)) == notifications.MENTIONS_PER_NOTE


def test_assignment_notifies_the_new_assignee_unless_they_took_it_themselves():
    ada = Actor("teammate", 1, "Ada")
    assert (
        notifications.assignment_recipient(assignee_id=2, previous_assignee_id=None, acting=ada)
        == 2
    )
    assert (
        notifications.assignment_recipient(assignee_id=1, previous_assignee_id=None, acting=ada)
        is None
    )
    assert (
        notifications.assignment_recipient(assignee_id=2, previous_assignee_id=2, acting=ada)
        is None
    )
    workflow = Actor.workflow(7, "Route VIPs")
    assert (
        notifications.assignment_recipient(
            assignee_id=1, previous_assignee_id=None, acting=workflow
        )
        == 1
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, True),
        ({"seen_at": NOW - timedelta(minutes=1)}, False),
        ({"seen_at": NOW - timedelta(minutes=5)}, True),
        ({"read": True}, False),
        ({"emailed": True}, False),
        ({"recipient_email": ""}, False),
        ({"recipient_active": False}, False),
    ],
)
def test_only_teammates_away_from_the_inbox_get_an_email(changes, expected):
    facts = {
        "read": False,
        "emailed": False,
        "recipient_active": True,
        "recipient_email": "ben@example.com",
        "seen_at": None,
        "now": NOW,
        "away_after": timedelta(minutes=5),
    }
    assert notifications.should_email(**{**facts, **changes}) is expected


# --- the services --------------------------------------------------------------------------


@pytest.fixture
def dana(db):
    return TeammateFactory(username="dana", first_name="Dana")


def test_a_note_notifies_each_mentioned_teammate_once(conversation, teammate, outsider, dana):
    services.conversation_add_note(
        conversation=conversation,
        body="@ben and @CARL please look; @ben again, and @nobody, and @dana herself",
        acting=Actor.teammate(dana),
    )
    rows = Notification.objects.order_by("recipient__username")
    assert [(n.recipient.username, n.kind) for n in rows] == [
        ("ben", "mentioned"),
        ("carl", "mentioned"),
    ]
    assert {n.actor_id for n in rows} == {dana.pk}
    assert {n.conversation_id for n in rows} == {conversation.pk}


def test_deactivated_teammates_are_not_notified(conversation, teammate, dana):
    teammate.is_active = False
    teammate.save()
    services.conversation_add_note(
        conversation=conversation, body="@ben?", acting=Actor.teammate(dana)
    )
    assert not Notification.objects.exists()


def test_a_note_without_mentions_notifies_nobody(conversation, teammate, dana):
    services.conversation_add_note(
        conversation=conversation, body="email ben@example.com", acting=Actor.teammate(dana)
    )
    assert not Notification.objects.exists()


def test_assigning_to_someone_else_notifies_them(conversation, teammate, dana):
    services.conversation_assign(
        conversation=conversation, assignee=teammate, acting=Actor.teammate(dana)
    )
    (notification,) = Notification.objects.all()
    assert (notification.recipient, notification.kind, notification.actor_name) == (
        teammate,
        "assigned",
        "Dana",
    )
    # The same assignee again (a team change): no second notification.
    services.conversation_assign(
        conversation=conversation, assignee=teammate, acting=Actor.teammate(dana)
    )
    assert Notification.objects.count() == 1


def test_taking_a_conversation_yourself_notifies_nobody(conversation, teammate):
    services.conversation_assign(
        conversation=conversation, assignee=teammate, acting=Actor.teammate(teammate)
    )
    assert not Notification.objects.exists()


def test_a_rolled_back_assignment_leaves_no_notification(conversation, teammate, dana):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.conversation_assign(
            conversation=conversation, assignee=teammate, acting=Actor.teammate(dana)
        )
        raise RuntimeError("the caller's transaction fails")
    assert not Notification.objects.exists()


def test_sla_warning_notifies_the_assignee(conversation, teammate, dana):
    services.conversation_assign(
        conversation=conversation, assignee=teammate, acting=Actor.teammate(teammate)
    )
    conversation.refresh_from_db()
    notification = notifications.notify_sla_warning(conversation)
    assert (notification.recipient, notification.kind, notification.actor_id) == (
        teammate,
        "sla_warning",
        None,
    )


def test_sla_warning_on_an_unassigned_conversation_notifies_nobody(conversation):
    assert notifications.notify_sla_warning(conversation) is None
    assert not Notification.objects.exists()


def test_a_notification_is_published_on_its_teammates_channel_after_the_commit(
    conversation, teammate, dana, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    settings.LIVE_URL = ""
    stamp = tmp_path / "live" / live.teammate_channel(teammate.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.conversation_add_note(
            conversation=conversation, body="@ben", acting=Actor.teammate(dana)
        )
        assert not stamp.exists()
    assert stamp.exists()
    assert not (tmp_path / "live" / live.teammate_channel(dana.pk)).exists()


def test_mark_read_marks_only_the_teammates_own(conversation, teammate, outsider, dana):
    services.conversation_add_note(
        conversation=conversation, body="@ben @carl", acting=Actor.teammate(dana)
    )
    bens = Notification.objects.get(recipient=teammate)
    carls = Notification.objects.get(recipient=outsider)
    assert notifications.mark_read(teammate, [bens.pk, carls.pk]) == 1
    assert notifications.unread_count(teammate) == 0
    assert notifications.unread_count(outsider) == 1
