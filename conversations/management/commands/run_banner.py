"""`make run`'s last word: once the web server answers, the URL and the demo logins.

A Procfile process of its own, so the lines come after the start-up banners of the web
server, the worker and beat instead of scrolling away under them."""

import signal
import time
import urllib.error
import urllib.request

from django.core.management.base import BaseCommand

from conversations.management.commands.seed_demo import DEMO_PASSWORD, DEMO_TEAMMATES

# How often to knock, and for how long a worker and beat get to print their banners
# after the web server answers (they start at the same time and take about as long).
POLL_SECONDS = 0.5
SETTLE_SECONDS = 2.0


def answers(url: str) -> bool:
    """True once anything answers HTTP at `url` (a redirect or an error page counts)."""
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


class Command(BaseCommand):
    help = "Wait until the web server answers, print its URL and the demo logins, then idle."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")
        parser.add_argument(
            "--once", action="store_true", help="Exit after printing (honcho would stop)."
        )

    def handle(self, *args, url, once, **options):
        while not answers(url):
            time.sleep(POLL_SECONDS)
        time.sleep(SETTLE_SECONDS)
        root = url.rstrip("/")
        lines = [
            "",
            f"Inbox Workflows is up at {root}/",
            f"  Inbox {root}/inbox/   Workflows {root}/workflows/   "
            f"Messenger {root}/messenger/   Django admin {root}/admin/",
            f"  Demo logins (password {DEMO_PASSWORD}):",
        ]
        for username, _, is_admin, teams in DEMO_TEAMMATES:
            role = "workspace admin" if is_admin else "teammate"
            lines.append(f"    {username:6} {role:16} {', '.join(teams)}")
        lines.append("")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
        self.stdout.flush()
        if not once:
            # honcho stops every process when one exits: stay until it stops us.
            signal.pause()
