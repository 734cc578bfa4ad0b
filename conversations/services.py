"""Every change to a conversation (DESIGN.md §4).

Each service takes keyword-only arguments and an `acting=` Actor. Inside one
`transaction.atomic()` (not durable: the orchestrator calls services inside its own
transaction, which already holds the conversation's lock; and without a savepoint,
which would cost two queries per change: arguments are validated before the block, so
an error inside it is a database error that must doom the caller's transaction) it:

1. validates its arguments (a `ValidationError` naming the field; nothing is saved),
2. locks the conversation row and re-reads it,
3. returns early when the change is a no-op (no part, no event),
4. saves the change, then writes the timeline part and the outbox event.

The event's `post_save` signal is what starts the workflow orchestrator. While the
orchestrator processes a conversation it batches that conversation's writes
(`conversation_writes_batched`): step 4 is queued, and the queued changes are written
together when it flushes, one UPDATE and one INSERT of parts and one of events (no
signal then: it reads those events itself).

After the commit, a change is published to the pages that watch the conversation
(conversations/live.py): from `_record`, and once per batched writing.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import Lower
from django.utils import timezone

from conversations import live, notifications, routing, sla, validation
from conversations.actors import Actor
from conversations.models import (
    Company,
    Contact,
    Conversation,
    Event,
    EventType,
    Part,
    PartType,
    SlaPolicy,
    Tag,
    Team,
    Teammate,
    new_messenger_token,
)

State = Conversation.State
UNCHANGED = object()  # an argument left out (None means something: no limit)
# Names are copied into parts and events: cut to their columns, so a long but legal name
# (a 254-character email, a teammate's 300-character full name) never fails a change.
AUTHOR_NAME_LENGTH = Part._meta.get_field("author_name").max_length
ACTOR_NAME_LENGTH = Event._meta.get_field("actor_name").max_length


# --- locking and recording -------------------------------------------------------------


def conversation_lock(conversation: Conversation | int) -> Conversation:
    """Lock the conversation row for the rest of the current transaction and return it.

    Services called later in the same transaction with the returned instance skip
    their own lock (the row is already ours), which saves a query per change.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("conversation_lock() must run inside transaction.atomic()")
    pk = conversation.pk if isinstance(conversation, Conversation) else conversation
    locked = Conversation.objects.select_for_update().get(pk=pk)
    locked._row_locked = True
    return locked


def conversation_mark_locked(
    conversation: Conversation, *, reads_own_events: bool = False
) -> Conversation:
    """Say that the caller locked this row itself (SELECT … FOR UPDATE) in the current
    transaction: services called with it in that transaction skip their own lock.

    `reads_own_events`: the caller also reads the outbox events its changes write before
    it commits (the orchestrator's loop), so they need no dispatch (see
    `event_read_by_writer`).
    """
    conversation._row_locked = True
    conversation._reads_own_events = reads_own_events
    return conversation


def event_read_by_writer(event: Event) -> bool:
    """Whether the transaction that wrote this outbox event reads it before committing
    (its conversation was marked so by `conversation_mark_locked`)."""
    if not Event.conversation.is_cached(event):
        return False
    return getattr(event.conversation, "_reads_own_events", False)


def _locked(conversation: Conversation | int) -> Conversation:
    """The conversation locked for this transaction: as given if the caller locked it.

    An instance from `conversation_lock` is valid only inside the transaction that
    locked it; callers keep it there.
    """
    if (
        isinstance(conversation, Conversation)
        and getattr(conversation, "_row_locked", False)
        and transaction.get_connection().in_atomic_block
    ):
        return conversation
    return conversation_lock(conversation)


def _record(
    conversation: Conversation,
    *,
    acting: Actor,
    part_type: str,
    event_type: str,
    now: datetime,
    body: str = "",
    details: dict | None = None,
    payload: dict | None = None,
) -> Part:
    """Write the timeline part and the outbox event of one change (queued instead while
    the caller batches this conversation's writes: `conversation_writes_batched`)."""
    if acting.macro:  # "via macro X": the timeline and the event say which macro
        details = {**(details or {}), "via_macro": acting.macro}
        payload = {**(payload or {}), "via_macro": acting.macro}
    part_fields = {
        "conversation": conversation,
        "part_type": part_type,
        "author_type": acting.type,
        "author_id": acting.id,
        "author_name": validation.bounded_name(acting.name, AUTHOR_NAME_LENGTH),
        "body": body,
        "details": details or {},
        "created_at": now,
    }
    event_fields = {
        "conversation": conversation,
        "event_type": event_type,
        "actor_type": acting.type,
        "actor_id": acting.id,
        "actor_name": validation.bounded_name(acting.name, ACTOR_NAME_LENGTH),
        "depth": acting.depth,
        "created_at": now,
    }
    batch = _batch_of(conversation)
    if batch is not None:
        part = Part(**part_fields)
        batch.records.append((part, Event(payload=payload or {}, **event_fields)))
        return part
    part = Part.objects.create(**part_fields)
    # Registered before the event's dispatch (its post_save): after the commit the pages
    # hear of the change before the broker hears of the task.
    live.publish_on_commit(conversation.pk)
    Event.objects.create(payload={"part_id": part.pk, **(payload or {})}, **event_fields)
    part.conversation = conversation
    return part


def _save(conversation: Conversation, *fields: str) -> None:
    batch = _batch_of(conversation)
    if batch is not None:
        batch.fields.update(fields)
        batch.changed = True
        return
    conversation.save(update_fields=[*fields, "updated_at"])


# --- batched writes (the orchestrator's) -------------------------------------------------


