"""A real Celery worker, as a subprocess, on the configured broker and the test database."""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

WORKER_STOP_TIMEOUT = 20  # seconds to wait for a warm shutdown before killing


def database_url_of_test_database() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="module")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """Start `celery -A config worker` against the test database; stop it afterwards."""
    with django_db_blocker.unblock():
        database_url = database_url_of_test_database()
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "VAR_DIR": str(settings.VAR_DIR),
    }
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "config", "worker",
                "--concurrency=1", "--without-mingle", "--without-gossip", "--loglevel=INFO",
            ],
            cwd=Path(settings.BASE_DIR),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    process.log_path = log_path
    yield process
    process.terminate()
    try:
        process.wait(WORKER_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def real_broker(celery_worker_process):
    """Send tasks to the broker for the worker, not inline."""
    celery_app.conf.task_always_eager = False
    return celery_worker_process


def wait_for(predicate, *, timeout: float, worker=None, interval: float = 0.2):
    """Poll until predicate() is true; fail with the worker's log when it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if worker is not None and worker.poll() is not None:
            break
        time.sleep(interval)
    log = worker.log_path.read_text()[-4000:] if worker is not None else ""
    pytest.fail(f"condition not met within {timeout}s; worker log tail:\n{log}")
