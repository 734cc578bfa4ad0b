"""End to end: gunicorn (2 workers) + one Celery worker + beat on a Redis of the bench's
own + PostgreSQL; customer messages over the REST API, measured from the database.

Every process is started here (subprocess, each in its own process group) and stopped
here, whatever happens. The latency of a message is its event's `processed_at` minus its
`created_at` (both stamped by the application: `processed_at` is the moment processing
began, so the latency is the wait, a few milliseconds short of the commit).
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import requests
from django.conf import settings
from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone
from rest_framework.authtoken.models import Token

from config.celery import app as celery_app
from conversations.models import Event, EventType, Teammate
from workflows.bench.inprocess import open_conversations
from workflows.bench.report import percentile
from workflows.bench.workload import MESSAGES, TEAMMATE_NAME

STOP_TIMEOUT_SECONDS = 20
CLIENT_THREADS = 4


class EndToEndError(Exception):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


class Stack:
    """redis-server, gunicorn, a Celery worker and beat, as an operator starts them."""

    def __init__(self, *, broker_url: str | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="bench-engine-"))
        self.processes: dict[str, subprocess.Popen] = {}
        self.broker_url = broker_url
        self.base = ""

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def spawn(self, name: str, argv: list[str], env: dict, append=False) -> subprocess.Popen:
        log = open(self.dir / f"{name}.log", "a" if append else "w")  # noqa: SIM115 - lives with the process
        process = subprocess.Popen(
            argv,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped with its children
        )
        self.processes[name] = process
        return process

    def start(self) -> None:
        env = {**os.environ, "DATABASE_URL": database_url(), "VAR_DIR": str(self.dir)}
        env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        if self.broker_url is None:
            server = shutil.which("redis-server")
            if server is None:
                raise EndToEndError("no redis-server on PATH (or pass --e2e-broker URL)")
            port = free_port()
            self.spawn(
                "redis",
                [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(self.dir)],
                env,
            )  # fmt: skip
            self.broker_url = f"redis://127.0.0.1:{port}/0"
            self.wait(lambda: _redis_ready(port), "redis-server", 20)
        env["CELERY_BROKER_URL"] = self.broker_url
        self.env = env
        web_port = free_port()
        python = sys.executable
        self.spawn(
            "gunicorn",
            [python, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{web_port}",
             "--workers", "2"],
            env,
        )  # fmt: skip
        self.spawn(
            "worker",
            [python, "-m", "celery", "-A", "config", "worker", "--concurrency=1",
             "--without-mingle", "--without-gossip", "--loglevel=INFO"],
            env,
        )  # fmt: skip
        self.spawn(
            "beat",
            [python, "-m", "celery", "-A", "config", "beat",
             f"--schedule={self.dir / 'celerybeat-schedule'}", "--loglevel=INFO"],
            env,
        )  # fmt: skip
        self.base = f"http://127.0.0.1:{web_port}"

    def wait(self, predicate, what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise EndToEndError(f"{name} exited ({process.returncode})\n{self.logs()}")
            if predicate():
                return
            time.sleep(0.1)
        raise EndToEndError(f"{what} not ready within {timeout:.0f} s\n{self.logs()}")

    @contextlib.contextmanager
    def stopped(self, name: str):
        """Stop a process (a warm shutdown: it finishes its task and lets go of its locks),
        start it again on the way out."""
        process = self.processes[name]
        self.stop_process(process)
        try:
            yield
        finally:
            self.spawn(name, process.args, self.env, append=True)

    def stop_process(self, process) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def logs(self) -> str:
        return "\n".join(
            f"--- {name} ---\n{(self.dir / f'{name}.log').read_text(errors='replace')[-2000:]}"
            for name in self.processes
        )

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes = {}
        shutil.rmtree(self.dir, ignore_errors=True)


def _redis_ready(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class Load:
    """One load: messages sent, what the API answered, what the engine did of them."""

    sent: int = 0
    failed: int = 0
    seconds: float = 0.0  # first request sent to last answer
    events: int = 0  # events processed: the messages and the workflows' own changes
    processing_seconds: float = 0.0  # first message written to last event processed
    latencies: list = field(default_factory=list)  # message -> processed, seconds
    unprocessed: int = 0

    @property
    def accepted_rate(self) -> float:
        return (self.sent - self.failed) / self.seconds if self.seconds else 0.0

    @property
    def event_rate(self) -> float:
        return self.events / self.processing_seconds if self.processing_seconds else 0.0

    def latency(self, fraction: float) -> float:
        return percentile(self.latencies, fraction)


@dataclass
class EndToEnd:
    burst: Load
    paced: Load
    paced_rate: float
    backlog: Load | None = None


class Client:
    def __init__(self, base: str, token: str):
        self.base = base
        self.headers = {"Authorization": f"Token {token}"}
        self.local = threading.local()

    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
            self.local.session.headers.update(self.headers)
        return self.local.session

    def post_message(self, conversation_id: int, number: int) -> bool:
        try:
            answer = self.session().post(
                f"{self.base}/api/conversations/{conversation_id}/reply/",
                json={"type": "user", "body": MESSAGES[number % len(MESSAGES)]},
                timeout=60,
            )
        except requests.RequestException:
            return False
        return answer.status_code == 201

    def ready(self, conversation_id: int) -> bool:
        try:
            answer = self.session().get(
                f"{self.base}/api/conversations/{conversation_id}/", timeout=5
            )
        except requests.RequestException:
            return False
        return answer.status_code == 200


def api_token() -> str:
    teammate = Teammate.objects.filter(username=TEAMMATE_NAME).first()
    if teammate is None:
        teammate = Teammate.objects.create_user(username=TEAMMATE_NAME, is_workspace_admin=True)
    return Token.objects.get_or_create(user=teammate)[0].key


def pending(conversation_ids) -> int:
    return Event.objects.filter(
        conversation_id__in=conversation_ids, processed_at__isnull=True
    ).count()


def send(client: Client, jobs, *, rate: float | None) -> tuple[int, float]:
    """Post one message per job (a conversation id); paced at `rate` per second, or as fast
    as the API answers. Return (failures, seconds from first send to last answer)."""
    started = time.perf_counter()

    def one(index_job):
        index, conversation_id = index_job
        if rate is not None:
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        return client.post_message(conversation_id, index)

    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        answers = list(pool.map(one, enumerate(jobs)))
    return answers.count(False), time.perf_counter() - started


def queued(broker_url: str) -> int:
    """Tasks waiting in the broker's default queue (Redis)."""
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        return client.llen(celery_app.conf.task_default_queue or "celery")
    finally:
        client.close()