class WriteBatch:
    """A locked conversation's writes, held back to be written together by `flush`: its
    changed fields in one UPDATE, the queued parts and events in one multi-row INSERT
    each (ids returned: an event's `part_id` is its part's), in the order queued; on
    PostgreSQL also its new tag links (cached tag ids, re-checked there) in the same
    statement."""

    def __init__(self, conversation: Conversation):
        self.conversation = conversation
        self.changed = False
        self.fields: set[str] = set()
        self.records: list[tuple[Part, Event]] = []
        # Tag links to insert, (tag id, its cached name): ids from the per-process cache,
        # checked against the tag table by the flush (`_relink_stale_tags` when stale).
        self.links: list[tuple[int, str]] = []
        # The events written, as they read back from the database (the caller takes them).
        self.written: list[Event] = []

    def flush(self) -> None:
        connection = transaction.get_connection()
        if connection.vendor == "postgresql":
            self._flush_in_one_statement(connection)
            return
        if self.changed:
            fields, self.fields, self.changed = self.fields, set(), False
            self.conversation.save(update_fields=[*sorted(fields), "updated_at"])
        if self.records:
            records, self.records = self.records, []
            Part.objects.bulk_create([part for part, _ in records])
            for part, event in records:
                event.payload = {"part_id": part.pk, **event.payload}
            # No post_save: the writer reads these events itself (event_read_by_writer).
            events = Event.objects.bulk_create([event for _, event in records])
            for event in events:
                event.payload = json.loads(json.dumps(event.payload))  # as stored
            self.written += events

    def _flush_in_one_statement(self, connection) -> None:
        """`flush` on PostgreSQL: the UPDATE and both INSERTs in one statement of
        data-modifying CTEs (one round trip, no ORM compilation). The parts' and events'
        ids are drawn from their sequences first, in order, so each event names its part
        and both come back in the order queued."""
        changed, fields = self.changed, self.fields
        records, links = self.records, self.links
        if not changed and not records and not links:
            return
        self.fields, self.changed, self.records, self.links = set(), False, [], []
        statements, params = [], {}
        conversation = self.conversation
        if changed:
            assignments = []
            for number, name in enumerate([*sorted(fields), "updated_at"]):
                f = Conversation._meta.get_field(name)
                value = (
                    f.pre_save(conversation, False)
                    if name == "updated_at"
                    else getattr(conversation, f.attname)
                )
                params[f"f{number}"] = f.get_db_prep_save(value, connection)
                assignments.append(f'"{f.column}" = %(f{number})s')
            statements.append(
                f'updated AS (UPDATE "{Conversation._meta.db_table}" SET '
                f"{', '.join(assignments)} WHERE id = %(conversation)s RETURNING 1)"
            )
        params["conversation"] = conversation.pk
        if links:
            params["link_ids"] = [tag_id for tag_id, _ in links]
            params["link_names"] = [name.lower() for _, name in links]
            statements.append(_LINK_STATEMENT)
            stale = _STALE_LINKS
        else:
            stale = "NULL"
        if records:
            params.update(_record_params(records))
            statements += _RECORD_STATEMENTS
            tail = (
                "SELECT (SELECT array_agg(id ORDER BY n) FROM part_ids), "
                f"(SELECT array_agg(id ORDER BY n) FROM event_ids), {stale}"
            )
        else:
            tail = f"SELECT NULL, NULL, {stale}"
        with connection.cursor() as cursor:
            cursor.execute("WITH " + ", ".join(statements) + " " + tail, params)
            part_ids, event_ids, stale_ids = cursor.fetchone()
        if records:
            self._took_ids(connection, records, part_ids, event_ids)
        if stale_ids:
            self._relink_stale_tags([link for link in links if link[0] in stale_ids])

    def _took_ids(self, connection, records, part_ids, event_ids) -> None:
        alias = connection.alias
        for (part, event), part_id, event_id in zip(records, part_ids, event_ids, strict=True):
            part.pk = part_id
            part._state.adding, part._state.db = False, alias
            event.pk = event_id
            event.payload = json.loads(json.dumps({"part_id": part_id, **event.payload}))
            event._state.adding, event._state.db = False, alias
            self.written.append(event)

    def _relink_stale_tags(self, stale: list[tuple[int, str]]) -> None:
        """Links the flush did not insert because the cached tag was deleted or renamed
        meanwhile (rare): the tag is looked up (or made) again and linked, and the events
        just written that named the stale id name the tag's id instead."""
        conversation = self.conversation
        tags = conversation_tags(conversation)
        for stale_id, name in stale:
            _tag_ids.pop(name.lower(), None)
            tag = tag_get_or_create(name)
            Conversation.tags.through.objects.bulk_create(
                [Conversation.tags.through(conversation_id=conversation.pk, tag_id=tag.pk)],
                ignore_conflicts=True,
            )
            for key, (tag_id, _) in list(tags.items()):
                if tag_id == stale_id:
                    tags[key] = (tag.pk, tag.name)
            for event in self.written:
                payload = event.payload
                if event.event_type == EventType.TAG_ADDED and payload.get("tag_id") == stale_id:
                    # The tag as it is now (made again, or the name it has now).
                    event.payload = {**payload, "tag_id": tag.pk, "tag": tag.name}
                    event.save(update_fields=["payload"])
                    part = Part.objects.filter(pk=payload.get("part_id")).first()
                    if part is not None:
                        part.details = {**part.details, "tag": tag.name}
                        part.save(update_fields=["details"])


# The parts' and events' columns as `_record` fills them (ids drawn from the sequences).
_PART_COLUMNS = {
    "part_type": "varchar",
    "author_type": "varchar",
    "author_id": "bigint",
    "author_name": "varchar",
    "body": "text",
    "details": "jsonb",
    "created_at": "timestamptz",
}
_EVENT_COLUMNS = {
    "event_type": "varchar",
    "actor_type": "varchar",
    "actor_id": "bigint",
    "actor_name": "varchar",
    "depth": "integer",
    "payload": "jsonb",
    "created_at": "timestamptz",
}


def _record_statements() -> list[str]:
    def ids(name, model):
        table = model._meta.db_table
        return (
            f"{name} AS MATERIALIZED (SELECT id, row_number() OVER (ORDER BY id) AS n FROM "
            f"(SELECT nextval(pg_get_serial_sequence('\"{table}\"', 'id')) AS id "
            "FROM generate_series(1, %(count)s)) AS drawn)"
        )

    def insert(name, model, prefix, columns, extra=""):
        table = model._meta.db_table
        arrays = ", ".join(f"%({prefix}_{column})s::{kind}[]" for column, kind in columns.items())
        names = ", ".join(columns)
        values = ", ".join(
            f"v.{column}" if not (extra and column == "payload") else extra for column in columns
        )
        return (
            f'{name} AS (INSERT INTO "{table}" (id, conversation_id, {names}) '
            f"SELECT i.id, %(conversation)s, {values} FROM unnest({arrays}) "
            f"WITH ORDINALITY AS v({names}, n) JOIN {prefix}_ids i USING (n) RETURNING 1)"
        )

    return [
        ids("part_ids", Part),
        ids("event_ids", Event),
        insert("parts", Part, "part", _PART_COLUMNS),
        # Each event names its part: the part id drawn for the same position.
        insert(
            "events",
            Event,
            "event",
            _EVENT_COLUMNS,
            extra="jsonb_build_object('part_id', (SELECT p.id FROM part_ids p WHERE p.n = v.n))"
            " || v.payload",
        ),
    ]


