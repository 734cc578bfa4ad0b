"""The processor's rows in plain SQL on PostgreSQL: the one read of what it needs about a
locked conversation (`load_state`), and the two bulk writers, new runs (their ids
returned) and log records. One message costs a dozen statements whose ORM compilation
cost more Python than the database spent on them; in a burst the writers write thousands
of rows, where the ORM's bulk insert costs more in Python than the database spends."""

import json
from dataclasses import dataclass
from datetime import datetime

from django.db import models, transaction

from conversations.models import Conversation, Event, Tag
from workflows.models import CatalogVersion, ReplaySnapshot, Timer, WorkflowLog, WorkflowRun

LOG_COLUMNS = (
    "conversation_id",
    "workflow_id",
    "run_id",
    "event_id",
    "kind",
    "message",
    "details",
    "created_at",
)


RUN_COLUMNS = {
    "workflow_id": "bigint",
    "conversation_id": "bigint",
    "event_id": "bigint",
    "status": "varchar",
    "is_customer_facing": "boolean",
    "cursor": "jsonb",
    "waiting_for": "varchar",
    "wait": "jsonb",
    "resume_at": "timestamptz",
    "depth": "integer",
    "started_at": "timestamptz",
    "ended_at": "timestamptz",
    "end_reason": "text",
}
JSON_RUN_COLUMNS = {"cursor", "wait"}


# Replay's snapshots (event_id, triggers, facts, active_customer_facing,
# created_at), written with the events marked processed: no statement of their own.
SNAPSHOT_COLUMNS = {
    "event_id": "bigint",
    "triggers": "varchar",
    "facts": "jsonb",
    "active_customer_facing": "bigint",
    "created_at": "timestamptz",
}


TIMER_COLUMNS = {
    "kind": "varchar",
    "key": "varchar",
    "due_at": "timestamptz",
    "payload": "jsonb",
    "fired_at": "timestamptz",
    "created_at": "timestamptz",
}


def insert_runs(
    runs: list[WorkflowRun],
    *,
    processed: tuple[list[int], datetime] | None = None,
    timers: list[Timer] = (),
    snapshots: list[tuple] = (),
) -> None:
    """Insert new runs in one statement, in order, and give each its id: plain SQL on
    PostgreSQL (INSERT … VALUES … RETURNING id, cheaper in Python than the ORM's bulk
    insert), `bulk_create` elsewhere.

    At the end of a processing, the same statement also marks the handled events
    processed (`processed`: their ids and the time) and inserts the new timers (one
    already there is a no-op): one round trip instead of three."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        if processed and processed[0]:
            Event.objects.filter(pk__in=processed[0]).update(processed_at=processed[1])
        if timers:
            Timer.objects.bulk_create(timers, ignore_conflicts=True)
        if snapshots:
            rows = [dict(zip(SNAPSHOT_COLUMNS, row, strict=True)) for row in snapshots]
            ReplaySnapshot.objects.bulk_create(
                [ReplaySnapshot(**row) for row in rows], ignore_conflicts=True
            )
        if runs:
            WorkflowRun.objects.bulk_create(runs)
        return
    clauses, params = [], []
    if processed and processed[0]:
        clauses.append(
            f'processed AS (UPDATE "{Event._meta.db_table}" SET processed_at = %s '
            "WHERE id = ANY(%s))"
        )
        params += [processed[1], processed[0]]
    if timers:
        names = ", ".join(TIMER_COLUMNS)
        arrays = ", ".join(f"%s::{kind}[]" for kind in TIMER_COLUMNS.values())
        clauses.append(
            f'timers AS (INSERT INTO "{Timer._meta.db_table}" (conversation_id, {names}) '
            f"SELECT %s, * FROM unnest({arrays}) ON CONFLICT DO NOTHING)"
        )
        params.append(timers[0].conversation_id)
        for column, kind in TIMER_COLUMNS.items():
            values = [getattr(timer, column) for timer in timers]
            params.append([json.dumps(v) for v in values] if kind == "jsonb" else values)
    if snapshots:
        names = ", ".join(SNAPSHOT_COLUMNS)
        arrays = ", ".join(f"%s::{kind}[]" for kind in SNAPSHOT_COLUMNS.values())
        clauses.append(
            f'snapshots AS (INSERT INTO "{ReplaySnapshot._meta.db_table}" ({names}) '
            f"SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING)"
        )
        for name, values in zip(SNAPSHOT_COLUMNS, zip(*snapshots, strict=True), strict=True):
            params.append([json.dumps(v) for v in values] if name == "facts" else list(values))
    prefix = ("WITH " + ", ".join(clauses) + " ") if clauses else ""
    if not runs:
        if clauses:
            with connection.cursor() as cursor:
                cursor.execute(prefix + "SELECT 1", params)
        return
    table = connection.ops.quote_name(WorkflowRun._meta.db_table)
    # One array per column (a burst inserts hundreds of runs: a placeholder per value
    # made the driver's query parsing cost more than the insert), ids in the rows' order.
    arrays = ", ".join(f"%s::{kind}[]" for kind in RUN_COLUMNS.values())
    for column in RUN_COLUMNS:
        values = [getattr(run, column) for run in runs]
        params.append([json.dumps(v) for v in values] if column in JSON_RUN_COLUMNS else values)
    with connection.cursor() as cursor:
        cursor.execute(
            f"{prefix}INSERT INTO {table} ({', '.join(RUN_COLUMNS)}) "
            f"SELECT * FROM unnest({arrays}) RETURNING id",
            params,
        )
        ids = [pk for (pk,) in cursor.fetchall()]
    for run, pk in zip(runs, ids, strict=True):
        run.pk = pk
        run._state.adding = False
        run._state.db = connection.alias


def write_logs(rows: list[tuple]) -> None:
    """Insert log records (tuples in LOG_COLUMNS order), in order: one COPY on
    PostgreSQL (thousands of rows in a burst: the ORM's multi-row INSERT cost more in
    Python than the database spent on it), a multi-row INSERT elsewhere."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        logs = [WorkflowLog(**dict(zip(LOG_COLUMNS, row, strict=True))) for row in rows]
        WorkflowLog.objects.bulk_create(logs)
        return
    table = connection.ops.quote_name(WorkflowLog._meta.db_table)
    sql = f"COPY {table} ({', '.join(LOG_COLUMNS)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for *fields, details, created_at in rows:
            copy.write_row((*fields, json.dumps(details), created_at))
    if connection.queries_logged:  # one statement, counted like the others
        connection.queries_log.append({"sql": f"{sql} -- {len(rows)} rows", "time": "0.000"})