def settle(stack, conversation_ids, *, timeout: float) -> None:
    """Before a load: no event left and no task queued (the tasks a backlog left behind,
    most of them with nothing to do, would otherwise delay the next load's messages)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pending(conversation_ids) and not queued(stack.broker_url):
            return
        time.sleep(0.5)
    raise EndToEndError(f"the worker did not settle within {timeout:.0f} s\n{stack.logs()}")


def drain(conversation_ids, *, timeout: float) -> int:
    """Wait until the worker has processed every event; return how many are left."""
    deadline = time.monotonic() + timeout
    left = pending(conversation_ids)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = pending(conversation_ids)
    return left


def outcome(conversation_ids, since, load: Load) -> Load:
    events = Event.objects.filter(conversation_id__in=conversation_ids, created_at__gte=since)
    processed = events.filter(processed_at__isnull=False)
    rows = list(processed.values_list("event_type", "created_at", "processed_at"))
    load.events = len(rows)
    if rows:
        first = min(created for _, created, _ in rows)
        last = max(done for _, _, done in rows)
        load.processing_seconds = (last - first).total_seconds()
    load.latencies = [
        (done - created).total_seconds()
        for kind, created, done in rows
        if kind == EventType.CUSTOMER_MESSAGE
    ]
    load.unprocessed = events.filter(processed_at__isnull=True).count()
    return load


def run_end_to_end(
    stack: Stack,
    *,
    conversations: int,
    messages: int,
    paced_rate: float,
    paced_seconds: float,
    backlog_messages: int,
    contact_start: int,
    note,
) -> EndToEnd:
    """One run on `conversations` fresh conversations: `messages` as fast as the API takes
    them, drained; then `paced_rate` messages/s for `paced_seconds`, drained; then
    `backlog_messages` with the worker stopped, drained by a new worker: the worker's own
    rate, whatever the API's."""
    ids = open_conversations(conversations, contact_start)
    client = Client(stack.base, api_token())
    stack.wait(lambda: client.ready(ids[0]), "gunicorn", 60)
    # The whole path once (worker connected, catalog compiled) before measuring.
    if not client.post_message(ids[0], 0):
        raise EndToEndError(f"the API refused a message\n{stack.logs()}")
    stack.wait(lambda: pending(ids[:1]) == 0, "the worker", 120)
    settle(stack, ids, timeout=300)

    note(f"end to end: {messages} messages over the API across {conversations} conversations")
    jobs = [ids[number % conversations] for number in range(messages)]
    since = timezone.now()
    failed, seconds = send(client, jobs, rate=None)
    drain(ids, timeout=max(60.0, messages / 10))
    burst = outcome(ids, since, Load(sent=messages, failed=failed, seconds=seconds))

    settle(stack, ids, timeout=300)
    count = max(1, round(paced_rate * paced_seconds))
    note(f"end to end: {count} messages at {paced_rate:g}/s")
    jobs = [ids[number % conversations] for number in range(count)]
    since = timezone.now()
    failed, seconds = send(client, jobs, rate=paced_rate)
    drain(ids, timeout=max(60.0, count / 10))
    paced = outcome(ids, since, Load(sent=count, failed=failed, seconds=seconds))

    backlog = None
    if backlog_messages:
        settle(stack, ids, timeout=300)
        note(f"end to end: {backlog_messages} messages with the worker stopped, then a new one")
        jobs = [ids[number % conversations] for number in range(backlog_messages)]
        since = timezone.now()
        with stack.stopped("worker"):
            failed, seconds = send(client, jobs, rate=None)
        drain(ids, timeout=max(90.0, backlog_messages / 10))
        backlog = outcome(ids, since, Load(sent=backlog_messages, failed=failed, seconds=seconds))
        # Its rate: from the first event the new worker processed to the last.
        span = Event.objects.filter(conversation_id__in=ids, created_at__gte=since).aggregate(
            first=Min("processed_at"), last=Max("processed_at")
        )
        if span["last"] is not None:
            backlog.processing_seconds = (span["last"] - span["first"]).total_seconds()
    return EndToEnd(burst, paced, paced_rate, backlog)