_RECORD_STATEMENTS = _record_statements()

# The batch's tag links, each only if its tag still has that id and name (the cache can
# be stale); a link already there is left alone.
_LINK_STATEMENT = (
    f'links AS (INSERT INTO "{Conversation.tags.through._meta.db_table}" '
    "(conversation_id, tag_id) SELECT %(conversation)s, t.id "
    f'FROM "{Tag._meta.db_table}" t JOIN unnest(%(link_ids)s::bigint[], '
    "%(link_names)s::text[]) AS v(id, name) ON t.id = v.id AND LOWER(t.name) = v.name "
    "ON CONFLICT DO NOTHING RETURNING 1)"
)
# The ids of those whose tag is gone or renamed (read from the same snapshot).
_STALE_LINKS = (
    "(SELECT array_agg(v.id) FROM unnest(%(link_ids)s::bigint[], %(link_names)s::text[]) "
    f'AS v(id, name) WHERE NOT EXISTS (SELECT 1 FROM "{Tag._meta.db_table}" t '
    "WHERE t.id = v.id AND LOWER(t.name) = v.name))"
)


def _record_params(records) -> dict:
    params = {"count": len(records)}
    for prefix, columns, rows in (
        ("part", _PART_COLUMNS, [part for part, _ in records]),
        ("event", _EVENT_COLUMNS, [event for _, event in records]),
    ):
        for column, kind in columns.items():
            values = [getattr(row, column) for row in rows]
            if kind == "jsonb":
                values = [json.dumps(value) for value in values]
            params[f"{prefix}_{column}"] = values
    return params


def _batch_of(conversation: Conversation) -> WriteBatch | None:
    return conversation.__dict__.get("_write_batch")


@contextmanager
def conversation_writes_batched(conversation: Conversation) -> Iterator[WriteBatch]:
    """While open, the services hold back this locked conversation's writes (its field
    changes, parts and events) until the caller flushes them (`WriteBatch.flush`), e.g.
    once per round of the orchestrator's loop. For a caller that locked the row and reads
    its own events (`conversation_mark_locked(..., reads_own_events=True)`): no post_save
    is sent for the events, so nothing is dispatched for them. The caller flushes before
    anything reads those rows; what is still queued is flushed on a normal exit, dropped
    on an error (whose transaction rolls back)."""
    if not getattr(conversation, "_reads_own_events", False):
        raise RuntimeError("batched writes are for a writer that reads its own events")
    batch = WriteBatch(conversation)
    conversation._write_batch = batch
    try:
        yield batch
        batch.flush()
    finally:
        conversation.__dict__.pop("_write_batch", None)
    # Once per processing, changed or not: the Messenger's "…" ends when the events are
    # processed (marked in this transaction), and the timeline shows the workflows' records.
    live.publish_on_commit(conversation.pk)


def conversation_flush_writes(conversation: Conversation) -> None:
    """Write what is held back for this conversation (nothing when not batched)."""
    batch = _batch_of(conversation)
    if batch is not None:
        batch.flush()


# --- opening and messages ----------------------------------------------------------------


def conversation_open(
    *,
    contact: Contact,
    body: str | None = None,
    channel: str = Conversation.Channel.MESSENGER,
    title: str = "",
    acting: Actor | None = None,
) -> Conversation:
    """A customer opens a conversation, optionally with its first message.

    Events: `conversation_opened`, then (with a body) `customer_message` with first=true.
    """
    text = validation.clean_body(body) if body is not None else None
    if channel not in Conversation.Channel.values:
        raise ValidationError({"channel": f"Unknown channel {channel!r}."})
    acting = acting or Actor.contact(contact)
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = Conversation.objects.create(
            contact=contact, channel=channel, title=title[:200], created_at=now
        )
        # Nobody else can see a row created in this transaction: it is as good as locked.
        conversation._row_locked = True
        _record(
            conversation,
            acting=acting,
            part_type=PartType.OPENED,
            event_type=EventType.CONVERSATION_OPENED,
            now=now,
            payload={"channel": channel},
        )
        if text is not None:
            _write_customer_message(conversation, text=text, acting=acting, now=now)
    return conversation


def conversation_customer_message(
    *, conversation: Conversation | int, body: str, acting: Actor | None = None
) -> Part:
    """The customer writes. A closed or snoozed conversation reopens first."""
    text = validation.clean_body(body)
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        acting = acting or Actor.contact(conversation.contact)
        return _write_customer_message(conversation, text=text, acting=acting, now=now)


def _write_customer_message(conversation, *, text, acting, now) -> Part:
    if conversation.state != State.OPEN:
        previous = conversation.state
        if previous == State.SNOOZED:
            _end_sla_pause(conversation, now)
        conversation.state = State.OPEN
        conversation.snoozed_until = None
        conversation.closed_at = None
        _save(conversation, "state", "snoozed_until", "closed_at")
        _record(
            conversation,
            acting=acting,
            part_type=PartType.REOPENED,
            event_type=EventType.STATE_CHANGED,
            now=now,
            payload={"state": State.OPEN, "previous": previous},
        )
    first = conversation.first_customer_message_at is None
    if first:
        conversation.first_customer_message_at = now
    conversation.last_customer_message_at = now
    starts_waiting = conversation.waiting_since is None
    conversation.waiting_since = conversation.waiting_since or now
    fields = ["first_customer_message_at", "last_customer_message_at", "waiting_since"]
    policy = conversation.sla_policy if conversation.sla_policy_id else None
    if starts_waiting and policy and policy.next_reply and conversation.first_teammate_reply_at:
        # A new question after a teammate's reply starts the next-reply clock.
        conversation.next_reply_due_at = sla.due(policy, "next_reply", now)
        fields.append("next_reply_due_at")
    _save(conversation, *fields)
    return _record(
        conversation,
        acting=acting,
        part_type=PartType.CUSTOMER_MESSAGE,
        event_type=EventType.CUSTOMER_MESSAGE,
        now=now,
        body=text,
        payload={"first": first, "body": text},
    )