# --- the read ------------------------------------------------------------------------------


@dataclass
class LoadedState:
    """What the processor reads about a conversation it holds the lock of."""

    catalog_version: int
    runs: list[WorkflowRun]  # active, by id
    timers: list[Timer]  # unfired, by due time then id
    events: list[Event]  # unprocessed, by id
    ran_before: set[int]  # the workflows that ever ran here
    tags: dict[str, tuple[int, str]]  # as services.conversation_tags keeps them


def _rows_sql(model, where: str, order: str) -> tuple[str, list[int]]:
    """A JSON array of the rows (each an array of its concrete columns, in order) and the
    positions of the date-time columns (JSON carries them as text)."""
    columns, dates = [], []
    for position, f in enumerate(model._meta.concrete_fields):
        columns.append(f'"{f.column}"')
        if isinstance(f, models.DateTimeField):
            dates.append(position)
    table = model._meta.db_table
    sql = (
        f"(SELECT coalesce(json_agg(json_build_array({', '.join(columns)}) ORDER BY {order}), "
        f"'[]') FROM \"{table}\" WHERE {where})"
    )
    return sql, dates


def _state_sql():
    runs = WorkflowRun._meta.db_table
    links = Conversation.tags.through._meta.db_table
    tags = Tag._meta.db_table
    active = ", ".join(f"'{status}'" for status in WorkflowRun.ACTIVE)
    parts = {
        "runs": _rows_sql(WorkflowRun, f"conversation_id = %(c)s AND status IN ({active})", '"id"'),
        "timers": _rows_sql(
            Timer, "conversation_id = %(c)s AND fired_at IS NULL", '"due_at", "id"'
        ),
        "events": _rows_sql(Event, "conversation_id = %(c)s AND processed_at IS NULL", '"id"'),
    }
    sql = (
        "SELECT "
        f'(SELECT "version" FROM "{CatalogVersion._meta.db_table}" WHERE "id" = 1), '
        + ", ".join(part for part, _ in parts.values())
        + f', ARRAY(SELECT DISTINCT "workflow_id" FROM "{runs}" WHERE conversation_id = %(c)s), '
        f"(SELECT coalesce(json_agg(json_build_array(t.id, t.name)), '[]') "
        f'FROM "{tags}" t JOIN "{links}" l ON l.tag_id = t.id WHERE l.conversation_id = %(c)s)'
    )
    return sql, {name: dates for name, (_, dates) in parts.items()}


_STATE_SQL = None


def _instances(model, rows, dates, alias) -> list:
    found = []
    for values in rows:
        for position in dates:
            if values[position] is not None:
                values[position] = datetime.fromisoformat(values[position])
        found.append(model.from_db(alias, None, values))
    return found


def load_state(conversation_id: int) -> LoadedState | None:
    """Everything the processor reads before it decides, in one statement (PostgreSQL;
    None elsewhere: the processor reads it through the ORM). Call with the conversation
    locked, in a statement after the lock's: it sees what committed before the lock."""
    global _STATE_SQL
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return None
    if _STATE_SQL is None:
        _STATE_SQL = _state_sql()
    sql, dates = _STATE_SQL
    with connection.cursor() as cursor:
        cursor.execute(sql, {"c": conversation_id})
        version, runs, timers, events, ran_before, tags = cursor.fetchone()
    alias = connection.alias
    return LoadedState(
        catalog_version=version or 0,
        runs=_instances(WorkflowRun, runs, dates["runs"], alias),
        timers=_instances(Timer, timers, dates["timers"], alias),
        events=_instances(Event, events, dates["events"], alias),
        ran_before=set(ran_before),
        tags={name.lower(): (tag_id, name) for tag_id, name in tags},
    )
