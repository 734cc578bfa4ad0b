"""A worker keeps its PostgreSQL connection from task to task, and replaces one that a
database restart dropped before the next task's first query."""

import pytest
from django.db import connection

from conversations import services
from conversations.models import Event
from tests.factories import ContactFactory
from tests.integration.conftest import wait_for

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="sessions as PostgreSQL counts them"
    ),
]

WORKER_TIMEOUT_SECONDS = 90
TASKS = 8


def worker_sessions() -> set:
    """(pid, backend start) of every other session on the test database: the worker's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, backend_start FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return set(cursor.fetchall())


def process_one_message(processes, index: int) -> None:
    conversation = services.conversation_open(contact=ContactFactory(), body=f"message {index}")
    wait_for(
        lambda: (
            not Event.objects.filter(conversation=conversation, processed_at__isnull=True).exists()
        ),
        timeout=WORKER_TIMEOUT_SECONDS,
        processes=processes,
    )


def test_a_worker_uses_one_database_session_for_many_tasks(real_broker):
    process_one_message(real_broker, 0)
    first = worker_sessions()
    assert first, "the worker closed its connection after the task"

    for index in range(1, TASKS):
        process_one_message(real_broker, index)

    assert worker_sessions() == first


def test_a_worker_replaces_a_connection_the_database_dropped(real_broker):
    process_one_message(real_broker, 0)
    with connection.cursor() as cursor:
        # What a PostgreSQL restart does to the worker's session.
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )

    process_one_message(real_broker, 1)

    logs = real_broker.logs()
    # Replaced by the health check before the task's first query: no error, no retry.
    assert "OperationalError" not in logs
    assert "Retry in" not in logs