def conversation_teammate_reply(
    *, conversation: Conversation | int, teammate: Teammate, body: str, macro: str = ""
) -> Part:
    """A teammate replies to the customer (`macro`: the macro they ran to do it); the
    customer is no longer waiting."""
    text = validation.clean_body(body)
    _check_active(teammate, field="teammate")
    acting = Actor.teammate(teammate, macro=macro)
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        if conversation.first_teammate_reply_at is None:
            conversation.first_teammate_reply_at = now
        conversation.last_teammate_reply_at = now
        conversation.waiting_since = None
        _save(conversation, "first_teammate_reply_at", "last_teammate_reply_at", "waiting_since")
        return _record(
            conversation,
            acting=acting,
            part_type=PartType.TEAMMATE_REPLY,
            event_type=EventType.TEAMMATE_REPLIED,
            now=now,
            body=text,
            payload={"body": text},
        )


def conversation_add_note(*, conversation: Conversation | int, body: str, acting: Actor) -> Part:
    """An internal note, visible to teammates only (by a teammate or a workflow step)."""
    text = validation.clean_body(body)
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        _save(conversation)
        part = _record(
            conversation,
            acting=acting,
            part_type=PartType.NOTE,
            event_type=EventType.NOTE_ADDED,
            now=now,
            body=text,
            payload={"body": text},
        )
        notifications.notify_mentions(conversation=conversation, text=text, acting=acting, now=now)
        return part


def conversation_bot_message(
    *, conversation: Conversation | int, body: str, acting: Actor, details: dict | None = None
) -> Part:
    """A message a workflow sends to the customer (with buttons or a question in details)."""
    text = validation.clean_body(body)
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        _save(conversation)
        return _record(
            conversation,
            acting=acting,
            part_type=PartType.BOT_MESSAGE,
            event_type=EventType.BOT_MESSAGE,
            now=now,
            body=text,
            details=details,
            payload={"body": text},
        )


# --- assignment ------------------------------------------------------------------------


def _check_active(teammate: Teammate, *, field: str) -> None:
    if not teammate.is_active:
        message = validation.ASSIGNEE_INACTIVE.format(teammate=teammate.display_name)
        raise ValidationError({field: message})


def conversation_assign(
    *,
    conversation: Conversation | int,
    acting: Actor,
    assignee: Teammate | None = None,
    team: Team | None = None,
) -> Conversation:
    """Assign to a teammate, a team, or both; what is not named stays as it was."""
    if assignee is None and team is None:
        raise ValidationError({"assignee": validation.ASSIGN_NOTHING})
    if assignee is not None:
        _check_active(assignee, field="assignee")
        if team is not None and not team.members.filter(pk=assignee.pk).exists():
            message = validation.ASSIGNEE_NOT_IN_TEAM.format(
                teammate=assignee.display_name, team=team.name
            )
            raise ValidationError({"assignee": message})
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        previous_assignee_id, previous_team_id = conversation.assignee_id, conversation.team_id
        new_assignee = assignee if assignee is not None else conversation.assignee
        new_team = team if team is not None else conversation.team
        if (
            getattr(new_assignee, "pk", None) == previous_assignee_id
            and getattr(new_team, "pk", None) == previous_team_id
        ):
            return conversation
        _write_assignment(
            conversation,
            assignee=new_assignee,
            team=new_team,
            acting=acting,
            now=now,
            # Still waiting only in the same team's queue; a plain team assignment is the
            # team's inbox, not its queue.
            queued=(
                new_assignee is None
                and conversation.assignment_queued
                and getattr(new_team, "pk", None) == previous_team_id
            ),
        )
        _release_room(conversation, previous_assignee_id)
    return conversation


def _write_assignment(conversation, *, assignee, team, acting, now, queued=False) -> None:
    """Save who has the conversation and record the assignment (with `queued`: it waits
    in the team's queue for a member with room)."""
    previous_assignee_id, previous_team_id = conversation.assignee_id, conversation.team_id
    conversation.assignee = assignee
    conversation.team = team
    fields = ["assignee", "team"]
    if queued != conversation.assignment_queued or (queued and conversation.queued_at is None):
        conversation.assignment_queued = queued
        conversation.queued_at = (conversation.queued_at or now) if queued else None
        fields += ["assignment_queued", "queued_at"]
    _save(conversation, *fields)
    # Every assignment passes here (a direct one, by team method, out of the queue).
    notifications.notify_assigned(
        conversation=conversation,
        assignee_id=conversation.assignee_id,
        previous_assignee_id=previous_assignee_id,
        acting=acting,
        now=now,
    )
    details = {
        "assignee": assignee.display_name if assignee else None,
        "team": team.name if team else None,
    }
    payload = {
        "assignee_id": conversation.assignee_id,
        "team_id": conversation.team_id,
        "previous_assignee_id": previous_assignee_id,
        "previous_team_id": previous_team_id,
    }
    if queued:
        details["queued"] = payload["queued"] = True
    _record(
        conversation,
        acting=acting,
        part_type=PartType.ASSIGNMENT,
        event_type=EventType.ASSIGNED,
        now=now,
        details=details,
        payload=payload,
    )


def conversation_unassign(*, conversation: Conversation | int, acting: Actor) -> Conversation:
    """Leave the conversation with no teammate and no team."""
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        if conversation.assignee_id is None and conversation.team_id is None:
            return conversation
        payload = {
            "previous_assignee_id": conversation.assignee_id,
            "previous_team_id": conversation.team_id,
        }
        previous_assignee_id = conversation.assignee_id
        conversation.assignee = None
        conversation.team = None
        conversation.assignment_queued = False
        conversation.queued_at = None
        _save(conversation, "assignee", "team", "assignment_queued", "queued_at")
        _record(
            conversation,
            acting=acting,
            part_type=PartType.UNASSIGNMENT,
            event_type=EventType.UNASSIGNED,
            now=now,
            payload=payload,
        )
        _release_room(conversation, previous_assignee_id)
    return conversation


# --- team assignment: methods, capacity and the queue --------------------------------------
#
# Locks, always in this order, so that no two transactions wait on each other: the one
# conversation being changed (the caller's, waited for), then the team row, then the
# team's members in id order (both FOR NO KEY UPDATE: assigning still takes its foreign-
# key lock), then queued conversations oldest first, SKIP LOCKED (never waited for while
# a team is held: a queued conversation busy elsewhere waits for the next hand-out).
# Every team assignment holds the members' rows while it counts their open
# conversations, so two workers never give one member more than their capacity, even
# when the member is in several teams.


def _lock_team(team: Team | int) -> Team:
    pk = team.pk if isinstance(team, Team) else team
    return Team.objects.select_for_update(no_key=True).get(pk=pk)


