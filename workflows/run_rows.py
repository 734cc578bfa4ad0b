"""The processor's two bulk row writers, in plain SQL on PostgreSQL: new runs (their ids
returned) and log records. In a burst they write thousands of rows, where the ORM's
bulk insert costs more in Python than the database spends."""

import json

from django.db import transaction

from workflows.models import WorkflowLog, WorkflowRun

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


RUN_COLUMNS = (
    "workflow_id",
    "conversation_id",
    "event_id",
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
)
JSON_RUN_COLUMNS = {"cursor", "wait"}


def insert_runs(runs: list[WorkflowRun]) -> None:
    """Insert new runs in one statement, in order, and give each its id: plain SQL on
    PostgreSQL (INSERT … VALUES … RETURNING id, cheaper in Python than the ORM's bulk
    insert), `bulk_create` elsewhere."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql":
        WorkflowRun.objects.bulk_create(runs)
        return
    table = connection.ops.quote_name(WorkflowRun._meta.db_table)
    row = "(" + ", ".join(["%s"] * len(RUN_COLUMNS)) + ")"
    params = []
    for run in runs:
        for column in RUN_COLUMNS:
            value = getattr(run, column)
            params.append(json.dumps(value) if column in JSON_RUN_COLUMNS else value)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(RUN_COLUMNS)}) VALUES "
            f"{', '.join([row] * len(runs))} RETURNING id",
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
