"""Real Celery workers (and beat), as subprocesses, on the configured broker and the test
database: what production runs, started the way an operator starts them."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app

STOP_TIMEOUT_SECONDS = 20  # a warm shutdown before we kill
# A task the broker lost holds its conversation back this long at most (coalescing,
# conversations/dispatch.py), in the test process and the ones it starts alike.
QUEUED_MARKER_SECONDS = 10


def database_url_of_test_database() -> str:
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class CeleryProcesses:
    """Starts `celery -A config worker|beat` processes; stops whatever is left at the end."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen] = {}
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url_of_test_database(),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "VAR_DIR": str(settings.VAR_DIR),
            # Fast sweeps, so a lost task is picked up within the test's patience.
            "SWEEP_INTERVAL_SECONDS": "1",
            "EVENT_REDISPATCH_AFTER_SECONDS": "2",
            "QUEUED_MARKER_SECONDS": str(QUEUED_MARKER_SECONDS),
        }

    def start(self, name: str, *arguments: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "w")  # noqa: SIM115 - lives with the process
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", *arguments],
            cwd=Path(settings.BASE_DIR),
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: we can kill it with its children
        )
        process.log_path = self.log_dir / f"{name}.log"
        self.processes[name] = process
        return process

    def worker(self, name: str = "worker") -> subprocess.Popen:
        return self.start(
            name, "worker", "--concurrency=1", "--without-mingle", "--without-gossip",
            f"--hostname={name}@%h", "--loglevel=INFO",
        )  # fmt: skip

    def beat(self) -> subprocess.Popen:
        schedule = self.log_dir / "celerybeat-schedule"
        return self.start("beat", "beat", f"--schedule={schedule}", "--loglevel=INFO")

    def kill(self, name: str) -> None:
        """SIGKILL the whole process group: no warm shutdown, no acknowledgement."""
        os.killpg(self.processes[name].pid, signal.SIGKILL)
        self.processes[name].wait()

    def logs(self) -> str:
        return "\n".join(
            f"--- {name} ---\n{process.log_path.read_text()[-3000:]}"
            for name, process in self.processes.items()
        )

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def celery_processes(transactional_db, tmp_path, settings):
    """Tasks go to the broker (not inline) and real processes take them."""
    celery_app.conf.task_always_eager = False
    settings.QUEUED_MARKER_SECONDS = QUEUED_MARKER_SECONDS
    processes = CeleryProcesses(tmp_path)
    yield processes
    processes.stop_all()


@pytest.fixture
def real_broker(celery_processes):
    """One worker, as `celery -A config worker` would run it."""
    celery_processes.worker()
    return celery_processes


def wait_for(predicate, *, timeout: float, processes: CeleryProcesses, interval: float = 0.25):
    """Poll until predicate() is true; fail with the processes' logs when it never is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s\n{processes.logs()}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def gunicorn(celery_processes):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--access-logfile", "-"],
        cwd=settings.BASE_DIR,
        env=celery_processes.env,
        stdout=open(celery_processes.log_dir / "gunicorn.log", "w"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    process.log_path = celery_processes.log_dir / "gunicorn.log"
    celery_processes.processes["gunicorn"] = process
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            # The first schema request builds it: slow on a busy machine.
            requests.get(f"{base}/api/schema/", timeout=10)
            break
        except requests.RequestException:
            time.sleep(0.2)
    return base