def _member_loads(team: Team) -> list[routing.MemberLoad]:
    """The team's active members, locked, with their open conversations counted."""
    members = list(
        Teammate.objects.select_for_update(no_key=True)
        .filter(teams=team, is_active=True)
        .order_by("id")
        .values_list("id", "capacity", "is_away", "last_assigned_at")
    )
    counts = dict(
        Conversation.objects.filter(
            assignee_id__in=[member[0] for member in members], state=State.OPEN
        )
        .order_by()
        .values("assignee_id")
        .annotate(open_count=Count("id"))
        .values_list("assignee_id", "open_count")
    )
    return [
        routing.MemberLoad(
            id=pk,
            open_count=counts.get(pk, 0),
            capacity=capacity,
            away=away,
            last_assigned_at=last_assigned_at,
        )
        for pk, capacity, away, last_assigned_at in members
    ]


def _give_to_member(loads, member_id, team, now) -> list[routing.MemberLoad]:
    """Remember who got one (rotation, balanced ties); the loads with theirs counted."""
    Teammate.objects.filter(pk=member_id).update(last_assigned_at=now)
    Team.objects.filter(pk=team.pk).update(last_assigned_member_id=member_id)
    team.last_assigned_member_id = member_id
    return [
        replace(load, open_count=load.open_count + 1, last_assigned_at=now)
        if load.id == member_id
        else load
        for load in loads
    ]


def conversation_assign_to_team(
    *, conversation: Conversation | int, team: Team, method: str, acting: Actor
) -> Conversation:
    """Give the conversation to a member of the team by `method` ("round_robin" or
    "balanced", conversations/routing.py); when no member has room (away, or at their
    capacity) it waits in the team's queue (`assignment_queued`) until one has.

    A conversation already with a member of this team stays with them."""
    if method not in routing.METHODS:
        raise ValidationError({"method": validation.ASSIGN_METHOD_UNKNOWN})
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        conversation_flush_writes(conversation)  # the counts read the conversations
        team = _lock_team(team)
        loads = _member_loads(team)
        if conversation.team_id == team.pk and (
            conversation.assignment_queued
            or any(load.id == conversation.assignee_id for load in loads)
        ):
            return conversation
        member_id = routing.choose_member(
            loads, method, last_member_id=team.last_assigned_member_id
        )
        previous_assignee_id = conversation.assignee_id
        if member_id is None:
            _write_assignment(
                conversation, assignee=None, team=team, acting=acting, now=now, queued=True
            )
        else:
            _give_to_member(loads, member_id, team, now)
            _write_assignment(
                conversation,
                assignee=Teammate.objects.get(pk=member_id),
                team=team,
                acting=acting,
                now=now,
            )
        _release_room(conversation, previous_assignee_id)
    return conversation


def _release_room(conversation: Conversation, teammate_id: int | None) -> None:
    """The teammate has one open conversation fewer: their teams' queues may move."""
    if teammate_id is None:
        return
    # (Read before the flush: this conversation has a teammate, so it is in no queue.)
    team_ids = set(
        Conversation.objects.filter(
            assignment_queued=True, state=State.OPEN, team__members=teammate_id
        )
        .order_by()
        .values_list("team_id", flat=True)
        .distinct()
    )
    if team_ids:
        conversation_flush_writes(conversation)  # the counts read the conversations
    for team_id in sorted(team_ids):
        team_queue_drain(team=team_id)


def team_queue_drain(*, team: Team | int) -> list[int]:
    """Hand the team's queued open conversations, oldest first, to the members with room
    (each to the one with the fewest open: balanced); the ids handed out."""
    handed: list[int] = []
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        team = _lock_team(team)
        loads = _member_loads(team)
        rooms = [routing.room_left(load) for load in loads]
        if not any(room is None or room > 0 for room in rooms):
            return handed
        limit = None if None in rooms else sum(rooms)
        queued = (
            Conversation.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(team=team, assignment_queued=True, state=State.OPEN)
            .order_by("queued_at", "id")
        )
        if limit is not None:
            queued = queued[:limit]
        acting = Actor.system()
        members = {}
        for conversation in queued:
            member_id = routing.choose_member(loads, routing.BALANCED)
            if member_id is None:
                break
            loads = _give_to_member(loads, member_id, team, now)
            if member_id not in members:
                members[member_id] = Teammate.objects.get(pk=member_id)
            conversation._row_locked = True
            _write_assignment(
                conversation, assignee=members[member_id], team=team, acting=acting, now=now
            )
            handed.append(conversation.pk)
    return handed


def team_requeue_member(*, team: Team, teammate: Teammate) -> list[int]:
    """Put the teammate's open conversations in this team back in its queue (they went
    away and the team says so); the ids requeued. Each conversation is locked before the
    team (the order above), one at a time."""
    requeued = []
    ids = Conversation.objects.filter(team=team, assignee=teammate, state=State.OPEN).values_list(
        "id", flat=True
    )
    for conversation_id in sorted(ids):
        with transaction.atomic(savepoint=False):
            conversation = conversation_lock(conversation_id)
            if (
                conversation.assignee_id != teammate.pk
                or conversation.team_id != team.pk
                or conversation.state != State.OPEN
            ):
                continue
            _lock_team(team)
            _write_assignment(
                conversation,
                assignee=None,
                team=team,
                acting=Actor.system(),
                now=timezone.now(),
                queued=True,
            )
            requeued.append(conversation.pk)
    return requeued


def teammate_update_settings(
    *, teammate: Teammate, away: bool | None = None, capacity=UNCHANGED
) -> Teammate:
    """Set a teammate's away flag and/or capacity (None: no limit), then move the queues
    this may release: back from away or more capacity hands out waiting conversations;
    going away puts their conversations back in the queue of each team that says so."""
    fields = {}
    if away is not None:
        fields["is_away"] = bool(away)
    if capacity is not UNCHANGED:
        if capacity is not None and not (
            isinstance(capacity, int) and 0 <= capacity <= routing.MAX_CAPACITY
        ):
            raise ValidationError({"capacity": validation.CAPACITY_OUT_OF_RANGE})
        fields["capacity"] = capacity
    if not fields:
        return teammate
    with transaction.atomic():
        # Its own transaction: the teammate's row is locked alone (the lock order above
        # takes members after teams), and the queues below see the new settings.
        Teammate.objects.filter(pk=teammate.pk).update(**fields)
    went_away = fields.get("is_away") is True and not teammate.is_away
    for name, value in fields.items():
        setattr(teammate, name, value)
    teams = list(Team.objects.filter(members=teammate).order_by("id"))
    for team in teams:
        if went_away and team.away_policy == Team.AwayPolicy.REQUEUE:
            team_requeue_member(team=team, teammate=teammate)
        with transaction.atomic():
            team_queue_drain(team=team)
    return teammate


