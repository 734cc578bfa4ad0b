"""The processor's rows in plain SQL on PostgreSQL: its lock (`lock_conversation`), the one
read of what it needs about a locked conversation (`load_state`, or many at once:
`states_read_ahead`), and the bulk writers, new runs (their ids returned, with the log
records, timers and processed marks at the end of a processing) and log records alone.
One message costs a dozen statements whose ORM compilation cost more Python than the
database spent on them; in a burst the writers write thousands of rows, where the ORM's
bulk insert costs more in Python than the database spends."""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import models, transaction
from django.db.models.query import get_related_populators

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
    "version": "integer",
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


def _drawn_ids(name: str, model, count_param: str) -> str:
    """A CTE of `count` fresh ids from the model's sequence, numbered 1.. in draw order."""
    return (
        f"{name} AS MATERIALIZED (SELECT id, row_number() OVER (ORDER BY id) AS n FROM "
        f"(SELECT nextval(pg_get_serial_sequence('\"{model._meta.db_table}\"', 'id')) AS id "
        f"FROM generate_series(1, %({count_param})s)) AS drawn)"
    )


def insert_runs(
    runs: list[WorkflowRun],
    *,
    processed: tuple[list[int], datetime] | None = None,
    timers: list[Timer] = (),
    logs: list[tuple] = (),
    snapshots: list[tuple] = (),
) -> None:
    """Insert new runs in one statement, in order, and give each its id: plain SQL on
    PostgreSQL (ids drawn from the sequence, rows from one array per column: cheaper in
    Python than the ORM's bulk insert), `bulk_create` elsewhere.

    At the end of a processing, the same statement also marks the handled events
    processed (`processed`: their ids and the time), inserts the new timers (one
    already there is a no-op), the queued log records (`logs`: tuples in LOG_COLUMNS
    order whose run is a WorkflowRun or None; one of `runs` gets the id drawn for it)
    and replay's snapshots of the events that fired a trigger (`snapshots`: tuples in
    SNAPSHOT_COLUMNS order): one round trip instead of five (the log records' COPY took
    two)."""
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
        if logs:
            write_logs([_with_run_id(row) for row in logs])
        return
    clauses, params = [], {}
    if processed and processed[0]:
        clauses.append(
            f'processed AS (UPDATE "{Event._meta.db_table}" SET processed_at = %(processed_at)s '
            "WHERE id = ANY(%(processed)s))"
        )
        params.update(processed_at=processed[1], processed=processed[0])
    if timers:
        names = ", ".join(TIMER_COLUMNS)
        arrays = ", ".join(
            f"%(timer_{column})s::{kind}[]" for column, kind in TIMER_COLUMNS.items()
        )
        clauses.append(
            f'timers AS (INSERT INTO "{Timer._meta.db_table}" (conversation_id, {names}) '
            f"SELECT %(timer_conversation)s, * FROM unnest({arrays}) ON CONFLICT DO NOTHING)"
        )
        params["timer_conversation"] = timers[0].conversation_id
        for column, kind in TIMER_COLUMNS.items():
            values = [getattr(timer, column) for timer in timers]
            params[f"timer_{column}"] = (
                [json.dumps(v) for v in values] if kind == "jsonb" else values
            )
    if snapshots:
        names = ", ".join(SNAPSHOT_COLUMNS)
        arrays = ", ".join(
            f"%(snapshot_{column})s::{kind}[]" for column, kind in SNAPSHOT_COLUMNS.items()
        )
        clauses.append(
            f'snapshots AS (INSERT INTO "{ReplaySnapshot._meta.db_table}" ({names}) '
            f"SELECT * FROM unnest({arrays}) ON CONFLICT DO NOTHING)"
        )
        for column, values in zip(SNAPSHOT_COLUMNS, zip(*snapshots, strict=True), strict=True):
            params[f"snapshot_{column}"] = (
                [json.dumps(v) for v in values] if column == "facts" else list(values)
            )
    if runs:
        # One array per column (a burst inserts hundreds of runs: a placeholder per value
        # made the driver's query parsing cost more than the insert); the ids drawn first,
        # in order, so the log records can name the runs inserted with them.
        clauses.append(_drawn_ids("run_ids", WorkflowRun, "run_count"))
        params["run_count"] = len(runs)
        names = ", ".join(RUN_COLUMNS)
        arrays = ", ".join(f"%(run_{column})s::{kind}[]" for column, kind in RUN_COLUMNS.items())
        clauses.append(
            f'runs AS (INSERT INTO "{WorkflowRun._meta.db_table}" (id, {names}) '
            f"SELECT i.id, {', '.join(f'v.{column}' for column in RUN_COLUMNS)} "
            f"FROM unnest({arrays}) WITH ORDINALITY AS v({names}, n) JOIN run_ids i USING (n))"
        )
        for column in RUN_COLUMNS:
            values = [getattr(run, column) for run in runs]
            params[f"run_{column}"] = (
                [json.dumps(v) for v in values] if column in JSON_RUN_COLUMNS else values
            )
    if logs:
        clauses.append(_logs_clause(logs, runs, params))
    if not clauses:
        return
    tail = "SELECT array_agg(id ORDER BY n) FROM run_ids" if runs else "SELECT NULL"
    with connection.cursor() as cursor:
        cursor.execute("WITH " + ", ".join(clauses) + " " + tail, params)
        (ids,) = cursor.fetchone()
    for run, pk in zip(runs, ids or [], strict=True):
        run.pk = pk
        run._state.adding = False
        run._state.db = connection.alias


