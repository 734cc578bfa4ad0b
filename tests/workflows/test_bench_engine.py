"""`make bench` runs: the command's quick mode prints its tables, engine and floor wrote
the same rows, and the engine's queries per event are equal at two catalog sizes. Counts
and structure only, never a speed."""

import shutil
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from conversations.models import Contact, Conversation
from workflows.bench.workload import CONTACT_DOMAIN, WORKFLOW_PREFIX
from workflows.models import Workflow

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def table_rows(text: str, first_cell: str) -> list[list[str]]:
    """The rows of the table whose header starts with `first_cell`, as cells."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(first_cell))
    rows = []
    for line in lines[start + 2 :]:
        if " | " not in line:
            break
        rows.append([cell.strip() for cell in line.split(" | ")])
    return rows


def median(cell: str) -> float:
    return float(cell.split(" [")[0].rstrip("x").replace(",", ""))


def test_the_quick_bench_prints_engine_floor_and_end_to_end():
    if connection.vendor != "postgresql":
        pytest.skip("make bench measures PostgreSQL")
    e2e = shutil.which("redis-server") is not None
    out, err = StringIO(), StringIO()
    arguments = ["--quick", "--no-migrate", "--sizes", "10,30"]
    if not e2e:
        arguments.append("--skip-e2e")
    call_command("bench_engine", *arguments, stdout=out, stderr=err)
    text = out.getvalue()

    rows = table_rows(text, "live wf")
    assert [(row[0], row[1]) for row in rows] == [
        ("10", "single"),
        ("10", "burst"),
        ("30", "single"),
        ("30", "burst"),
    ]
    columns = table_rows(text, "live wf")
    by_key = {(row[0], row[1]): row for row in columns}
    for mode in ("single", "burst"):
        small, large = by_key[("10", mode)], by_key[("30", mode)]
        assert small[2] == large[2]  # the same events at both sizes
        assert median(small[6]) == median(large[6])  # floor statements/event
        assert 0 < median(small[6]) < median(small[5])  # the floor sends fewer statements
    # A burst is one transaction for many events: fewer statements per event.
    assert median(by_key[("10", "burst")][6]) < median(by_key[("10", "single")][6])
    assert "Same rows and events as the engine: yes." in text
    # The engine's queries per event do not grow with the live workflows.
    verdicts = [line for line in text.splitlines() if line.startswith("Engine queries/event")]
    assert len(verdicts) == 2
    assert all(line.endswith("live workflows: equal.") for line in verdicts)

    if e2e:
        loads = table_rows(text, "load")
        assert [row[0] for row in loads] == [
            "as fast as the API takes",
            "paced 30/s",
            "backlog, new worker",
        ]
        for row in loads:
            assert row[7] == "0"  # no message refused
            assert row[8] == "0"  # every event processed
        assert median(loads[0][1]) == 60

    # Everything the bench made is gone.
    assert not Workflow.all_objects.filter(name__startswith=WORKFLOW_PREFIX).exists()
    assert not Contact.objects.filter(email__endswith=CONTACT_DOMAIN).exists()
    assert not Conversation.objects.exists()