# --- state -----------------------------------------------------------------------------


def _change_state(conversation, *, state, part_type, acting, now, until=None) -> None:
    previous = conversation.state
    paused = _end_sla_pause(conversation, now) if previous == State.SNOOZED else []
    conversation.state = state
    conversation.snoozed_until = until
    conversation.closed_at = now if state == State.CLOSED else None
    _save(conversation, "state", "snoozed_until", "closed_at", *paused)
    payload = {"state": state, "previous": previous}
    details = {}
    if until is not None:
        payload["until"] = details["until"] = until.isoformat()
    _record(
        conversation,
        acting=acting,
        part_type=part_type,
        event_type=EventType.STATE_CHANGED,
        now=now,
        details=details,
        payload=payload,
    )


def conversation_close(*, conversation: Conversation | int, acting: Actor) -> Conversation:
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        if conversation.state != State.CLOSED:
            was_open = conversation.state == State.OPEN
            _change_state(
                conversation, state=State.CLOSED, part_type=PartType.CLOSED, acting=acting, now=now
            )
            if was_open:
                _release_room(conversation, conversation.assignee_id)
    return conversation


def conversation_reopen(*, conversation: Conversation | int, acting: Actor) -> Conversation:
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        if conversation.state != State.OPEN:
            _change_state(
                conversation, state=State.OPEN, part_type=PartType.REOPENED, acting=acting, now=now
            )
    return conversation


def conversation_snooze(
    *, conversation: Conversation | int, until: datetime, acting: Actor
) -> Conversation:
    """Snooze until a future time. The workflows orchestrator sets the timer when it
    processes the snooze's event (`until` in its payload); firing it calls
    `conversation_wake_if_due`."""
    now = timezone.now()
    problem = validation.moment_problem(until)
    if problem:
        raise ValidationError({"snoozed_until": problem})
    if until <= now:
        raise ValidationError({"snoozed_until": validation.SNOOZE_IN_PAST})
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        if conversation.state == State.SNOOZED and conversation.snoozed_until == until:
            return conversation
        was_open = conversation.state == State.OPEN
        _change_state(
            conversation,
            state=State.SNOOZED,
            part_type=PartType.SNOOZED,
            acting=acting,
            now=now,
            until=until,
        )
        if was_open:
            _release_room(conversation, conversation.assignee_id)
    return conversation


def conversation_wake_if_due(
    *, conversation: Conversation | int, now: datetime | None = None
) -> bool:
    """Reopen a snoozed conversation whose time has come; False when there is nothing to do
    (not due yet: the snooze was moved later; or no longer snoozed).

    What a snooze timer does when it fires. Safe to call any number of times: only the
    first call after the due time acts.
    """
    now = now or timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        due = conversation.snoozed_until
        if conversation.state != State.SNOOZED or due is None or due > now:
            return False
        conversation.state = State.OPEN
        conversation.snoozed_until = None
        paused = _end_sla_pause(conversation, now)
        _save(conversation, "state", "snoozed_until", *paused)
        _record(
            conversation,
            acting=Actor.system(),
            part_type=PartType.UNSNOOZED,
            event_type=EventType.UNSNOOZED,
            now=now,
            payload={"snoozed_until": due.isoformat()},
        )
    return True


def conversation_set_bot_inbox(
    *, conversation: Conversation | int, in_bot_inbox: bool, acting: Actor
) -> Conversation:
    """Move the conversation into the bot inbox (a customer-facing workflow handles it) or out."""
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        if conversation.in_bot_inbox == in_bot_inbox:
            return conversation
        conversation.in_bot_inbox = in_bot_inbox
        _save(conversation, "in_bot_inbox")
        _record(
            conversation,
            acting=acting,
            part_type=PartType.BOT_INBOX,
            event_type=EventType.BOT_INBOX_CHANGED,
            now=now,
            details={"in_bot_inbox": in_bot_inbox},
            payload={"in_bot_inbox": in_bot_inbox},
        )
    return conversation


def _end_sla_pause(conversation, now) -> list[str]:
    """A snooze ends: SLA time spent snoozed does not count (DESIGN.md §7)."""
    if conversation.sla_policy_id is None:
        return []
    snoozed = conversation_snoozed_at(conversation)
    if snoozed is None:
        return []
    return sla.shift_for_pause(conversation, conversation.sla_policy, snoozed, now)


def conversation_snoozed_at(conversation: Conversation) -> datetime | None:
    """When the latest snooze began: the SLA clocks are paused from then (one query)."""
    conversation_flush_writes(conversation)  # it reads the events
    return (
        Event.objects.filter(
            conversation=conversation,
            event_type=EventType.STATE_CHANGED,
            payload__state=State.SNOOZED,
        )
        .order_by("-id")
        .values_list("created_at", flat=True)
        .first()
    )


# --- tags, priority, SLA, data -----------------------------------------------------------


# Tag ids by lower-cased name, per process: adding a known tag needs no `SELECT tag`. An
# entry can go stale (the tag renamed or deleted, or created in a transaction that rolled
# back): the link INSERT re-checks id and name in the same statement and, when it inserts
# nothing, the tag is looked up again (in a batch, after the flush: WriteBatch.links).
# Cleared when it grows past this many names.
TAG_ID_CACHE_SIZE = 10_000
_tag_ids: dict[str, tuple[int, str]] = {}


def tag_id_cache_clear() -> None:
    _tag_ids.clear()


def _remember_tag(tag: Tag) -> Tag:
    if len(_tag_ids) >= TAG_ID_CACHE_SIZE:
        _tag_ids.clear()
    _tag_ids[tag.name.lower()] = (tag.pk, tag.name)
    return tag


def _tag_named(text: str) -> Tag | None:
    # Lower(name) is what the unique index holds: this lookup uses it.
    return Tag.objects.alias(lower_name=Lower("name")).filter(lower_name=text.lower()).first()


def tag_get_or_create(name: str) -> Tag:
    """The tag with this name, ignoring case; created when new."""
    text = validation.clean_tag_name(name)
    tag = _tag_named(text)
    if tag is not None:
        return _remember_tag(tag)
    try:
        with transaction.atomic():
            return _remember_tag(Tag.objects.create(name=text))
    except IntegrityError:
        # Another transaction created it between our read and our insert.
        return _remember_tag(_tag_named(text))


