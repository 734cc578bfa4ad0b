"""Reads for the inbox: which conversations an inbox shows, its counts, one page of it,
and a conversation's timeline with the workflow activity in words."""

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Count, OuterRef, Q, Subquery

from conversations import validation
from conversations.models import ActorType, Contact, Conversation, Part, PartType, Tag, Team
from conversations.sla import open_targets
from conversations.timeline import author_words, describe_part
from workflows import log_words, macros
from workflows.models import WorkflowLog
from workflows.vocabulary import SLA_TARGET_WORDS

PAGE_SIZE = 25
MESSAGE_PARTS = [
    PartType.CUSTOMER_MESSAGE,
    PartType.TEAMMATE_REPLY,
    PartType.BOT_MESSAGE,
    PartType.NOTE,
]
VIEWS = ("mine", "unassigned", "bot", "all")
UNASSIGNED = Q(assignee__isnull=True, team__isnull=True, in_bot_inbox=False)


def inbox_queryset(user, view: str, state: str):
    conversations = Conversation.objects.filter(state=state)
    if view == "mine":
        return conversations.filter(assignee=user)
    if view == "unassigned":
        return conversations.filter(UNASSIGNED)
    if view == "bot":
        return conversations.filter(in_bot_inbox=True)
    if view.startswith("team-"):
        return conversations.filter(team_id=int(view[len("team-") :]))
    return conversations


# Counts stop at this many rows ("99+"): a poll reads at most COUNT_CAP index entries per
# inbox instead of aggregating every open conversation.
COUNT_CAP = 100


class CappedCount(int):
    """A count read with LIMIT COUNT_CAP: exact below the cap, "99+" at it."""

    @property
    def label(self) -> str:
        return f"{COUNT_CAP - 1}+" if self >= COUNT_CAP else str(int(self))


def capped_counts(querysets: dict) -> dict:
    """Each queryset's row count up to COUNT_CAP, all in one query."""
    selects, params = [], []
    for queryset in querysets.values():
        sql, sql_params = queryset.order_by().values("pk")[:COUNT_CAP].query.sql_with_params()
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) AS capped)")
        params.extend(sql_params)
    if not selects:
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects), params)
        row = cursor.fetchone()
    return {key: CappedCount(value) for key, value in zip(querysets, row, strict=True)}


def inbox_counts(user, state: str) -> dict:
    """Counts of every inbox for one state, capped: two queries whatever the number of teams."""
    teams = list(Team.objects.order_by("name"))
    inboxes = {view: inbox_queryset(user, view, state) for view in VIEWS}
    inboxes.update({team.pk: inbox_queryset(user, f"team-{team.pk}", state) for team in teams})
    found = capped_counts(inboxes)
    counts = {view: found[view] for view in VIEWS}
    counts["teams"] = [(team, found[team.pk]) for team in teams]
    return counts


# A search term found in more messages than this is common: the list checks each
# conversation it walks (in the sort's index order) instead of collecting every match.
SEARCH_COMMON = 500


def search(conversations, text: str):
    """Conversations whose contact's name or email, or one of whose messages, holds `text`.

    The trigram indexes of migration 0008 find the contacts and the messages. A rare
    term's matches (fewer than SEARCH_COMMON) are collected first and the list reads just
    those conversations; a common term is checked per conversation while the list walks
    its sort index, which meets a page of matches after a few rows instead of collecting
    tens of thousands.
    """
    text = text.strip()
    if not text:
        return conversations
    contacts = Contact.objects.filter(Q(name__icontains=text) | Q(email__icontains=text))
    contact_ids = list(contacts.order_by().values_list("pk", flat=True)[:SEARCH_COMMON])
    if len(contact_ids) < SEARCH_COMMON:
        by_contact = Q(contact_id__in=contact_ids)
    else:
        by_contact = Q(contact__in=contacts.values("pk"))
    parts = Part.objects.filter(part_type__in=MESSAGE_PARTS, body__icontains=text).order_by()
    if estimated_rows(parts) < SEARCH_COMMON:
        found = list(parts.values_list("conversation_id", flat=True)[:SEARCH_COMMON])
        if len(found) < SEARCH_COMMON:
            return conversations.filter(by_contact | Q(pk__in=set(found)))
    # A scalar subquery per row: PostgreSQL cannot turn it into a hash of every match.
    first_match = parts.filter(conversation=OuterRef("pk")).values("pk")[:1]
    return conversations.annotate(message_match=Subquery(first_match)).filter(
        by_contact | Q(message_match__isnull=False)
    )


