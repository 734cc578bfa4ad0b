"""Notifications: what a teammate should know about (API.md "Routing, macros, bulk
actions, notifications").

Written by the conversation services in the transaction of the change that causes them
(conversations/services.py: an assignment, a note), so a rolled-back change notifies
nobody. After the commit each one is published on its recipient's live channel (the
inbox's bell) and, through a `post_save` receiver of the inbox app, queued for e-mail
(inbox/tasks.py), which goes out only to a teammate away from the inbox (`should_email`).

The decisions (who is mentioned, who is notified, who gets an e-mail) are pure functions
over plain data; the words are the inbox's (workflows/vocabulary.py).
"""

import re
from datetime import datetime, timedelta

from django.db.models.functions import Lower
from django.utils import timezone

from conversations import live
from conversations.actors import Actor
from conversations.models import ActorType, Conversation, Notification, Teammate

Kind = Notification.Kind

# `@name`, not inside a word or an e-mail address; Django's username characters.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]+)")
# A note names at most this many teammates (a pasted list notifies nobody past it).
MENTIONS_PER_NOTE = 20
# An inbox page asks for the bell every 20 s; its visits are written at most this often.
SEEN_WRITE_INTERVAL = timedelta(seconds=60)


# --- decisions (pure) ----------------------------------------------------------------------


def mentioned_usernames(text: str) -> list[str]:
    """The usernames `@mentioned` in a note, lower-cased, each once, in order; a sentence's
    full stop after a name is not part of it ("thanks @ben." mentions ben)."""
    names: list[str] = []
    for match in MENTION.finditer(text or ""):
        name = match.group(1).rstrip(".-+").lower()
        if name and name not in names:
            names.append(name)
        if len(names) >= MENTIONS_PER_NOTE:
            break
    return names


def assignment_recipient(
    *, assignee_id: int | None, previous_assignee_id: int | None, acting: Actor
) -> int | None:
    """Who hears of an assignment: the new assignee, unless nothing changed for them or
    they assigned it to themselves."""
    if assignee_id is None or assignee_id == previous_assignee_id:
        return None
    if acting.type == ActorType.TEAMMATE and acting.id == assignee_id:
        return None
    return assignee_id


def should_email(
    *,
    read: bool,
    emailed: bool,
    recipient_active: bool,
    recipient_email: str,
    seen_at: datetime | None,
    now: datetime,
    away_after: timedelta,
) -> bool:
    """E-mail a notification to a teammate away from the inbox: unread, not sent yet, an
    active teammate with an address, whose inbox page has not asked for the bell within
    `away_after` (an open inbox page asks every 20 s, so it is never that old)."""
    if read or emailed or not recipient_active or not recipient_email:
        return False
    return seen_at is None or now - seen_at >= away_after


# --- writing (inside the caller's transaction) ----------------------------------------------


def _notify(
    *, recipient_id: int, kind: str, conversation: Conversation, acting: Actor, now: datetime
) -> Notification:
    notification = Notification.objects.create(
        recipient_id=recipient_id,
        kind=kind,
        conversation_id=conversation.pk,
        actor_id=acting.id if acting.type == ActorType.TEAMMATE else None,
        actor_name=(acting.name or "")[:150],
        created_at=now,
    )
    live.publish_teammate_on_commit(recipient_id)
    return notification


def notify_assigned(
    *,
    conversation: Conversation,
    assignee_id: int | None,
    previous_assignee_id: int | None,
    acting: Actor,
    now: datetime,
) -> Notification | None:
    """ "assigned" for the new assignee (called where a service sets the assignee)."""
    recipient_id = assignment_recipient(
        assignee_id=assignee_id, previous_assignee_id=previous_assignee_id, acting=acting
    )
    if recipient_id is None:
        return None
    return _notify(
        recipient_id=recipient_id,
        kind=Kind.ASSIGNED,
        conversation=conversation,
        acting=acting,
        now=now,
    )


def notify_mentions(
    *, conversation: Conversation, text: str, acting: Actor, now: datetime
) -> list[Notification]:
    """ "mentioned" for each active teammate a note names with `@username` (each once; not
    the note's author; unknown names are plain text)."""
    names = mentioned_usernames(text)
    if not names:
        return []
    recipients = (
        Teammate.objects.annotate(lowered=Lower("username"))
        .filter(lowered__in=names, is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if acting.type == ActorType.TEAMMATE:
        recipients = recipients.exclude(pk=acting.id)
    return [
        _notify(
            recipient_id=recipient_id,
            kind=Kind.MENTIONED,
            conversation=conversation,
            acting=acting,
            now=now,
        )
        for recipient_id in recipients
    ]


def notify_sla_warning(conversation: Conversation) -> Notification | None:
    """ "sla_warning" for the conversation's assignee: one of its SLA targets is about to
    be missed. Called by whatever notices it (issue 17's `sla_warning` trigger), inside the
    transaction that records it; None when nobody is assigned or the assignee is
    deactivated. Each call notifies: the caller warns once per target."""
    assignee = conversation.assignee
    if assignee is None or not assignee.is_active:
        return None
    return _notify(
        recipient_id=assignee.pk,
        kind=Kind.SLA_WARNING,
        conversation=conversation,
        acting=Actor.system(),
        now=timezone.now(),
    )


# --- reading and marking (the API and the inbox) ---------------------------------------------


def for_teammate(teammate: Teammate):
    """The teammate's notifications, newest first."""
    return Notification.objects.filter(recipient=teammate).order_by("-created_at", "-id")


def unread_count(teammate: Teammate) -> int:
    return Notification.objects.filter(recipient=teammate, read_at__isnull=True).count()


def mark_read(teammate: Teammate, ids: list[int] | None = None) -> int:
    """Mark the teammate's notifications read (these ids, or all); others' ids are ignored.
    The number newly marked."""
    unread = Notification.objects.filter(recipient=teammate, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    marked = unread.update(read_at=timezone.now())
    if marked:
        live.publish_teammate_on_commit(teammate.pk)  # the teammate's other tabs
    return marked


def teammate_seen(teammate: Teammate, now: datetime | None = None) -> None:
    """An inbox page of this teammate is open (written at most once a minute)."""
    now = now or timezone.now()
    seen = teammate.inbox_seen_at
    if seen is None or now - seen >= SEEN_WRITE_INTERVAL:
        Teammate.objects.filter(pk=teammate.pk).update(inbox_seen_at=now)
        teammate.inbox_seen_at = now
