"""The floor: the same workload done with the fewest statements plain SQL allows.

For one conversation, in one transaction on Django's connection (psycopg):

1. **one read**: the conversation row FOR UPDATE with the contact's and the company's
   facts (and the assignee, team and processing-failure rows the engine loads), the
   catalog version stamp, the active runs, the unfired timers, the workflows that ran
   before, the conversation's tags, its pending events, the ids of the tags it is to add
   (by name: the floor knows no tag id) and fresh ids from the tables' sequences;
2. **one write**: a single statement of data-modifying CTEs that updates the
   conversation, links the tags, inserts the parts, events, runs, log rows and timers
   (every row the engine wrote for the twin conversation, with its ids remapped) and
   marks the pending events processed.

What to write is taken from the engine: after an engine chunk, the rows it wrote for
each conversation (any table with a `conversation` foreign key, read generically) become
the floor's plan for that conversation's twin, which received the same messages. The
floor makes no decision (the engine's rule evaluation is its own cost); it does every
read the decisions need and every write they lead to.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from conversations.models import Company, Contact, Conversation, Event, Part, Tag, Teammate
from workflows.bench.workload import conversation_tables
from workflows.models import CatalogVersion, WorkflowRun

try:  # the timer table may move or merge; the floor reads it while it exists
    from workflows.models import Timer
except ImportError:  # pragma: no cover - depends on the engine's version
    Timer = None

try:
    from conversations.models import Team
except ImportError:  # pragma: no cover
    Team = None


# Where the read's computed columns are (the rows' own columns follow them).
PENDING, TAG_IDS, SEQUENCES = 4, 5, 7


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class TablePlan:
    model: type[models.Model]
    # [(engine row id, {column: value})]: values prepared for the database, except the
    # JSON ones and the ids that are remapped when the floor writes.
    rows: list = field(default_factory=list)


@dataclass
class Plan:
    pending: list  # the engine conversation's pending event ids, oldest first
    tables: list  # [TablePlan] with rows
    tag_names: list  # tags linked
    conversation: dict  # column -> new value, for the columns that changed

    def new_rows(self, model) -> int:
        return sum(len(t.rows) for t in self.tables if t.model is model)


def tracked_tables() -> list[type[models.Model]]:
    through = Conversation.tags.through
    return [model for model in conversation_tables() if model is not through]


def marks() -> dict:
    """The highest id of each tracked table (and the tag links) now."""
    found = {}
    for model in [*tracked_tables(), Conversation.tags.through]:
        found[model] = model.objects.aggregate(top=models.Max("id"))["top"] or 0
    return found


def pending_events(conversation_ids) -> dict:
    found = defaultdict(list)
    for conversation_id, event_id in (
        Event.objects.filter(conversation_id__in=conversation_ids, processed_at__isnull=True)
        .order_by("id")
        .values_list("conversation_id", "id")
    ):
        found[conversation_id].append(event_id)
    return found


def conversation_rows(conversation_ids) -> dict:
    return {row["id"]: row for row in Conversation.objects.filter(pk__in=conversation_ids).values()}


def _prepared(model, obj) -> dict:
    values = {}
    for f in model._meta.concrete_fields:
        value = getattr(obj, f.attname)
        if isinstance(f, models.JSONField) or f.is_relation or f.primary_key:
            values[f.column] = value  # prepared (remapped, adapted) by the floor itself
        else:
            values[f.column] = f.get_db_prep_save(value, connection)
    return values


def build_plans(conversation_ids, *, pending: dict, since: dict, before: dict) -> dict:
    """What the engine wrote for each conversation since the marks (untimed)."""
    plans = {
        cid: Plan(pending=pending.get(cid, []), tables=[], tag_names=[], conversation={})
        for cid in conversation_ids
    }
    for model in tracked_tables():
        by_conversation = defaultdict(list)
        for obj in model.objects.filter(
            conversation_id__in=conversation_ids, id__gt=since[model]
        ).order_by("id"):
            by_conversation[obj.conversation_id].append((obj.pk, _prepared(model, obj)))
        for cid, rows in by_conversation.items():
            plans[cid].tables.append(TablePlan(model, rows))
    through = Conversation.tags.through
    for cid, name in through.objects.filter(
        conversation_id__in=conversation_ids, id__gt=since[through]
    ).values_list("conversation_id", "tag__name"):
        plans[cid].tag_names.append(name)
    after = conversation_rows(conversation_ids)
    columns = {f.attname: f for f in Conversation._meta.concrete_fields}
    for cid in conversation_ids:
        old, new = before[cid], after[cid]
        for attname, value in new.items():
            if old.get(attname) != value:
                f = columns[attname]
                plans[cid].conversation[f.column] = (
                    value
                    if isinstance(f, models.JSONField)
                    else f.get_db_prep_save(value, connection)
                )
    return plans


class PlanMismatch(Exception):
    """The twin's pending events differ from the engine conversation's."""


class Floor:
    def __init__(self):
        self.tables = tracked_tables()
        self.json_columns = {
            model: {
                f.column for f in model._meta.concrete_fields if isinstance(f, models.JSONField)
            }
            for model in [*self.tables, Conversation]
        }
        # Foreign keys to another tracked table: remapped to the floor's own rows.
        self.references = {
            model: {
                f.column: f.related_model
                for f in model._meta.concrete_fields
                if f.is_relation and f.related_model in self.tables
            }
            for model in self.tables
        }
        with connection.cursor() as cursor:
            self.sequences = {}
            for model in self.tables:
                cursor.execute(
                    "SELECT pg_get_serial_sequence(%s, %s)",
                    [model._meta.db_table, model._meta.pk.column],
                )
                self.sequences[model] = cursor.fetchone()[0]
        self.read_sql = self._read_sql()
        self.event_table = _q(Event._meta.db_table)

    def _read_sql(self) -> str:
        c, ct = _q(Conversation._meta.db_table), _q(Contact._meta.db_table)
        co = _q(Company._meta.db_table)
        run = _q(WorkflowRun._meta.db_table)
        link = _q(Conversation.tags.through._meta.db_table)
        tag = _q(Tag._meta.db_table)
        event = _q(Event._meta.db_table)
        active = ", ".join(f"'{status}'" for status in WorkflowRun.ACTIVE)
        joins = [
            f"JOIN {ct} ct ON ct.id = c.contact_id",
            f"LEFT JOIN {co} co ON co.id = ct.company_id",
            f"LEFT JOIN {_q(Teammate._meta.db_table)} tm ON tm.id = c.assignee_id",
        ]
        selects = ["c.*", "ct.*", "co.*", "tm.username"]
        if Team is not None and hasattr(Conversation, "team"):
            joins.append(f"LEFT JOIN {_q(Team._meta.db_table)} te ON te.id = c.team_id")
            selects.append("te.name")
        failure = getattr(Conversation, "processing_failure", None)
        if failure is not None:
            related = failure.related.related_model
            joins.append(f"LEFT JOIN {_q(related._meta.db_table)} pf ON pf.conversation_id = c.id")
            selects.append("pf.*")
        computed = [
            f"(SELECT version FROM {_q(CatalogVersion._meta.db_table)} WHERE id = 1)",
            f"(SELECT json_agg(r) FROM {run} r WHERE r.conversation_id = c.id "
            f"AND r.status IN ({active}))",
            f"(SELECT array_agg(DISTINCT r.workflow_id) FROM {run} r "
            "WHERE r.conversation_id = c.id)",
            f"(SELECT array_agg(g.name) FROM {link} l JOIN {tag} g ON g.id = l.tag_id "
            "WHERE l.conversation_id = c.id)",
            f"(SELECT json_agg(e ORDER BY e.id) FROM {event} e "
            "WHERE e.conversation_id = c.id AND e.processed_at IS NULL)",
            f"(SELECT json_object_agg(lower(g.name), g.id) FROM {tag} g "
            "WHERE lower(g.name) = ANY(%s::text[]))",
            f"(SELECT json_agg(t) FROM {_q(Timer._meta.db_table)} t "
            "WHERE t.conversation_id = c.id AND t.fired_at IS NULL)"
            if Timer is not None and hasattr(Timer, "fired_at")
            else "NULL",
        ]
        for _model in self.tables:
            computed.append("(SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s))")
        selects = computed + selects
        return (
            f"/* floor read */ SELECT {', '.join(selects)} FROM {c} c {' '.join(joins)} "
            "WHERE c.id = %s FOR UPDATE OF c"
        )

    def process(self, conversation_id: int, plan: Plan) -> int:
        """Lock, read, write, in one transaction; return the events handled."""
        now = timezone.now()
        names = [name.lower() for name in plan.tag_names]
        params = [names]
        for model in self.tables:
            params += [self.sequences[model], plan.new_rows(model)]
        params.append(conversation_id)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(self.read_sql, params)
            row = cursor.fetchone()
            pending = [event["id"] for event in row[PENDING] or []]
            tag_ids = row[TAG_IDS] or {}
            fresh_ids = row[SEQUENCES : SEQUENCES + len(self.tables)]
            if len(pending) != len(plan.pending):
                raise PlanMismatch(
                    f"conversation {conversation_id}: {len(pending)} pending events, "
                    f"its plan {len(plan.pending)}"
                )
            ids = defaultdict(dict)
            ids[Event].update(zip(plan.pending, pending, strict=True))
            fresh = {
                model: iter(sorted(found or []))
                for model, found in zip(self.tables, fresh_ids, strict=True)
            }
            for table in plan.tables:
                for old_id, _values in table.rows:
                    ids[table.model][old_id] = next(fresh[table.model])
            sql, values, events = self.write(conversation_id, plan, ids, tag_ids, pending, now)
            cursor.execute(sql, values)
        return len(pending) + events

    def write(self, conversation_id, plan, ids, tag_ids, pending, now):
        parts, values = [], []
        events = 0
        if plan.conversation:
            json_columns = self.json_columns[Conversation]
            assignments = ", ".join(f"{_q(column)} = %s" for column in plan.conversation)
            parts.append(
                f"UPDATE {_q(Conversation._meta.db_table)} SET {assignments} WHERE id = %s"
            )
            values += [
                Jsonb(value) if column in json_columns else value
                for column, value in plan.conversation.items()
            ]
            values.append(conversation_id)
        if plan.tag_names:
            through = Conversation.tags.through
            rows = ", ".join(["(%s, %s)"] * len(plan.tag_names))
            parts.append(
                f"INSERT INTO {_q(through._meta.db_table)} (conversation_id, tag_id) "
                f"VALUES {rows} ON CONFLICT DO NOTHING"
            )
            for name in plan.tag_names:
                values += [conversation_id, tag_ids[name.lower()]]
        for table in plan.tables:
            model = table.model
            json_columns = self.json_columns[model]
            references = self.references[model]
            columns = list(table.rows[0][1])
            row_sql = "(" + ", ".join(["%s"] * len(columns)) + ")"
            parts.append(
                f"INSERT INTO {_q(model._meta.db_table)} ({', '.join(map(_q, columns))}) "
                f"VALUES {', '.join([row_sql] * len(table.rows))}"
            )
            own = ids[model]
            for old_id, row in table.rows:
                for column in columns:
                    value = row[column]
                    if column == model._meta.pk.column:
                        value = own[old_id]
                    elif column == "conversation_id":
                        value = conversation_id
                    elif column in references and value is not None:
                        value = ids[references[column]].get(value, value)
                    elif column in json_columns:
                        if model is Event and isinstance(value, dict) and "part_id" in value:
                            part = value["part_id"]
                            value = {**value, "part_id": ids[Part].get(part, part)}
                        value = Jsonb(value)
                    values.append(value)
            if model is Event:
                events += len(table.rows)
        if pending:
            parts.append(f"UPDATE {self.event_table} SET processed_at = %s WHERE id = ANY(%s)")
            values += [now, pending]
        first, *rest = parts
        if not rest:
            return f"/* floor write */ {first}", values, events
        ctes = ", ".join(f"w{number} AS ({text})" for number, text in enumerate(parts))
        return f"/* floor write */ WITH {ctes} SELECT 1", values, events
