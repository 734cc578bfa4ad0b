"""schemathesis with every check, stateful phase included, against the API served by
gunicorn (issue 11): no server error, no undocumented answer, no schema-valid request
refused beyond the allowances of schemathesis.toml, no schema-violating request accepted.

A bounded run for CI; raise SCHEMATHESIS_MAX_EXAMPLES (and change SCHEMATHESIS_SEED) to
dig deeper locally.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.authtoken.models import Token

from tests.factories import AdminFactory, ContactFactory, SlaPolicyFactory, TeamFactory

pytestmark = pytest.mark.integration

# Per operation and phase; about 3,000 requests, a couple of minutes on two busy cores.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "20"))
SEED = os.environ.get("SCHEMATHESIS_SEED", "1")
TIMEOUT_SECONDS = 600
# gunicorn's access log: one line per request ("GET /api/teams/?page=2 HTTP/1.1" 200 ...).
ACCESS_LINE = re.compile(r'"(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|TRACE|CONNECT) \S+ HTTP/')


def test_schemathesis_with_all_checks_finds_no_failure(celery_processes, gunicorn):
    admin = AdminFactory(username="schemathesis")
    TeamFactory(name="Support", members=[admin])
    SlaPolicyFactory(name="Premium Support")
    ContactFactory()
    token = Token.objects.create(user=admin).key
    base_dir = Path(settings.BASE_DIR)
    log = Path(celery_processes.processes["gunicorn"].log_path)
    requests_before = len(ACCESS_LINE.findall(log.read_text()))

    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "st"),
            "--config-file", str(base_dir / "schemathesis.toml"),
            "run", f"{gunicorn}/api/schema/?format=json",
            # No --checks: every check is on by default (schemathesis.toml says so), and a
            # command-line list would override its one per-operation exception.
            "--phases", "examples,coverage,fuzzing,stateful",
            "--max-examples", str(MAX_EXAMPLES),
            "--seed", SEED,
            "--generation-database", "none",
            "--header", f"Authorization: Token {token}",
            # One worker: with two, hypothesis' lambda descriptions race in the coverage
            # phase ("AST constructor recursion depth mismatch"), a runtime error of the tool.
            "--workers", "1",
            "--request-timeout", "30",
            # Every request and answer, for a failure's post-mortem.
            "--report", "ndjson", "--report-dir", str(log.parent / "schemathesis-report"),
        ],
        cwd=base_dir,
        env={**celery_processes.env, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
    )  # fmt: skip

    (log.parent / "schemathesis.txt").write_text(run.stdout + run.stderr)
    sent = len(ACCESS_LINE.findall(log.read_text())) - requests_before
    summary = run.stdout[run.stdout.find("=== SUMMARY") :] or run.stdout[-3000:]
    print(f"schemathesis sent {sent} requests (seed {SEED}, {MAX_EXAMPLES} examples)\n{summary}")
    assert run.returncode == 0, f"{run.stdout[-20000:]}\n{run.stderr[-3000:]}"
    assert "Stateful" in summary  # the stateful phase ran, not only the single requests
    assert sent > 0
