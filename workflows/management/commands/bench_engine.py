"""`make bench`: the workflow engine's speed, honestly (DESIGN.md §9, issue 12).

In process, at each count of live workflows (10, 100, 1,000 by default; a few match
every message, the rest never do), for one message per transaction and for bursts of 20
messages per conversation committed at once: the engine
(`process_conversation_events`) and the plain-SQL floor (workflows/bench/floor.py) on
twin conversations with the same messages, **interleaved chunk by chunk**, so load on the
machine hits both alike. Events/s, queries/event and ms/event of each, and the ratio.

End to end: gunicorn (2 workers), one Celery worker (concurrency 1), beat, a
redis-server of its own and this PostgreSQL database; customer messages over the REST
API as fast as it takes them, then paced; events/s processed and message -> processed
latency.

Every figure is the median [min-max] of `--runs` runs. Every row the bench creates is
deleted at the end (and leftovers of an interrupted run at the start). PostgreSQL only.
"""

import signal
import time
from collections import Counter

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from workflows.bench import end_to_end, inprocess
from workflows.bench.floor import Floor
from workflows.bench.report import spread, table
from workflows.bench.workload import create_workflows, delete_bench_data, no_broker
from workflows.models import Workflow

QUICK = {
    "sizes": "10,30",
    "runs": 1,
    "pairs": 6,
    "messages": 2,
    "chunk": 3,
    "burst_pairs": 3,
    "burst_chunk": 2,
    "e2e_conversations": 5,
    "e2e_messages": 60,
    "paced_seconds": 2.0,
    "backlog_messages": 40,
}


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise CommandError(f"--sizes: whole numbers separated by commas, not {text!r}") from None
    if not sizes or sizes[0] < 1:
        raise CommandError("--sizes: at least one size, each 1 or more")
    return sizes


