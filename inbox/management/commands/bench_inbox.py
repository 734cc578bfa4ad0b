"""Server time and SQL queries of the inbox pages at the current size (see seed_scale)."""

import statistics
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from conversations.models import Conversation, Teammate

REPEATS = 5


class Command(BaseCommand):
    help = "Print the server time and query count of the inbox list and conversation pages."

    def handle(self, *args, **options):
        teammate = Teammate.objects.filter(is_active=True).order_by("pk").first()
        conversation = Conversation.objects.order_by("-pk").first()
        if teammate is None or conversation is None:
            raise CommandError("Seed first: manage.py seed_demo and manage.py seed_scale")
        client = Client()
        client.force_login(teammate)
        total = Conversation.objects.count()
        pages = {
            "inbox list, all open, waiting longest": reverse("inbox:list")
            + "?view=all&sort=waiting",
            "inbox list, all open, newest": reverse("inbox:list") + "?view=all&sort=newest",
            "inbox list, your inbox": reverse("inbox:list") + "?view=mine",
            "inbox list, closed": reverse("inbox:list") + "?view=all&state=closed",
            "inbox list, search a common word": reverse("inbox:list") + "?view=all&q=refund",
            "inbox list, search a name from yours": reverse("inbox:list")
            + "?view=mine&q=Load+Customer+4242",
            "inbox list, search an email": reverse("inbox:list") + "?q=load777@example",
            "inbox list, search a rare word": reverse("inbox:list") + "?q=zebra",
            "inbox counts (polled)": reverse("inbox:list") + "?partial=nav&view=mine",
            "conversation page": reverse("inbox:conversation", args=[conversation.pk]),
        }
        self.stdout.write(f"Inbox pages with {total:,} conversations ({connection.vendor}):")
        # SQL ms: the database's share (the queries' time), apart from Python and templates.
        self.stdout.write(
            f"{'page':40} | {'median ms':>9} | {'max ms':>7} | {'SQL ms':>6} | queries"
        )
        with override_settings(ALLOWED_HOSTS=["*"]):
            for name, url in pages.items():
                timings, sql_timings = [], []
                for _ in range(REPEATS):
                    with CaptureQueriesContext(connection) as queries:
                        started = time.perf_counter()
                        # A partial is what htmx polls for.
                        headers = {"HX-Request": "true"} if "partial=" in url else {}
                        response = client.get(url, headers=headers)
                        timings.append((time.perf_counter() - started) * 1000)
                    sql_timings.append(
                        sum(float(q["time"]) for q in queries.captured_queries) * 1000
                    )
                    if response.status_code != 200:
                        raise CommandError(f"{url} answered {response.status_code}")
                median, worst = statistics.median(timings), max(timings)
                sql = statistics.median(sql_timings)
                self.stdout.write(
                    f"{name:40} | {median:9.1f} | {worst:7.1f} | {sql:6.1f} | {len(queries)}"
                )