def estimated_rows(queryset) -> int:
    """PostgreSQL's estimate of a query's rows (its planner statistics, nothing read);
    0 (unknown) elsewhere."""
    if connection.vendor != "postgresql":
        return 0
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def encode_cursor(moment: datetime | None, pk: int) -> str:
    stamp = moment.isoformat() if moment else "none"
    return base64.urlsafe_b64encode(f"{stamp}|{pk}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime | None, int] | None:
    try:
        moment, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return (None if moment == "none" else datetime.fromisoformat(moment)), int(pk)
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass
class Page:
    conversations: list
    next_cursor: str | None


# The columns a list row shows (inbox/list_rows.py), and nothing else: no custom
# attributes or other JSON to decode for 26 rows and their contacts.
LIST_ROW_FIELDS = (
    "state",
    "priority",
    "in_bot_inbox",
    "waiting_since",
    "updated_at",
    "sla_policy_id",
    "first_reply_due_at",
    "next_reply_due_at",
    "close_due_at",
    "first_teammate_reply_at",
    "contact__name",
    "contact__email",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
    "team__name",
    "processing_failure__failures",
    "processing_failure__error",
)


def inbox_page(conversations, sort: str, after: str | None, size: int = PAGE_SIZE) -> Page:
    """One page, keyset-paginated: the cost does not grow with how far one pages.

    Each sort is the order of an index (Conversation.Meta.indexes), so the database walks
    the index and stops after `size + 1` rows instead of sorting every open conversation.
    """
    last_message = (
        Part.objects.filter(conversation=OuterRef("pk"), part_type__in=MESSAGE_PARTS)
        .order_by("-created_at", "-id")
        .values("body")[:1]
    )
    rows = (
        conversations.select_related("contact", "assignee", "team", "processing_failure")
        .only(*LIST_ROW_FIELDS)
        .annotate(last_message=Subquery(last_message))
    )
    if connection.vendor == "postgresql":
        # The rows' tag names in the rows' own query: one round trip fewer than a prefetch.
        tag_names = Tag.objects.filter(conversations=OuterRef("pk")).order_by("name").values("name")
        rows = rows.annotate(tag_names=ArraySubquery(tag_names))
    else:
        rows = rows.prefetch_related("tags")
    position = decode_cursor(after) if after else None
    if sort == "waiting":
        found = _waiting_longest(rows, position, size + 1)
        key = "waiting_since"
    else:
        rows = rows.order_by("-updated_at", "-id")
        if position and position[0] is not None:
            moment, pk = position
            rows = rows.filter(updated_at__lte=moment).exclude(updated_at=moment, id__gte=pk)
        found = list(rows[: size + 1])
        key = "updated_at"
    next_cursor = None
    if len(found) > size:
        found = found[:size]
        next_cursor = encode_cursor(getattr(found[-1], key), found[-1].pk)
    return Page(found, next_cursor)


def _waiting_longest(rows, position, limit: int) -> list:
    """Waiting longest first, then the conversations nobody waits on (by id).

    Two ranges of one index, (state, waiting_since, id): the waiting rows from the cursor
    on, then, once they run out, the rows without waiting_since.
    """
    moment, pk = position or (None, 0)
    found = []
    if position is None or moment is not None:  # not yet past the waiting rows
        waiting = rows.filter(waiting_since__isnull=False).order_by("waiting_since", "id")
        if position:
            waiting = waiting.filter(waiting_since__gte=moment).exclude(
                waiting_since=moment, id__lte=pk
            )
        found = list(waiting[:limit])
        pk = 0
    if len(found) < limit:
        idle = rows.filter(waiting_since__isnull=True).order_by("id").filter(id__gt=pk)
        found += list(idle[: limit - len(found)])
    return found


@dataclass
class TimelineItem:
    kind: str  # customer, teammate, note, bot, activity, run, skips, workflow
    when: datetime
    text: str
    author: str = ""
    buttons: tuple = ()
    # A run or a group of skips: what it says folded (`summary`, after the `author`'s
    # name for a run) and, expanded, each record or reason in order (`steps`).
    summary: str = ""
    steps: tuple = ()
    changed: bool = True
    key: str = ""  # the same on every poll: the page keeps an expanded line open


def timeline(conversation) -> list[TimelineItem]:
    """Messages, notes, changes and what workflows did, oldest first: one line per run's
    go (its start or resume to its end or wait), one per event's workflows that did not
    start. A workflow's own changes are said on its run's line, not again as parts."""
    items = []
    for part in conversation.parts.order_by("created_at", "id"):
        kind = {
            PartType.CUSTOMER_MESSAGE: "customer",
            PartType.TEAMMATE_REPLY: "teammate",
            PartType.NOTE: "note",
            PartType.BOT_MESSAGE: "bot",
        }.get(part.part_type, "activity")
        if kind == "activity" and part.author_type == ActorType.WORKFLOW:
            continue
        text = part.body if kind != "activity" else describe_part(part)
        buttons = tuple((part.details or {}).get("buttons", ())) if kind == "bot" else ()
        items.append(TimelineItem(kind, part.created_at, text, author_words(part), buttons))
    logs = WorkflowLog.objects.filter(conversation=conversation).select_related("workflow")
    items += workflow_items(list(logs.order_by("id")))
    items.sort(key=lambda item: item.when)  # stable: a run's line stays after its message
    return items


def workflow_items(logs: list) -> list[TimelineItem]:
    """The timeline lines of a conversation's workflow logs (in id order)."""
    goes: dict = {}  # run id -> its current go: [event id, logs]
    lines: list[tuple[str, list]] = []  # ("run" | "skips" | "workflow", logs), in order
    skips_of_event: dict = {}
    for log in logs:
        if log.run_id is not None:
            go = goes.get(log.run_id)
            if go is None or log.kind in RUN_OPENERS or log.event_id != go[0]:
                go = goes[log.run_id] = [log.event_id, []]
                lines.append(("run", go[1]))
            go[1].append(log)
        elif log.kind in SKIP_KINDS:
            group = skips_of_event.get(log.event_id) if log.event_id is not None else None
            if group is None:
                group = skips_of_event[log.event_id] = []
                lines.append(("skips", group))
            group.append(log)
        else:
            lines.append(("workflow", [log]))
    return [line_item(kind, group) for kind, group in lines]


# A record that opens a new go of its run (after a wait, or when a new run starts).
RUN_OPENERS = (WorkflowLog.Kind.STARTED, WorkflowLog.Kind.RESUMED)
SKIP_KINDS = (WorkflowLog.Kind.SKIPPED, WorkflowLog.Kind.NOT_MATCHED)


def line_item(kind: str, logs: list) -> TimelineItem:
    first = logs[0]
    if kind == "run":
        name = first.workflow.name if first.workflow else None
        line = log_words.run_line(name, [(log.kind, log.details, log.message) for log in logs])
        return TimelineItem(
            "run",
            first.created_at,
            line.text,
            author=line.name,
            summary=line.summary,
            steps=tuple(line.steps),
            changed=line.changed,
            key=f"run-{first.run_id}-{first.pk}",
        )
    if kind == "skips":
        entries, names, count = [], [], 0
        for log in logs:
            details = log.details if isinstance(log.details, dict) else {}
            if log.kind == WorkflowLog.Kind.NOT_MATCHED and "workflows" in details:
                listed = [e for e in details["workflows"] if isinstance(e, dict)]
                total = details.get("count", len(listed))
                count += total
                for entry in listed:
                    names.append(entry.get("name", ""))
                    entries.append(log_words.skip_entry_words(entry.get("name", ""), entry))
                if total > len(listed):
                    entries.append(log_words.not_listed_words(total - len(listed)))
            elif log.kind == WorkflowLog.Kind.SKIPPED and "rule" in details and log.workflow:
                count += 1
                names.append(log.workflow.name)
                entries.append(log_words.skip_entry_words(log.workflow.name, details))
            else:  # saved before records: its sentence as the timeline said it then
                count += 1
                entries.append(workflow_words(log))
        summary = log_words.skipped_line(count, names)
        return TimelineItem(
            "skips",
            first.created_at,
            summary,
            summary=summary,
            steps=tuple(entries),
            changed=False,
            key=f"skips-{first.pk}",
        )
    return TimelineItem("workflow", first.created_at, workflow_words(first), changed=False)


def workflow_words(log: WorkflowLog) -> str:
    """A workflow decision as a sentence: 'Workflow "B" did not start: "A" was active'.

    Said from the log's record (kind and details) by workflows/log_words.py; a log with
    no record (a step's own words) shows its message as written.
    """
    return log_words.timeline_words(
        log.kind, log.details, log.workflow.name if log.workflow else None, log.message
    )


def sla_badge(conversation, now: datetime) -> dict | None:
    """The nearest SLA target: time left, or missed."""
    if conversation.sla_policy_id is None:
        return None
    if not open_targets(conversation):
        return {"label": f"SLA {conversation.sla_policy.name}: met", "missed": False}
    return running_sla_badge(conversation, now)


def running_sla_badge(conversation, now: datetime) -> dict | None:
    """The nearest SLA target still running, for a list row; None when none runs."""
    targets = open_targets(conversation)  # soonest first
    if not targets:
        return None
    target, due = targets[0]
    label = SLA_TARGET_WORDS[target]
    minutes = int(abs((due - now).total_seconds()) // 60)
    span = f"{minutes // 60}h {minutes % 60}m" if minutes >= 60 else f"{minutes}m"
    if due < now:
        return {"label": f"{label} missed {span} ago", "missed": True}
    return {"label": f"{label} due in {span}", "missed": False}


# --- the workload (admins): who has how much, what waits -----------------------------------


@dataclass(frozen=True)
class MemberWorkload:
    teammate: object
    open_count: int
    capacity: int | None
    away: bool

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.open_count >= self.capacity


@dataclass(frozen=True)
class TeamWorkload:
    team: Team
    waiting: int  # in the team's queue
    members: list


def team_workloads() -> list[TeamWorkload]:
    """Per team: its queue and, per active member, their open conversations (in every
    team: capacity counts them all), capacity and away (three queries)."""
    teams = list(Team.objects.prefetch_related("members").order_by("name"))
    open_counts = dict(
        Conversation.objects.filter(state=Conversation.State.OPEN, assignee__isnull=False)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    waiting = dict(
        Conversation.objects.filter(assignment_queued=True, state=Conversation.State.OPEN)
        .order_by()
        .values("team_id")
        .annotate(n=Count("id"))
        .values_list("team_id", "n")
    )
    return [
        TeamWorkload(
            team=team,
            waiting=waiting.get(team.pk, 0),
            members=[
                MemberWorkload(
                    teammate=member,
                    open_count=open_counts.get(member.pk, 0),
                    capacity=member.capacity,
                    away=member.is_away,
                )
                for member in sorted(team.members.all(), key=lambda m: m.username)
                if member.is_active
            ],
        )
        for team in teams
    ]


def macro_preview(teammate, chosen: str, conversation) -> dict | None:
    """The macro the conversation page previews (?macro=id): its steps in words, in
    order, and the whole reply it sends to this conversation's customer (placeholders
    filled in); None when the teammate may not run it."""
    if not validation.is_digits(chosen) or len(chosen) > 18:
        return None
    macro = macros.visible_macros(teammate).filter(pk=int(chosen)).first()
    if macro is None:
        return None
    return {
        "macro": macro,
        "words": macros.preview(macro.steps),
        "reply": macros.reply_text(macro.steps, conversation),
    }