def _with_run_id(row: tuple) -> tuple:
    conversation_id, workflow_id, run, *rest = row
    return (conversation_id, workflow_id, run.pk if run is not None else None, *rest)


def _logs_clause(logs: list[tuple], runs: list[WorkflowRun], params: dict) -> str:
    """The log records' INSERT, in the order queued; a record of a run inserted in the
    same statement names the id drawn for it (its position in `runs`). The records go as
    one JSON array of rows (one parameter; arrays of hundreds of texts and documents,
    each quoted by the driver, cost more in Python than the COPY did)."""
    position = {id(run): number for number, run in enumerate(runs, start=1)}
    rows = []
    for conversation_id, workflow_id, run, event_id, kind, message, details, at in logs:
        run_id = run_position = None
        if run is not None:
            if run.pk is None and id(run) in position:
                run_position = position[id(run)]
            else:
                run_id = run.pk
        rows.append(
            (conversation_id, workflow_id, run_id, event_id, kind, message, details,
             at.isoformat(), run_position)
        )  # fmt: skip
    params["logs"] = json.dumps(rows)
    run_id = "(e->>2)::bigint"
    if runs:
        run_id = f"coalesce({run_id}, (SELECT i.id FROM run_ids i WHERE i.n = (e->>8)::bigint))"
    return (
        f'logs AS (INSERT INTO "{WorkflowLog._meta.db_table}" ({", ".join(LOG_COLUMNS)}) '
        f"SELECT (e->>0)::bigint, (e->>1)::bigint, {run_id}, (e->>3)::bigint, e->>4, e->>5, "
        "e->6, (e->>7)::timestamptz "
        "FROM jsonb_array_elements(%(logs)s::jsonb) WITH ORDINALITY AS r(e, n) ORDER BY r.n)"
    )


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


# --- the lock ------------------------------------------------------------------------------


@dataclass
class _CompiledLock:
    """The ORM's locking query for a conversation and its related rows, compiled once:
    its SQL (the id its one parameter), and how a row becomes instances."""

    sql: str
    init_list: list[str]
    model_columns: slice
    populators: list
    converters: list  # (position, converters, expression)


_compiled_locks: dict[tuple, _CompiledLock] = {}


def _compile_lock(related: tuple[str, ...], connection) -> _CompiledLock:
    queryset = (
        Conversation.objects.select_for_update(of=("self",)).select_related(*related).filter(pk=0)
    )
    compiler = queryset.query.get_compiler(connection=connection)
    sql, params = compiler.as_sql()
    if list(params) != [0]:  # the id must be the only parameter
        raise RuntimeError(f"unexpected parameters of the lock query: {params}")
    select, klass_info = compiler.select, compiler.klass_info
    fields = klass_info["select_fields"]
    columns = slice(fields[0], fields[-1] + 1)
    converters = compiler.get_converters([column for column, *_ in select])
    return _CompiledLock(
        sql=sql,
        init_list=[column[0].target.attname for column in select[columns]],
        model_columns=columns,
        populators=get_related_populators(klass_info, select, connection.alias),
        converters=[(position, *found) for position, found in converters.items()],
    )


