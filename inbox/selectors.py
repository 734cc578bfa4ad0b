"""Reads for the inbox: which conversations an inbox shows, its counts, one page of it,
and a conversation's timeline with the workflow activity in words."""

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from conversations.models import ActorType, Conversation, Part, PartType, Team
from conversations.sla import open_targets
from conversations.timeline import describe_part
from workflows import log_words
from workflows.models import WorkflowLog
from workflows.vocabulary import SLA_TARGET_WORDS

PAGE_SIZE = 25
MESSAGE_PARTS = [
    PartType.CUSTOMER_MESSAGE,
    PartType.TEAMMATE_REPLY,
    PartType.BOT_MESSAGE,
    PartType.NOTE,
]
# "Waiting longest" puts conversations nobody waits on last.
NOT_WAITING = datetime(9999, 1, 1, tzinfo=UTC)


def inbox_queryset(user, view: str, state: str):
    conversations = Conversation.objects.filter(state=state)
    if view == "mine":
        return conversations.filter(assignee=user)
    if view == "unassigned":
        return conversations.filter(assignee__isnull=True, team__isnull=True, in_bot_inbox=False)
    if view == "bot":
        return conversations.filter(in_bot_inbox=True)
    if view.startswith("team-"):
        return conversations.filter(team_id=int(view[len("team-") :]))
    return conversations


def inbox_counts(user, state: str) -> dict:
    """Counts of every inbox for one state: two queries whatever the number of teams."""
    counts = Conversation.objects.filter(state=state).aggregate(
        all=Count("pk"),
        mine=Count("pk", filter=Q(assignee=user)),
        unassigned=Count(
            "pk", filter=Q(assignee__isnull=True, team__isnull=True, in_bot_inbox=False)
        ),
        bot=Count("pk", filter=Q(in_bot_inbox=True)),
    )
    per_team = dict(
        Conversation.objects.filter(state=state, team__isnull=False)
        .values_list("team")
        .annotate(count=Count("pk"))
        .values_list("team", "count")
    )
    counts["teams"] = [(team, per_team.get(team.pk, 0)) for team in Team.objects.order_by("name")]
    return counts


def search(conversations, text: str):
    text = text.strip()
    if not text:
        return conversations
    in_messages = Part.objects.filter(
        conversation=OuterRef("pk"), part_type__in=MESSAGE_PARTS, body__icontains=text
    )
    return conversations.filter(
        Q(contact__name__icontains=text) | Q(contact__email__icontains=text) | Exists(in_messages)
    )


def encode_cursor(moment: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{pk}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        moment, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(moment), int(pk)
    except (ValueError, UnicodeDecodeError):
        return None


@dataclass
class Page:
    conversations: list
    next_cursor: str | None


def inbox_page(conversations, sort: str, after: str | None, size: int = PAGE_SIZE) -> Page:
    """One page, keyset-paginated: the cost does not grow with how far one pages."""
    last_message = (
        Part.objects.filter(conversation=OuterRef("pk"), part_type__in=MESSAGE_PARTS)
        .order_by("-created_at", "-id")
        .values("body")[:1]
    )
    rows = conversations.select_related(
        "contact", "assignee", "team", "processing_failure"
    ).annotate(
        last_message=Subquery(last_message),
        sort_key=Coalesce("waiting_since", Value(NOT_WAITING))
        if sort == "waiting"
        else Coalesce("updated_at", "created_at"),
    )
    position = decode_cursor(after) if after else None
    if sort == "waiting":
        rows = rows.order_by("sort_key", "id")
        if position:
            rows = rows.filter(
                Q(sort_key__gt=position[0]) | Q(sort_key=position[0], id__gt=position[1])
            )
    else:
        rows = rows.order_by("-sort_key", "-id")
        if position:
            rows = rows.filter(
                Q(sort_key__lt=position[0]) | Q(sort_key=position[0], id__lt=position[1])
            )
    found = list(rows.prefetch_related("tags")[: size + 1])
    next_cursor = None
    if len(found) > size:
        found = found[:size]
        next_cursor = encode_cursor(found[-1].sort_key, found[-1].pk)
    return Page(found, next_cursor)


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
        items.append(TimelineItem(kind, part.created_at, text, part.author_name, buttons))
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
    targets = open_targets(conversation)  # soonest first
    if not targets:
        return {"label": f"SLA {conversation.sla_policy.name}: met", "missed": False}
    target, due = targets[0]
    label = SLA_TARGET_WORDS[target]
    minutes = int(abs((due - now).total_seconds()) // 60)
    span = f"{minutes // 60}h {minutes % 60}m" if minutes >= 60 else f"{minutes}m"
    if due < now:
        return {"label": f"{label} missed {span} ago", "missed": True}
    return {"label": f"{label} due in {span}", "missed": False}