def conversation_tags(conversation: Conversation) -> dict[str, tuple[int, str]]:
    """The locked conversation's tags, {lower-cased name: (id, name)}: read once per
    transaction, then kept up to date by the tag services.

    Kept on the instance, which is valid only while its row lock is held: dropped when
    the transaction commits. Every link is written under the conversation's lock (by the
    services below), so nothing else changes the set meanwhile; a tag deleted meanwhile
    reads as still there until the commit, as if the deletion came after.
    """
    tags = conversation.__dict__.get("_tags_by_name")
    if tags is None:
        tags = conversation_tags_known(
            conversation,
            {
                name.lower(): (tag_id, name)
                for tag_id, name in Tag.objects.filter(conversations=conversation.pk)
                .order_by()
                .values_list("id", "name")
            },
        )
    return tags


def conversation_tags_known(
    conversation: Conversation, tags: dict[str, tuple[int, str]]
) -> dict[str, tuple[int, str]]:
    """Keep the locked conversation's tags, read by the caller under its lock in this
    transaction (as `conversation_tags` returns them), so that `conversation_tags` reads
    none; tags already kept are kept (the services keep them up to date)."""
    known = conversation.__dict__.get("_tags_by_name")
    if known is not None:
        return known
    conversation._tags_by_name = tags
    transaction.on_commit(lambda: conversation.__dict__.pop("_tags_by_name", None))
    return tags


def _link_tag(conversation: Conversation, tag_id: int, name: str) -> bool:
    """Link the tag if it still exists under this name; False when it does not (stale)."""
    connection = transaction.get_connection()
    # Plain SQL: the ORM has no INSERT … SELECT. Table names come from the models.
    links = connection.ops.quote_name(Conversation.tags.through._meta.db_table)
    tags = connection.ops.quote_name(Tag._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {links} (conversation_id, tag_id) "
            f"SELECT %s, id FROM {tags} WHERE id = %s AND LOWER(name) = %s",
            [conversation.pk, tag_id, name.lower()],
        )
        return cursor.rowcount == 1


def _links_in_flush() -> bool:
    # The batch's one flush statement (PostgreSQL) inserts queued links; elsewhere each
    # link is inserted at once.
    return transaction.get_connection().vendor == "postgresql"


def _forget_prefetched_tags(conversation: Conversation) -> None:
    # What `conversation.tags.add()/remove()` do: a prefetched list is no longer true.
    getattr(conversation, "_prefetched_objects_cache", {}).pop("tags", None)


def conversation_add_tag(
    *, conversation: Conversation | int, name: str, acting: Actor
) -> Conversation:
    """Tag the conversation (the tag created when new). A tag it already has costs no
    query once its tags were read in this transaction; a known tag costs no `SELECT tag`."""
    text = validation.clean_tag_name(name)
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        tags = conversation_tags(conversation)
        key = text.lower()
        if key in tags:
            return conversation
        cached = _tag_ids.get(key)
        batch = _batch_of(conversation)
        if cached is not None and batch is not None and _links_in_flush():
            # Inserted with the round's other writes; the name as asked for, so a tag that
            # is gone by then is made again as this step spells it (_relink_stale_tags).
            batch.links.append((cached[0], text))
        elif cached is None or not _link_tag(conversation, *cached):
            _tag_ids.pop(key, None)
            tag = tag_get_or_create(text)
            if tag.name.lower() in tags:
                return conversation  # a different lower-casing, the same tag
            if not _link_tag(conversation, tag.pk, tag.name):
                # Deleted between our read and our insert: make it again.
                tag = tag_get_or_create(text)
                Conversation.tags.through.objects.create(
                    conversation_id=conversation.pk, tag_id=tag.pk
                )
            cached = (tag.pk, tag.name)
        tag_id, tag_name = cached
        tags[key] = tags[tag_name.lower()] = cached
        _forget_prefetched_tags(conversation)
        _save(conversation)
        _record(
            conversation,
            acting=acting,
            part_type=PartType.TAG_ADDED,
            event_type=EventType.TAG_ADDED,
            now=now,
            details={"tag": tag_name},
            payload={"tag": tag_name, "tag_id": tag_id},
        )
    return conversation


def conversation_remove_tag(
    *, conversation: Conversation | int, name: str, acting: Actor
) -> Conversation:
    """Untag the conversation; a tag it does not have costs no query once its tags were
    read in this transaction."""
    text = validation.clean_tag_name(name)
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        tags = conversation_tags(conversation)
        found = tags.pop(text.lower(), None)
        if found is None:
            return conversation
        tag_id, tag_name = found
        batch = _batch_of(conversation)
        if batch is not None and batch.links:
            batch.flush()  # a link queued in this round is written before it is removed
        Conversation.tags.through.objects.filter(
            conversation_id=conversation.pk, tag_id=tag_id
        ).delete()
        _forget_prefetched_tags(conversation)
        _save(conversation)
        _record(
            conversation,
            acting=acting,
            part_type=PartType.TAG_REMOVED,
            event_type=EventType.TAG_REMOVED,
            now=now,
            details={"tag": tag_name},
            payload={"tag": tag_name, "tag_id": tag_id},
        )
    return conversation


def conversation_set_priority(
    *, conversation: Conversation | int, priority: bool, acting: Actor
) -> Conversation:
    if not isinstance(priority, bool):
        raise ValidationError({"priority": "Priority is true or false."})
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        if conversation.priority == priority:
            return conversation
        conversation.priority = priority
        _save(conversation, "priority")
        _record(
            conversation,
            acting=acting,
            part_type=PartType.PRIORITY,
            event_type=EventType.PRIORITY_CHANGED,
            now=now,
            details={"priority": priority},
            payload={"priority": priority},
        )
    return conversation


def conversation_apply_sla(
    *, conversation: Conversation | int, policy: SlaPolicy, acting: Actor
) -> Conversation:
    """Apply an SLA policy and set its due times (in office hours if the policy says so).

    The orchestrator watches the due times and records a miss (`conversation_record_sla_miss`).
    """
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        if conversation.sla_policy_id == policy.pk:
            return conversation
        conversation.sla_policy = policy
        conversation.sla_applied_at = now
        waiting_since = conversation.waiting_since
        replied = conversation.first_teammate_reply_at is not None
        conversation.first_reply_due_at = (
            sla.due(policy, "first_reply", waiting_since or now) if not replied else None
        )
        conversation.next_reply_due_at = (
            sla.due(policy, "next_reply", waiting_since) if replied and waiting_since else None
        )
        conversation.close_due_at = (
            sla.due(policy, "time_to_close", now) if conversation.state != State.CLOSED else None
        )
        _save(
            conversation,
            "sla_policy",
            "sla_applied_at",
            "first_reply_due_at",
            "next_reply_due_at",
            "close_due_at",
        )
        _record(
            conversation,
            acting=acting,
            part_type=PartType.SLA_APPLIED,
            event_type=EventType.SLA_APPLIED,
            now=now,
            details={"sla": policy.name},
            payload={"sla": policy.name, "sla_id": policy.pk},
        )
    return conversation