class Command(BaseCommand):
    help = (
        "The workflow engine against an honest plain-SQL floor (interleaved), at 10, 100 and "
        "1,000 live workflows, one message per transaction and bursts; and end to end over "
        "HTTP, Celery and Redis (PostgreSQL only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="10,100,1000", help="live workflow counts")
        parser.add_argument("--runs", type=int, default=3, help="runs of every figure")
        parser.add_argument(
            "--quick", action="store_true", help="tiny sizes, one run: a smoke test"
        )
        parser.add_argument(
            "--pairs", type=int, default=60, help="conversations (and as many twins), single"
        )
        parser.add_argument(
            "--messages", type=int, default=3, help="messages per conversation, single"
        )
        parser.add_argument(
            "--chunk", type=int, default=30, help="conversations per interleaved chunk, single"
        )
        parser.add_argument(
            "--burst-pairs", type=int, default=15, help="conversations (and twins), burst"
        )
        parser.add_argument(
            "--burst-chunk", type=int, default=5, help="conversations per chunk, burst"
        )
        parser.add_argument(
            "--matching", type=int, default=3, help="live workflows that match every message"
        )
        parser.add_argument("--e2e-conversations", type=int, default=100)
        parser.add_argument("--e2e-messages", type=int, default=2000)
        parser.add_argument("--paced-rate", type=float, default=30.0, help="messages/s offered")
        parser.add_argument("--paced-seconds", type=float, default=15.0)
        parser.add_argument(
            "--backlog-messages",
            type=int,
            default=300,
            help="messages sent with the worker stopped (0: no backlog run)",
        )
        parser.add_argument(
            "--e2e-broker",
            help="a Redis URL for the end-to-end run (default: a redis-server of its own)",
        )
        parser.add_argument("--skip-e2e", action="store_true", help="in process only")
        parser.add_argument("--no-migrate", action="store_true", help="skip manage.py migrate")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                f"make bench measures PostgreSQL, and DATABASE_URL points at {connection.vendor} "
                f"({connection.settings_dict['NAME']}). Create a scratch database and run e.g.\n"
                "  psql -h 127.0.0.1 -U postgres -c 'create database bench_scratch'\n"
                "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_scratch make bench"
            )
        if options["quick"]:
            for key, value in QUICK.items():
                if options[key] == self.default(key):
                    options[key] = value
        self.options = options
        self.started = time.monotonic()
        sizes = _sizes(options["sizes"])
        for key in ("runs", "pairs", "messages", "chunk", "burst_pairs", "burst_chunk"):
            if options[key] < 1:
                raise CommandError(f"--{key.replace('_', '-')} must be 1 or more")
        if sizes[0] < options["matching"]:
            raise CommandError(f"--sizes: each at least --matching ({options['matching']})")
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)

        # A SIGTERM unwinds like Ctrl-C: the processes it started stop, its rows go.
        signal.signal(signal.SIGTERM, _terminate)
        with no_broker():
            delete_bench_data()  # leftovers of an interrupted run
            foreign = Workflow.objects.filter(status="live").count()
            if foreign:
                raise CommandError(
                    f"The database has {foreign} live workflow(s) of its own: they would run on "
                    "the bench's conversations and change the counts. Use a scratch database."
                )
            try:
                measurements, e2e = self.run(sizes)
            finally:
                self.note("cleaning up: deleting the bench's workflows, conversations, contacts")
                delete_bench_data()
        self.report(sizes, measurements, e2e)

    def default(self, key):
        parser = self.create_parser("manage.py", "bench_engine")
        return parser.get_default(key)

    def note(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        self.stderr.write(f"bench [{elapsed:5.0f} s]: {text}")
        self.stderr.flush()

    # --- running ------------------------------------------------------------------------

    def next_contacts(self, count: int) -> int:
        start = self.contacts
        self.contacts += count
        return start

    def run(self, sizes):
        o = self.options
        self.contacts = 0
        floor = Floor()
        measurements, e2e = [], []
        created = 0
        for size in sizes:
            self.note(f"creating live workflows up to {size}")
            created = create_workflows(created, size, o["matching"])
            live = Workflow.objects.filter(status="live").count()
            if live != size:
                raise CommandError(f"expected {size} live workflows, found {live}")
            inprocess.warm_up(self.next_contacts(1))
            for run in range(o["runs"]):
                for mode, pairs, chunk in (
                    ("single", o["pairs"], o["chunk"]),
                    ("burst", o["burst_pairs"], o["burst_chunk"]),
                ):
                    self.note(f"{size} live workflows, {mode}, run {run + 1} of {o['runs']}")
                    measurements.append(
                        inprocess.measure(
                            floor=floor,
                            size=size,
                            mode=mode,
                            pairs=pairs,
                            messages=o["messages"],
                            chunk=chunk,
                            contact_start=self.next_contacts(2 * pairs),
                        )
                    )
            if size == sizes[0] and not o["skip_e2e"]:
                e2e = self.run_end_to_end()
        return measurements, e2e

    def run_end_to_end(self):
        o = self.options
        results = []
        self.note("end to end: starting redis-server, gunicorn, a Celery worker and beat")
        with end_to_end.Stack(broker_url=o["e2e_broker"]) as stack:
            for run in range(o["runs"]):
                self.note(f"end to end, run {run + 1} of {o['runs']}")
                results.append(
                    end_to_end.run_end_to_end(
                        stack,
                        conversations=o["e2e_conversations"],
                        messages=o["e2e_messages"],
                        paced_rate=o["paced_rate"],
                        paced_seconds=o["paced_seconds"],
                        backlog_messages=o["backlog_messages"],
                        contact_start=self.next_contacts(o["e2e_conversations"]),
                        note=self.note,
                    )
                )
        self.note("end to end: processes stopped")
        return results

    # --- the report ---------------------------------------------------------------------

    def report(self, sizes, measurements, e2e) -> None:
        o = self.options
        out = self.stdout.write
        out("")
        out(
            f"Workflow engine bench: {o['matching']} live workflows match every customer "
            "message (tag, priority, apply rules), the rest never do. "
            f"Median [min–max] of {o['runs']} run(s)."
        )
        out(
            f"single: {o['pairs']} conversations x {o['messages']} messages, one per "
            f"transaction, processed one call each; burst: {o['burst_pairs']} conversations x "
            f"{inprocess.BURST} messages committed at once, then processed. Events = the "
            "messages plus the events the workflows' own changes wrote. Engine and floor "
            f"alternate in chunks ({o['chunk']} / {o['burst_chunk']} conversations)."
        )
        out("")
        header = (
            "live wf",
            "mode",
            "events",
            "engine ev/s",
            "floor ev/s",
            "engine q/ev",
            "floor q/ev",
            "engine ms/ev",
            "floor ms/ev",
            "engine/floor",
        )
        rows = []
        groups = {}
        for m in measurements:
            groups.setdefault((m.size, m.mode), []).append(m)
        for (size, mode), group in groups.items():
            rows.append(
                (
                    f"{size:,}",
                    mode,
                    spread([m.engine.events for m in group], ",d"),
                    spread([m.engine.rate for m in group], ",.0f"),
                    spread([m.floor.rate for m in group], ",.0f"),
                    spread([m.engine.queries_per_event for m in group], ".2f"),
                    spread([m.floor.queries_per_event for m in group], ".2f"),
                    spread([m.engine.ms_per_event for m in group], ".2f"),
                    spread([m.floor.ms_per_event for m in group], ".2f"),
                    spread([m.ratio for m in group], ".2f") + "x",
                )
            )
        for line in table(header, rows):
            out(line)
        out("")
        same = all(m.same_rows for m in measurements) and all(
            m.engine.events == m.floor.events for m in measurements
        )
        out(
            "The floor: per conversation, one transaction of two statements on Django's "
            "connection — one read (the conversation FOR UPDATE with the contact's and "
            "company's facts, the catalog version, active runs, unfired timers, the workflows "
            "that ran before, tags, pending events, the ids of the tags to add by name, fresh "
            "ids from the sequences) and one write (data-modifying CTEs: the conversation "
            "UPDATE, tag links, parts, events, runs, log rows, timers, processed_at). Same rows "
            "and events as the engine: " + ("yes" if same else "NO") + "."
        )
        for mode in ("single", "burst"):
            first = [m for m in measurements if m.size == sizes[0] and m.mode == mode]
            last = [m for m in measurements if m.size == sizes[-1] and m.mode == mode]
            if not first or len(sizes) < 2:
                continue
            a = first[0].engine.steady_queries_per_event()
            b = last[0].engine.steady_queries_per_event()
            verdict = "equal" if abs(a - b) < 0.0005 else "NOT equal"
            out(
                f"Engine queries/event, {mode} (run 1, without the office-hours cache's "
                f"timed refreshes): {a:.3f} at {sizes[0]:,} and {b:.3f} at {sizes[-1]:,} live "
                f"workflows: {verdict}."
            )
        self.report_kinds(measurements, sizes)
        if e2e:
            self.report_end_to_end(e2e)

    def report_kinds(self, measurements, sizes) -> None:
        out = self.stdout.write
        for mode in ("single", "burst"):
            group = [m for m in measurements if m.size == sizes[-1] and m.mode == mode]
            if not group:
                continue
            m = group[0]
            out("")
            out(
                f"Statements per event by kind ({mode}, {sizes[-1]:,} live workflows, run 1; "
                f"{m.engine.events} engine events, {m.floor.events} floor events)"
            )
            kinds = Counter({f"engine  {k}": v for k, v in m.engine.queries.items()})
            kinds.update({f"floor   {k}": v for k, v in m.floor.queries.items()})
            events = {"engine": m.engine.events, "floor": m.floor.events}
            rows = [
                (kind, f"{count / events[kind.split()[0]]:.2f}")
                for kind, count in sorted(kinds.items(), key=lambda kv: (kv[0][:6], -kv[1]))
            ]
            for line in table(("statement", "per event"), rows):
                out(line)

    def report_end_to_end(self, e2e) -> None:
        o = self.options
        out = self.stdout.write
        out("")
        out(
            "End to end: gunicorn (2 workers) + 1 Celery worker (concurrency 1) + beat + its "
            f"own redis-server + PostgreSQL, {o['matching']} matching of {self.e2e_size()} live "
            f"workflows; {o['e2e_messages']:,} messages over POST /api/conversations/{{id}}/reply/ "
            f"across {o['e2e_conversations']} conversations ({end_to_end.CLIENT_THREADS} client "
            "threads), then paced, then a backlog sent while the worker is stopped: its events/s "
            "run from the first event a new worker processes to the last, the worker's own "
            "rate (the sweeps re-queue what waits meanwhile, as in production). Events "
            "processed/s: the messages' events and the workflows' own, first written to last "
            "processed. Latency = the message's event created_at -> processed_at."
        )
        header = (
            "load",
            "messages",
            "API msg/s",
            "events processed/s",
            "p50 s",
            "p95 s",
            "p99 s",
            "failed",
            "unprocessed",
        )
        rows = []
        for name, loads in (
            ("as fast as the API takes", [r.burst for r in e2e]),
            (f"paced {o['paced_rate']:g}/s", [r.paced for r in e2e]),
        ):
            rows.append(
                (
                    name,
                    spread([x.sent for x in loads], ",d"),
                    spread([x.accepted_rate for x in loads], ",.0f"),
                    spread([x.event_rate for x in loads], ",.0f"),
                    spread([x.latency(0.50) for x in loads], ".2f"),
                    spread([x.latency(0.95) for x in loads], ".2f"),
                    spread([x.latency(0.99) for x in loads], ".2f"),
                    spread([x.failed for x in loads], "d"),
                    spread([x.unprocessed for x in loads], "d"),
                )
            )
        backlogs = [r.backlog for r in e2e if r.backlog is not None]
        if backlogs:
            rows.append(
                (
                    "backlog, new worker",
                    spread([x.sent for x in backlogs], ",d"),
                    spread([x.accepted_rate for x in backlogs], ",.0f"),
                    spread([x.event_rate for x in backlogs], ",.0f"),
                    "-",
                    "-",
                    "-",
                    spread([x.failed for x in backlogs], "d"),
                    spread([x.unprocessed for x in backlogs], "d"),
                )
            )
        for line in table(header, rows):
            out(line)

    def e2e_size(self) -> int:
        return _sizes(self.options["sizes"])[0]