def lock_conversation(conversation_id: int, related: tuple[str, ...]) -> Conversation | None:
    """The conversation, locked (`SELECT … FOR UPDATE OF` its row, waiting for it) and
    read with its `related` rows joined, as the ORM's `select_for_update(of=("self",))
    .select_related(*related)` reads it; None when there is none. The statement is the
    ORM's, compiled once per process and then sent as plain SQL: per call, the ORM spent
    more Python building it than the database spent running it. Inside a transaction."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("lock_conversation() must run inside transaction.atomic()")
    key = (connection.alias, connection.vendor, related)
    compiled = _compiled_locks.get(key)
    if compiled is None:
        compiled = _compiled_locks[key] = _compile_lock(related, connection)
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, [conversation_id])
        row = cursor.fetchone()
    if row is None:
        return None
    row = list(row)
    for position, converters, expression in compiled.converters:
        value = row[position]
        for converter in converters:
            value = converter(value, expression, connection)
        row[position] = value
    conversation = Conversation.from_db(
        connection.alias, compiled.init_list, row[compiled.model_columns]
    )
    for populator in compiled.populators:
        populator.populate(row, conversation)
    return conversation


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


def _state_sql(conversation: str = "%(c)s"):
    """The read's columns for the conversation whose id is `conversation` (a parameter,
    or a column of an outer query: `_states_sql`)."""
    runs = WorkflowRun._meta.db_table
    links = Conversation.tags.through._meta.db_table
    tags = Tag._meta.db_table
    active = ", ".join(f"'{status}'" for status in WorkflowRun.ACTIVE)
    c = conversation
    parts = {
        "runs": _rows_sql(WorkflowRun, f"conversation_id = {c} AND status IN ({active})", '"id"'),
        "timers": _rows_sql(Timer, f"conversation_id = {c} AND fired_at IS NULL", '"due_at", "id"'),
        "events": _rows_sql(Event, f"conversation_id = {c} AND processed_at IS NULL", '"id"'),
    }
    sql = (
        "SELECT "
        f'(SELECT "version" FROM "{CatalogVersion._meta.db_table}" WHERE "id" = 1), '
        + ", ".join(part for part, _ in parts.values())
        + f', ARRAY(SELECT DISTINCT "workflow_id" FROM "{runs}" WHERE conversation_id = {c}), '
        f"(SELECT coalesce(json_agg(json_build_array(t.id, t.name)), '[]') "
        f'FROM "{tags}" t JOIN "{links}" l ON l.tag_id = t.id WHERE l.conversation_id = {c})'
    )
    return sql, {name: dates for name, (_, dates) in parts.items()}


def _states_sql():
    """The read for many conversations in one statement: a row each, its id first."""
    sql, dates = _state_sql("claimed.id")
    select = sql.removeprefix("SELECT ")
    return (
        f"SELECT claimed.id, {select} FROM unnest(%(ids)s::bigint[]) AS claimed(id)",
        dates,
    )


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
    locked, in a statement after the lock's: it sees what committed before the lock.
    Read already when the caller read it ahead with others (`states_read_ahead`)."""
    global _STATE_SQL
    ahead = getattr(_read_ahead, "states", None)
    if ahead is not None and conversation_id in ahead:
        return ahead.pop(conversation_id)
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        return None
    if _STATE_SQL is None:
        _STATE_SQL = _state_sql()
    sql, dates = _STATE_SQL
    with connection.cursor() as cursor:
        cursor.execute(sql, {"c": conversation_id})
        row = cursor.fetchone()
    return _loaded(row, dates, connection.alias)


def _loaded(row, dates, alias) -> LoadedState:
    version, runs, timers, events, ran_before, tags = row
    return LoadedState(
        catalog_version=version or 0,
        runs=_instances(WorkflowRun, runs, dates["runs"], alias),
        timers=_instances(Timer, timers, dates["timers"], alias),
        events=_instances(Event, events, dates["events"], alias),
        ran_before=set(ran_before),
        tags={name.lower(): (tag_id, name) for tag_id, name in tags},
    )


_STATES_SQL = None
_read_ahead = threading.local()


@contextmanager
def states_read_ahead(conversation_ids: list[int]) -> Iterator[None]:
    """While open, `load_state` returns these conversations' states (each once), read
    here in one statement instead of one each: the batched consumer's (workflows/
    consumer.py), for the conversations it just locked in the same transaction. Nothing
    else writes their rows meanwhile (they are locked, and processing one conversation
    writes only its own), so each state is still true when its turn comes. PostgreSQL,
    two conversations or more; otherwise nothing is read ahead."""
    global _STATES_SQL
    connection = transaction.get_connection()
    if connection.vendor != "postgresql" or len(conversation_ids) < 2:
        yield
        return
    if _STATES_SQL is None:
        _STATES_SQL = _states_sql()
    sql, dates = _STATES_SQL
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": list(conversation_ids)})
        rows = cursor.fetchall()
    alias = connection.alias
    _read_ahead.states = {pk: _loaded(row, dates, alias) for pk, *row in rows}
    try:
        yield
    finally:
        _read_ahead.states = None
