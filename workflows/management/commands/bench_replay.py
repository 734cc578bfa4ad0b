"""Replay's speed (API.md "Versions, replay and lint": over 10,000 events it answers in a
few seconds): N kept events of one trigger over 2,000 conversations, some of them with
runs, replayed as a draft of a live workflow (the draft and the live version judged,
the differences described) and as the live version; min / median / max of a few runs.

    DATABASE_URL=postgres://... python manage.py bench_replay [--events 10000] [--runs 5]

Everything it creates is rolled back at the end."""

import statistics
import time
from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from conversations.models import Contact, Conversation, Event
from workflows.engine.snapshot import snapshot
from workflows.models import ReplaySnapshot, WorkflowRun
from workflows.replay import replay
from workflows.services import workflow_create

CONVERSATIONS = 2000
PLANS = ("Pro", "Free", "Premium", "Team")


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time a replay over many kept events (PostgreSQL); the data is rolled back."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=10_000)
        parser.add_argument("--runs", type=int, default=5)

    def handle(self, *args, events, runs, **options):
        try:
            with transaction.atomic():
                self.bench(events, runs)
                raise Rollback
        except Rollback:
            pass

    def bench(self, count: int, repeats: int) -> None:
        now = timezone.now()
        workflow = workflow_create(
            document={
                "name": "Bench replay",
                "status": "live",
                "trigger": "customer_any_message",
                "frequency": "every_time",
                "audience": {"match": "all", "rules": [
                    {"attribute": "contact.plan", "operator": "is", "value": "Pro"},
                    {"attribute": "message.body", "operator": "contains", "value": "help"}]},
                "steps": [
                    {"type": "add_tag", "tag": "Bench"},
                    {"type": "branches", "branches": [
                        {"when": {"match": "all", "rules": [
                            {"attribute": "contact.monthly_spend", "operator": "gt",
                             "value": 100}]},
                         "steps": [{"type": "set_priority", "priority": True}]}],
                     "else": [{"type": "add_tag", "tag": "Small"}]},
                ],
            }
        )  # fmt: skip
        contacts = Contact.objects.bulk_create(
            Contact(name=f"Bench {n}", plan=PLANS[n % len(PLANS)]) for n in range(CONVERSATIONS)
        )
        conversations = Conversation.objects.bulk_create(
            Conversation(contact=contact) for contact in contacts
        )
        created = [now - timedelta(minutes=count - n) for n in range(count)]
        bodies = ("I need help", "Thanks", "help please", "Hello")
        events = Event.objects.bulk_create(
            Event(
                conversation=conversations[n % CONVERSATIONS],
                event_type="customer_message",
                actor_type="contact",
                payload={"body": bodies[n % len(bodies)]},
                created_at=created[n],
                processed_at=created[n],
            )
            for n in range(count)
        )
        snapshots = []
        for n, event in enumerate(events):
            contact = contacts[n % CONVERSATIONS]
            facts = {
                "contact.name": contact.name,
                "contact.plan": contact.plan,
                "contact.monthly_spend": Decimal(n % 300),
                "conversation.state": "open",
                "conversation.tags": {"bench"},
                "message.body": event.payload["body"],
                "message.author_type": "contact",
                "time.now": event.created_at,
                "contact.custom": {"seats": n % 50},
            }
            snapshots.append(
                ReplaySnapshot(
                    event=event,
                    triggers=",customer_any_message,",
                    facts=snapshot(facts),
                    created_at=event.created_at,
                )
            )
        ReplaySnapshot.objects.bulk_create(snapshots)
        WorkflowRun.objects.bulk_create(
            WorkflowRun(
                workflow=workflow,
                conversation_id=event.conversation_id,
                event=event,
                status="completed",
                started_at=event.created_at,
                ended_at=event.created_at,
            )
            for event in events[::7]
        )
        draft = {**workflow.document(), "audience": {"match": "all", "rules": []}}
        for label, document in (("draft vs live", draft), ("live version", None)):
            timings = []
            for _ in range(repeats):
                started = time.perf_counter()
                answer = replay(workflow, days=30, document=document)
                timings.append(time.perf_counter() - started)
            assert answer["events_examined"] == count
            self.stdout.write(
                f"replay of {count} events ({label}): min {min(timings):.2f} s, "
                f"median {statistics.median(timings):.2f} s, max {max(timings):.2f} s "
                f"(would start {answer['would_start']})"
            )
