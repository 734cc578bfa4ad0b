"""`make bench`: the orchestrator's speed against the floor (DESIGN.md §9, Speed).

For each count of live workflows (10, 100, 1,000 by default) it:

1. creates the live workflows through `workflow_create`: a handful of background
   workflows that match (trigger `customer_any_message`, targeting `contact.plan is
   "Pro"`: add a tag, set priority, apply rules) and the rest that do not match (half of
   them on the same trigger with `contact.plan is "Enterprise-<i>"`, the others spread
   over the other triggers);
2. opens conversations for Pro contacts and processes their opening events (untimed:
   this also compiles the catalog), then writes customer messages through
   `conversation_customer_message`;
3. processes a sample of conversations under `CaptureQueriesContext` (queries/event),
   then times `process_conversation_events` on the others (events/s, in-process, no
   Celery: every task send is a no-op during the bench);
4. replays on twin conversations, with plain SQL through psycopg, the rows the engine
   wrote (the floor), and prints both rates and their ratio.

Every row it creates is deleted at the end (and leftovers of an interrupted run at the
start). PostgreSQL only.
"""

import contextlib
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from unittest import mock

import psycopg
from celery.app.task import Task
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Max
from django.test.utils import CaptureQueriesContext
from psycopg.types.json import Jsonb

from config.celery import app as celery_app
from conversations import dispatch
from conversations import services as conversation_services
from conversations.models import Contact, Conversation, Event, Part, Tag
from workflows import orchestrator, signals
from workflows.catalog import bump_catalog_version
from workflows.models import DeferredAssignment, Workflow, WorkflowLog, WorkflowRun
from workflows.orchestrator import process_conversation_events
from workflows.services import workflow_create

# Markers of the bench's own rows: found (and deleted) by these, also after a crash.
WORKFLOW_PREFIX = "bench-engine: "
TAG_PREFIX = "bench-engine-"
CONTACT_DOMAIN = "@bench-engine.invalid"

OTHER_TRIGGERS = [
    ("customer_opened_conversation", {}),
    ("customer_first_message", {}),
    ("teammate_changed_state", {"state": "closed"}),
    ("teammate_replied", {}),
    ("teammate_added_note", {}),
    ("conversation_assigned", {}),
    ("customer_unresponsive", {"after": "1h"}),
    ("teammate_unresponsive", {"after": "1h"}),
    ("sla_missed", {}),
]
MESSAGES = [
    "Hello, I need help with my invoice",
    "Can I get a refund for last month?",
    "Thanks, any update on this?",
]


def _rule(attribute, operator, value):
    return {"attribute": attribute, "operator": operator, "value": value}


def matching_document(number: int) -> dict:
    return {
        "name": f"{WORKFLOW_PREFIX}match {number}",
        "status": "live",
        "trigger": "customer_any_message",
        "frequency": "every_time",
        "audience": {"match": "all", "rules": [_rule("contact.plan", "is", "Pro")]},
        "steps": [
            {"type": "add_tag", "tag": f"{TAG_PREFIX}pro-{number}"},
            {"type": "set_priority", "priority": True},
            {
                "type": "apply_rules",
                "rules": [
                    {
                        "when": {
                            "match": "all",
                            "rules": [_rule("message.body", "contains", "refund")],
                        },
                        "steps": [{"type": "add_tag", "tag": f"{TAG_PREFIX}refund"}],
                    },
                    {
                        "when": {"match": "all", "rules": [_rule("contact.plan", "is", "Pro")]},
                        "steps": [{"type": "set_data", "key": f"bench_{number}", "value": "pro"}],
                    },
                ],
            },
        ],
    }


