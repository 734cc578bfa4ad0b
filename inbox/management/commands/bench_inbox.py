"""Server time and SQL queries of the inbox pages at the current size (see seed_scale).

Each request goes through the whole Django stack (middleware, session, view, templates)
in this process, without a network or a web server: what the server spends on it. The
pages are requested in interleaved rounds (list, search, list, … then again), so a burst
of load on a shared machine spreads over every page instead of spoiling one; the first
round only warms up (connections, template and URL caches) and is not counted.
"""

import os
import statistics
import time
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from conversations.models import Conversation, Teammate

ROUNDS = 9
# What the issue asks of the list and search: under this much server time.
TARGET_MS = 50


class QueryTimer:
    """Counts and times every SQL statement (a connection.execute_wrapper): the
    database's share of a request, apart from Python and templates."""

    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


@contextmanager
def timed_queries():
    timer = QueryTimer()
    with connection.execute_wrapper(timer):
        yield timer


def pages() -> dict[str, str]:
    inbox = reverse("inbox:list")
    conversation = Conversation.objects.order_by("-pk").first()
    return {
        "list, all open, waiting longest": inbox + "?view=all&sort=waiting",
        "list, all open, newest": inbox + "?view=all&sort=newest",
        "list, your inbox, waiting longest": inbox + "?view=mine&sort=waiting",
        "list, your inbox, newest": inbox + "?view=mine&sort=newest",
        "list, closed, newest": inbox + "?view=all&state=closed&sort=newest",
        "list, polled fragment": inbox + "?view=all&sort=waiting&partial=list",
        "search, a common word": inbox + "?view=all&q=refund",
        "search, a name": inbox + "?view=mine&q=Load+Customer+4242",
        "search, an email": inbox + "?q=load777@example",
        "search, a rare word": inbox + "?q=zebra",
        "counts (polled)": inbox + "?partial=nav&view=mine",
        "conversation page": reverse("inbox:conversation", args=[conversation.pk]),
    }


class Command(BaseCommand):
    help = "Print the server time (min/median/max, DB and Python) and queries of the inbox."

    def add_arguments(self, parser):
        parser.add_argument("--rounds", type=int, default=ROUNDS)

    def handle(self, *args, rounds, **options):
        teammate = Teammate.objects.filter(is_active=True).order_by("pk").first()
        if teammate is None or not Conversation.objects.exists():
            raise CommandError("Seed first: manage.py seed_demo and manage.py seed_scale")
        client = Client()
        client.force_login(teammate)
        urls = pages()
        samples = {name: [] for name in urls}  # (total ms, DB ms, queries, CPU ms) per round
        with override_settings(ALLOWED_HOSTS=["*"]):
            for round_number in range(rounds + 1):
                for name, url in urls.items():
                    # A partial is what htmx polls for.
                    headers = {"HX-Request": "true"} if "partial=" in url else {}
                    with timed_queries() as queries:
                        started, cpu_started = time.perf_counter(), time.process_time()
                        response = client.get(url, headers=headers)
                        total = (time.perf_counter() - started) * 1000
                        cpu = (time.process_time() - cpu_started) * 1000
                    if response.status_code != 200:
                        raise CommandError(f"{url} answered {response.status_code}")
                    if round_number:  # round 0 warms up
                        samples[name].append((total, queries.seconds * 1000, queries.count, cpu))
        self.report(samples, rounds)

    def report(self, samples: dict, rounds: int) -> None:
        total = Conversation.objects.count()
        self.stdout.write(
            f"Inbox server time with {total:,} conversations ({connection.vendor}), "
            f"{rounds} interleaved rounds after one warm-up; ms per request. DB: time in "
            "SQL statements; Python: the rest (middleware, view, templates); CPU: this "
            "process's CPU time, which a busy machine does not inflate. Load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs."
        )
        self.stdout.write(
            f"{'page':34} | {'min':>6} | {'median':>6} | {'max':>6} | {'DB med':>6} | "
            f"{'Py med':>6} | {'CPU med':>7} | queries"
        )
        worst_median = 0.0
        for name, rows in samples.items():
            totals = [row[0] for row in rows]
            db = statistics.median(row[1] for row in rows)
            python = statistics.median(row[0] - row[1] for row in rows)
            counts = sorted({row[2] for row in rows})
            cpu = statistics.median(row[3] for row in rows)
            median = statistics.median(totals)
            if name.startswith(("list", "search")):
                worst_median = max(worst_median, median)
            self.stdout.write(
                f"{name:34} | {min(totals):6.1f} | {median:6.1f} | {max(totals):6.1f} | "
                f"{db:6.1f} | {python:6.1f} | {cpu:7.1f} | {'/'.join(map(str, counts))}"
            )
        verdict = "under" if worst_median < TARGET_MS else "OVER"
        self.stdout.write(
            f"Slowest list or search median: {worst_median:.1f} ms, {verdict} the "
            f"{TARGET_MS} ms target."
        )