def conversation_set_data(
    *, conversation: Conversation | int, key: str, value, acting: Actor
) -> Conversation:
    """Set one conversation data attribute (custom attribute) to a plain value."""
    key = validation.clean_data_key(key)
    value = validation.clean_data_value(value)
    # Checked before the block (an error inside it would doom the caller's transaction),
    # on the instance the caller holds: a race may add a key or two beyond the bound.
    current = (
        conversation.custom_attributes
        if isinstance(conversation, Conversation)
        else Conversation.objects.values_list("custom_attributes", flat=True).get(pk=conversation)
    )
    validation.check_room_for_attribute(current, key, field="key")
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        if key in conversation.custom_attributes and conversation.custom_attributes[key] == value:
            return conversation
        conversation.custom_attributes = {**conversation.custom_attributes, key: value}
        _save(conversation, "custom_attributes")
        _record(
            conversation,
            acting=acting,
            part_type=PartType.DATA_SET,
            event_type=EventType.DATA_SET,
            now=now,
            details={"key": key, "value": value},
            payload={"key": key, "value": value},
        )
    return conversation


def conversation_record_custom_event(
    *, conversation: Conversation | int, name: str, metadata: dict | None, acting: Actor
) -> Part:
    """Record a custom event an integration posts ("order_refunded", {"amount": 30}): a
    timeline part and the outbox event that workflows with a custom-event trigger read."""
    name, metadata = validation.clean_custom_event(name, metadata)
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        _save(conversation)
        return _record(
            conversation,
            acting=acting,
            part_type=PartType.CUSTOM_EVENT,
            event_type=EventType.CUSTOM_EVENT,
            now=now,
            details={"name": name, "metadata": metadata},
            payload={"name": name, "metadata": metadata},
        )


def conversation_update_contact(
    *, conversation: Conversation | int, attribute: str, value, acting: Actor
) -> Conversation:
    """Store an answer the customer gave on the conversation's contact.

    `attribute` is email, name, plan or custom.<key> (what a collect-data step asks).
    """
    field, key = validation.clean_contact_attribute(attribute)
    value = validation.clean_contact_value(field, value)
    if field == "custom":
        pk = conversation.pk if isinstance(conversation, Conversation) else conversation
        current = Contact.objects.values_list("custom_attributes", flat=True).get(conversations=pk)
        validation.check_room_for_attribute(current, key, field="attribute")
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        contact = conversation.contact
        if field == "custom":
            contact.custom_attributes = {**contact.custom_attributes, key: value}
            contact.save(update_fields=["custom_attributes"])
        else:
            setattr(contact, field, value)
            contact.save(update_fields=[field])
        _save(conversation)
        _record(
            conversation,
            acting=acting,
            part_type=PartType.CONTACT_UPDATED,
            event_type=EventType.CONTACT_UPDATED,
            now=now,
            details={"attribute": attribute, "value": value},
            payload={"attribute": attribute, "value": value},
        )
    return conversation


def contact_create(
    *,
    name: str = "",
    email: str = "",
    role: str = Contact.Role.USER,
    plan: str = "",
    monthly_spend=None,
    company_name: str | None = None,
    custom_attributes: dict | None = None,
    external_id: str = "",
) -> Contact:
    """A new contact (user or lead), with its company found or created by name."""
    custom_attributes = validation.clean_custom_attributes(custom_attributes or {})
    with transaction.atomic():
        company = None
        if company_name:
            company, _ = Company.objects.get_or_create(name=company_name.strip())
        return Contact.objects.create(
            name=name,
            email=email,
            role=role,
            plan=plan,
            monthly_spend=monthly_spend,
            company=company,
            custom_attributes=custom_attributes or {},
            external_id=external_id,
        )


def contact_messenger_token_rotate(*, contact: Contact | int) -> Contact:
    """Give the contact a new messenger token; the old one stops working at once (the API
    looks tokens up, and Messenger sessions remember which token opened them)."""
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(
            pk=contact.pk if isinstance(contact, Contact) else contact
        )
        contact.messenger_token = new_messenger_token()
        contact.save(update_fields=["messenger_token"])
    return contact


def conversation_record_sla_miss(*, conversation: Conversation | int, target: str) -> bool:
    """Record that an SLA target passed its due time unmet: a part and an `sla_missed`
    event (which fires the sla_missed trigger). False when there is no miss (any more)."""
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        if target not in sla.DUE_FIELDS or conversation.sla_policy_id is None:
            return False
        due_at = getattr(conversation, sla.DUE_FIELDS[target])
        if sla.is_met(conversation, target) or due_at is None or due_at > now:
            return False
        _record(
            conversation,
            acting=Actor.system(),
            part_type=PartType.SLA_MISSED,
            event_type=EventType.SLA_MISSED,
            now=now,
            details={
                "target": target,
                "sla": conversation.sla_policy.name,
                "due_at": due_at.isoformat(),
            },
            payload={"target": target, "due_at": due_at.isoformat()},
        )
    return True


def conversation_record_unresponsive(
    *, conversation: Conversation | int, side: str, after: str, since: datetime
) -> bool:
    """Record a silence: the customer (or the teammates) wrote nothing for `after` since
    `since`. An event the unresponsive triggers fire on; False if the silence was broken."""
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        conversation = _locked(conversation)
        if conversation.state == State.CLOSED:
            return False
        if side == "customer":
            last = conversation.last_customer_message_at
            event_type = EventType.CUSTOMER_UNRESPONSIVE
        else:
            last = conversation.last_teammate_reply_at
            event_type = EventType.TEAMMATE_UNRESPONSIVE
        if last is not None and last > since:
            return False
        _record(
            conversation,
            acting=Actor.system(),
            part_type=PartType.UNRESPONSIVE,
            event_type=event_type,
            now=now,
            details={"side": side, "after": after},
            payload={"after": after, "since": since.isoformat()},
        )
    return True