def non_matching_document(number: int) -> dict:
    """Half on customer_any_message (targeting fails), the rest over the other triggers."""
    if number % 2 == 0:
        trigger, options = "customer_any_message", {}
    else:
        trigger, options = OTHER_TRIGGERS[(number // 2) % len(OTHER_TRIGGERS)]
    return {
        "name": f"{WORKFLOW_PREFIX}other {number}",
        "status": "live",
        "trigger": trigger,
        "trigger_options": options,
        "frequency": "every_time" if number % 4 < 2 else "once",
        "audience": {
            "match": "all",
            "rules": [_rule("contact.plan", "is", f"Enterprise-{number}")],
        },
        "steps": [
            {"type": "add_tag", "tag": f"{TAG_PREFIX}never-{number}"},
            {"type": "set_priority", "priority": True},
        ],
    }


@contextlib.contextmanager
def no_broker():
    """Task sends become no-ops: the bench measures the orchestrator, not the broker."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False

    def not_sent(*args, **kwargs):
        return None

    with contextlib.ExitStack() as stack:
        for module in (dispatch, conversation_services, signals, orchestrator):
            stack.enter_context(mock.patch.object(module, "enqueue_on_commit", not_sent))
        # A safety net: whatever else tries to send a task sends nothing.
        stack.enter_context(mock.patch.object(Task, "apply_async", not_sent))
        try:
            yield
        finally:
            celery_app.conf.task_always_eager = eager


def query_kind(sql: str) -> str:
    """SELECT/INSERT/UPDATE/DELETE and the first table it names."""
    text = sql.lstrip()
    verb = text.split(None, 1)[0].upper() if text else "?"
    match = re.search(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', text, re.IGNORECASE)
    kind = f"{verb} {match.group(1)}" if match else verb
    if "FOR UPDATE" in text.upper():
        kind += " FOR UPDATE"
    return kind


def _max_id(model) -> int:
    return model.objects.aggregate(top=Max("id"))["top"] or 0


# --- the floor ---------------------------------------------------------------------------


def _insert_sql(model, fields, returning=False) -> str:
    columns = ", ".join(f'"{model._meta.get_field(name).column}"' for name in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f'INSERT INTO "{model._meta.db_table}" ({columns}) VALUES ({marks})'
    return sql + (' RETURNING "id"' if returning else "")


PART_FIELDS = [
    "conversation",
    "part_type",
    "author_type",
    "author_id",
    "author_name",
    "body",
    "details",
    "created_at",
]
EVENT_FIELDS = [
    "conversation",
    "event_type",
    "actor_type",
    "actor_id",
    "actor_name",
    "depth",
    "payload",
    "created_at",
]
RUN_FIELDS = [
    "workflow",
    "conversation",
    "event",
    "status",
    "is_customer_facing",
    "cursor",
    "waiting_for",
    "wait",
    "resume_at",
    "depth",
    "started_at",
    "ended_at",
    "end_reason",
]
LOG_FIELDS = [
    "conversation",
    "workflow",
    "run",
    "event",
    "kind",
    "message",
    "details",
    "created_at",
]


@dataclass
class FloorPlan:
    """What the engine wrote for one conversation, to write again with plain SQL."""

    # round -> effects written while handling that round: (part, event, tag id or None)
    effects: dict = field(default_factory=lambda: defaultdict(list))
    # event position (None: no event) -> [(run index, run row)]
    runs: dict = field(default_factory=lambda: defaultdict(list))
    logs: list = field(default_factory=list)
    conversation: dict = field(default_factory=dict)


def build_plans(conversation_ids, *, since_event, engine_event, engine_part, run_mark, log_mark):
    """Per conversation: the engine's parts, events, runs and logs, by position."""
    plans = {}
    for conversation_id in conversation_ids:
        plan = FloorPlan()
        events = list(
            Event.objects.filter(conversation_id=conversation_id, id__gt=since_event).order_by("id")
        )
        position = {event.pk: index for index, event in enumerate(events)}
        parts = {
            part.pk: part
            for part in Part.objects.filter(conversation_id=conversation_id, id__gt=engine_part)
        }
        for event in events:
            if event.pk <= engine_event:
                continue  # a customer message: already there, the floor only reads it
            part = parts[event.payload["part_id"]]
            tag_id = event.payload.get("tag_id") if event.event_type == "tag_added" else None
            # Written while handling the round before its own (customer messages: round 0).
            plan.effects[event.depth - 1].append((part, event, tag_id))
        runs = list(WorkflowRun.objects.filter(conversation_id=conversation_id, id__gt=run_mark))
        run_index = {run.pk: index for index, run in enumerate(runs)}
        for index, run in enumerate(runs):
            plan.runs[position.get(run.event_id)].append((index, run))
        for log in WorkflowLog.objects.filter(conversation_id=conversation_id, id__gt=log_mark):
            plan.logs.append((log, run_index.get(log.run_id), position.get(log.event_id)))
        conversation = Conversation.objects.get(pk=conversation_id)
        plan.conversation = {
            "priority": conversation.priority,
            "custom_attributes": conversation.custom_attributes,
        }
        plans[conversation_id] = plan
    return plans


class Floor:
    """The same rows written with plain SQL: the least any implementation must do."""

    def __init__(self, conninfo: dict):
        self.connection = psycopg.connect(**conninfo)
        self.statements = 0
        conversation_table = Conversation._meta.db_table
        event_table = Event._meta.db_table
        self.lock_sql = f'SELECT "id" FROM "{conversation_table}" WHERE "id" = %s FOR UPDATE'
        self.pending_sql = (
            f'SELECT "id" FROM "{event_table}" '
            'WHERE "conversation_id" = %s AND "processed_at" IS NULL ORDER BY "id"'
        )
        self.update_sql = (
            f'UPDATE "{conversation_table}" SET "priority" = %s, "custom_attributes" = %s, '
            '"updated_at" = %s WHERE "id" = %s'
        )
        tags = Conversation.tags.through
        self.tag_sql = (
            f'INSERT INTO "{tags._meta.db_table}" ("conversation_id", "tag_id") VALUES (%s, %s)'
        )
        self.part_sql = _insert_sql(Part, PART_FIELDS, returning=True)
        self.event_sql = _insert_sql(Event, EVENT_FIELDS)
        self.run_sql = _insert_sql(WorkflowRun, RUN_FIELDS, returning=True)
        self.processed_sql = f'UPDATE "{event_table}" SET "processed_at" = %s WHERE "id" = ANY(%s)'
        log_columns = ", ".join(
            f'"{WorkflowLog._meta.get_field(name).column}"' for name in LOG_FIELDS
        )
        self.log_sql = f'INSERT INTO "{WorkflowLog._meta.db_table}" ({log_columns}) VALUES '
        self.log_row = "(" + ", ".join(["%s"] * len(LOG_FIELDS)) + ")"

    def close(self):
        self.connection.close()

    def execute(self, cursor, sql, params):
        self.statements += 1
        cursor.execute(sql, params)

    def process(self, conversation_id: int, plan: FloorPlan) -> int:
        """One transaction, as the engine: lock, rounds of pending events, logs."""
        now = datetime.now(UTC)
        handled = 0
        with self.connection.transaction(), self.connection.cursor() as cursor:
            self.execute(cursor, self.lock_sql, [conversation_id])
            cursor.fetchone()
            event_ids, run_ids = [], {}
            round_number = 0
            while True:
                self.execute(cursor, self.pending_sql, [conversation_id])
                pending = [row[0] for row in cursor.fetchall()]
                if not pending:
                    break
                first = len(event_ids)
                event_ids += pending
                for position in range(first, len(event_ids)):
                    for index, run in plan.runs.get(position, ()):
                        run_ids[index] = self.insert_run(
                            cursor, conversation_id, run, event_ids[position]
                        )
                effects = plan.effects.get(round_number, ())
                for part, event, tag_id in effects:
                    self.insert_effect(cursor, conversation_id, plan, part, event, tag_id, now)
                self.execute(cursor, self.processed_sql, [now, pending])
                handled += len(pending)
                round_number += 1
                if not effects:
                    break  # this round wrote no events: nothing new to read
            for index, run in plan.runs.get(None, ()):
                run_ids[index] = self.insert_run(cursor, conversation_id, run, None)
            if plan.logs:
                self.insert_logs(cursor, conversation_id, plan, run_ids, event_ids)
        return handled

    def insert_effect(self, cursor, conversation_id, plan, part, event, tag_id, now):
        state = plan.conversation
        self.execute(
            cursor,
            self.update_sql,
            [state["priority"], Jsonb(state["custom_attributes"]), now, conversation_id],
        )
        if tag_id is not None:
            self.execute(cursor, self.tag_sql, [conversation_id, tag_id])
        self.execute(
            cursor,
            self.part_sql,
            [
                conversation_id,
                part.part_type,
                part.author_type,
                part.author_id,
                part.author_name,
                part.body,
                Jsonb(part.details),
                now,
            ],
        )
        part_id = cursor.fetchone()[0]
        self.execute(
            cursor,
            self.event_sql,
            [
                conversation_id,
                event.event_type,
                event.actor_type,
                event.actor_id,
                event.actor_name,
                event.depth,
                Jsonb({**event.payload, "part_id": part_id}),
                now,
            ],
        )

    def insert_run(self, cursor, conversation_id, run, event_id) -> int:
        self.execute(
            cursor,
            self.run_sql,
            [
                run.workflow_id,
                conversation_id,
                event_id,
                run.status,
                run.is_customer_facing,
                Jsonb(run.cursor),
                run.waiting_for,
                Jsonb(run.wait),
                run.resume_at,
                run.depth,
                run.started_at,
                run.ended_at,
                run.end_reason,
            ],
        )
        return cursor.fetchone()[0]

    def insert_logs(self, cursor, conversation_id, plan, run_ids, event_ids):
        params = []
        for log, run_index, event_position in plan.logs:
            params += [
                conversation_id,
                log.workflow_id,
                run_ids.get(run_index) if run_index is not None else None,
                event_ids[event_position] if event_position is not None else None,
                log.kind,
                log.message,
                Jsonb(log.details),
                log.created_at,
            ]
        sql = self.log_sql + ", ".join([self.log_row] * len(plan.logs))
        self.execute(cursor, sql, params)


# --- the bench's own data ----------------------------------------------------------------


def bench_conversations():
    return Conversation.objects.filter(contact__email__endswith=CONTACT_DOMAIN)


def delete_conversations(conversation_ids) -> None:
    """Raw deletes of the big tables first: the ORM's cascade would load every row."""
    ids = list(conversation_ids)
    if not ids:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for model in (
            WorkflowLog,
            DeferredAssignment,
            WorkflowRun,
            Event,
            Part,
            Conversation.tags.through,
        ):
            cursor.execute(
                f'DELETE FROM "{model._meta.db_table}" WHERE "conversation_id" = ANY(%s)', [ids]
            )
        Conversation.objects.filter(pk__in=ids).delete()


def delete_bench_data() -> None:
    delete_conversations(bench_conversations().values_list("pk", flat=True))
    with transaction.atomic():
        deleted, _ = Workflow.objects.filter(name__startswith=WORKFLOW_PREFIX).delete()
        if deleted:
            bump_catalog_version()
    Contact.objects.filter(email__endswith=CONTACT_DOMAIN).delete()
    Tag.objects.filter(name__startswith=TAG_PREFIX).delete()


# --- the command -------------------------------------------------------------------------


@dataclass
class Result:
    size: int
    events: int
    engine_seconds: float
    sample_events: int
    sample_queries: int
    query_kinds: Counter
    log_rows: int
    floor_events: int
    floor_seconds: float
    floor_statements: int
    same_rows: bool

    @property
    def engine_rate(self) -> float:
        return self.events / self.engine_seconds

    @property
    def floor_rate(self) -> float:
        return self.floor_events / self.floor_seconds

    @property
    def queries_per_event(self) -> float:
        return self.sample_queries / self.sample_events


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise CommandError(f"--sizes: whole numbers separated by commas, not {text!r}") from None
    if not sizes or sizes[0] < 1:
        raise CommandError("--sizes: at least one size, each 1 or more")
    return sizes


class Command(BaseCommand):
    help = (
        "Events/s and SQL queries/event of the workflow orchestrator at 10, 100 and 1,000 "
        "live workflows, beside the same rows written with plain SQL (PostgreSQL only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="10,100,1000", help="live workflow counts")
        parser.add_argument(
            "--conversations", type=int, default=100, help="timed conversations per size"
        )
        parser.add_argument(
            "--messages", type=int, default=3, help="customer messages per conversation"
        )
        parser.add_argument(
            "--sample",
            type=int,
            default=10,
            help="conversations processed untimed under CaptureQueriesContext (queries/event)",
        )
        parser.add_argument(
            "--matching", type=int, default=3, help="live workflows that match every message"
        )
        parser.add_argument("--no-migrate", action="store_true", help="skip manage.py migrate")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                f"make bench measures PostgreSQL, and DATABASE_URL points at {connection.vendor} "
                f"({connection.settings_dict['NAME']}). Create a scratch database and run e.g.\n"
                "  psql -h 127.0.0.1 -U postgres -c 'create database bench_scratch'\n"
                "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_scratch make bench"
            )
        sizes = _sizes(options["sizes"])
        self.matching = options["matching"]
        self.conversations = options["conversations"]
        self.messages = options["messages"]
        self.sample = options["sample"]
        if self.conversations < 1 or self.messages < 1 or self.sample < 1:
            raise CommandError("--conversations, --messages and --sample must be 1 or more")
        if sizes[0] < self.matching:
            raise CommandError(f"--sizes: each size must be at least --matching ({self.matching})")
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)

        with no_broker():
            delete_bench_data()  # leftovers of an interrupted run
            foreign = Workflow.objects.filter(status="live").count()
            if foreign:
                raise CommandError(
                    f"The database has {foreign} live workflow(s) of its own: they would run on "
                    "the bench's conversations and change the counts. Use a scratch database."
                )
            try:
                results = self.run(sizes)
            finally:
                self.note("cleaning up: deleting the bench's workflows, conversations, contacts")
                delete_bench_data()
        self.report(results)

    def note(self, text: str) -> None:
        self.stderr.write(f"bench: {text}")
        self.stderr.flush()

    # --- running ------------------------------------------------------------------------

    def run(self, sizes) -> list[Result]:
        settings = connection.settings_dict
        conninfo = {
            "dbname": settings["NAME"],
            "user": settings["USER"] or None,
            "password": settings["PASSWORD"] or None,
            "host": settings["HOST"] or None,
            "port": settings["PORT"] or None,
        }
        conninfo = {key: value for key, value in conninfo.items() if value is not None}
        floor = Floor(conninfo)
        per_size = self.sample + 2 * self.conversations
        contacts = [
            Contact.objects.create(
                name=f"Bench contact {number}", email=f"c{number}{CONTACT_DOMAIN}", plan="Pro"
            )
            for number in range(per_size)
        ]
        created = 0
        results = []
        try:
            for size in sizes:
                created = self.create_workflows(created, size)
                results.append(self.measure(size, contacts, floor))
        finally:
            floor.close()
        return results

    def create_workflows(self, created: int, size: int) -> int:
        """Bring the live bench workflows up to `size` (the matching ones first)."""
        self.note(f"creating live workflows up to {size}")
        for number in range(created, size):
            if number < self.matching:
                workflow_create(document=matching_document(number + 1))
            else:
                workflow_create(document=non_matching_document(number - self.matching))
        live = Workflow.objects.filter(status="live").count()
        if live != size:
            raise CommandError(f"expected {size} live workflows, found {live}")
        return size

    def measure(self, size: int, contacts, floor: Floor) -> Result:
        self.note(f"{size} live workflows: opening {len(contacts)} conversations")
        ids = [conversation_services.conversation_open(contact=contact).pk for contact in contacts]
        sample = ids[: self.sample]
        timed = ids[self.sample : self.sample + self.conversations]
        twins = ids[self.sample + self.conversations :]
        # Untimed: the opening events; the first call compiles the new catalog.
        for conversation_id in ids:
            process_conversation_events(conversation_id)
        since_event = _max_id(Event)

        self.note(f"{size} live workflows: writing {self.messages} messages per conversation")
        for number in range(self.messages):
            for conversation_id in ids:
                conversation_services.conversation_customer_message(
                    conversation=conversation_id, body=MESSAGES[number % len(MESSAGES)]
                )
        engine_event, engine_part = _max_id(Event), _max_id(Part)
        run_mark, log_mark = _max_id(WorkflowRun), _max_id(WorkflowLog)

        self.note(f"{size} live workflows: counting queries on {len(sample)} conversations")
        sample_events = 0
        with CaptureQueriesContext(connection) as captured:
            for conversation_id in sample:
                sample_events += process_conversation_events(conversation_id)
        kinds = Counter(query_kind(query["sql"]) for query in captured.captured_queries)

        self.note(f"{size} live workflows: timing the engine on {len(timed)} conversations")
        events = 0
        started = time.perf_counter()
        for conversation_id in timed:
            events += process_conversation_events(conversation_id)
        engine_seconds = time.perf_counter() - started
        log_rows = WorkflowLog.objects.filter(conversation_id__in=timed, id__gt=log_mark).count()

        self.note(f"{size} live workflows: timing the floor on {len(twins)} twin conversations")
        plans = build_plans(
            timed,
            since_event=since_event,
            engine_event=engine_event,
            engine_part=engine_part,
            run_mark=run_mark,
            log_mark=log_mark,
        )
        statements_before = floor.statements
        floor_events = 0
        started = time.perf_counter()
        for engine_id, twin_id in zip(timed, twins, strict=True):
            floor_events += floor.process(twin_id, plans[engine_id])
        floor_seconds = time.perf_counter() - started
        same_rows = self.same_rows(timed, twins) and floor_events == events

        delete_conversations(ids)
        # Each size starts alike: the tags the workflows add are created again by the sample.
        Tag.objects.filter(name__startswith=TAG_PREFIX).delete()
        return Result(
            size=size,
            events=events,
            engine_seconds=engine_seconds,
            sample_events=sample_events,
            sample_queries=len(captured.captured_queries),
            query_kinds=kinds,
            log_rows=log_rows,
            floor_events=floor_events,
            floor_seconds=floor_seconds,
            floor_statements=floor.statements - statements_before,
            same_rows=same_rows,
        )

    @staticmethod
    def same_rows(timed, twins) -> bool:
        """Each twin holds as many rows of each kind as its engine conversation."""

        def counts(conversation_ids):
            found = []
            for model in (Part, Event, WorkflowRun, WorkflowLog, Conversation.tags.through):
                by_conversation = Counter(
                    model.objects.filter(conversation_id__in=conversation_ids).values_list(
                        "conversation_id", flat=True
                    )
                )
                found.append([by_conversation[pk] for pk in conversation_ids])
            pending = Event.objects.filter(
                conversation_id__in=conversation_ids, processed_at__isnull=True
            ).count()
            return found, pending

        return counts(timed) == counts(twins)

    # --- the report ---------------------------------------------------------------------

    def report(self, results: list[Result]) -> None:
        out = self.stdout.write
        first = results[0]
        out("")
        out(
            f"Workflow engine bench: {self.conversations} conversations x {self.messages} "
            f"customer messages per size; {self.matching} live workflows match every message, "
            "the rest never do."
        )
        out(
            "events = the customer messages plus the events the matching workflows' own changes "
            "wrote, all handled in the same process_conversation_events call."
        )
        out("")
        header = (
            "live workflows",
            "events",
            "events/s engine",
            "queries/event",
            "log rows/event",
            "events/s floor",
            "statements/event floor",
            "ratio engine/floor",
        )
        rows = [
            (
                f"{result.size:,}",
                f"{result.events:,}",
                f"{result.engine_rate:,.0f}",
                f"{result.queries_per_event:.2f}",
                f"{result.log_rows / result.events:.1f}",
                f"{result.floor_rate:,.0f}",
                f"{result.floor_statements / result.floor_events:.2f}",
                f"{result.engine_seconds / result.floor_seconds:.1f}x",
            )
            for result in results
        ]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        out(" | ".join(title.rjust(width) for title, width in zip(header, widths, strict=True)))
        out("-+-".join("-" * width for width in widths))
        for row in rows:
            out(" | ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
        out("")
        out(
            "The floor, per conversation in one transaction through psycopg: SELECT the "
            "conversation FOR UPDATE; per round (until one writes no event), SELECT its "
            "unprocessed events, INSERT the "
            "runs they started (final state), for each change the workflows made UPDATE "
            "conversations_conversation (+ INSERT the tag link) and INSERT a part and an "
            "event, then UPDATE the events processed; finally one multi-row INSERT of the "
            "log rows. Same rows as the engine wrote: "
            + ("yes" if all(result.same_rows for result in results) else "NO (see counts)")
            + "."
        )
        last = results[-1]
        out("")
        out(
            f"Queries per event by kind (captured on {self.sample} untimed conversations: "
            f"{first.sample_events} events at {first.size:,}, {last.sample_events} at "
            f"{last.size:,} live workflows)"
        )
        kinds = sorted(
            set(first.query_kinds) | set(last.query_kinds),
            key=lambda kind: (-last.query_kinds[kind], kind),
        )
        left, right = f"at {first.size:,}", f"at {last.size:,}"
        width = max(len(kind) for kind in [*kinds, "total"])
        out(f"{'query':<{width}} | {left:>10} | {right:>10}")
        out(f"{'-' * width}-+-{'-' * 10}-+-{'-' * 10}")
        for kind in kinds:
            out(
                f"{kind:<{width}} | {first.query_kinds[kind] / first.sample_events:>10.2f} | "
                f"{last.query_kinds[kind] / last.sample_events:>10.2f}"
            )
        out(
            f"{'total':<{width}} | {first.queries_per_event:>10.2f} | "
            f"{last.queries_per_event:>10.2f}"
        )
        verdict = (
            "constant"
            if abs(first.queries_per_event - last.queries_per_event) < 0.005
            else "NOT constant"
        )
        out(f"Queries per event from {first.size:,} to {last.size:,} live workflows: {verdict}.")
