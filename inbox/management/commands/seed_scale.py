"""Seed many conversations (100,000 by default) for the inbox benchmark. PostgreSQL.

Rows are written with bulk inserts, not the services: this is load for measuring reads,
not a story. Every seeded row is marked so `--clear` removes them again.
"""

import random
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from conversations.models import ActorType, Contact, Conversation, Part, PartType, Team, Teammate
from workflows.engine.timers import snooze_timer
from workflows.models import Timer

MARK = "scale-seed"
BATCH = 5_000
MESSAGES = [
    "Where is my invoice?",
    "I can't log in",
    "Refund please",
    "Project question",
    "Thanks!",
]


class Command(BaseCommand):
    help = "Seed N conversations (default 100,000) with contacts and messages for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--conversations", type=int, default=100_000)
        parser.add_argument("--clear", action="store_true", help="remove the seeded rows")

    def handle(self, *args, conversations, clear, **options):
        if connection.vendor != "postgresql" and conversations > 5_000:
            raise CommandError("Seed at scale into PostgreSQL: set DATABASE_URL=postgres://…")
        if clear:
            deleted = Contact.objects.filter(external_id__startswith=MARK).count()
            Conversation.objects.filter(contact__external_id__startswith=MARK).delete()
            Contact.objects.filter(external_id__startswith=MARK).delete()
            self.stdout.write(f"Removed the seeded rows ({deleted} contacts).")
            return
        rng = random.Random(42)
        now = timezone.now()
        teammates = list(Teammate.objects.filter(is_active=True)) or [None]
        teams = list(Team.objects.all()) or [None]
        start = Contact.objects.filter(external_id__startswith=MARK).count()
        contact_count = max(1, conversations // 10)
        with transaction.atomic():
            contacts = Contact.objects.bulk_create(
                [
                    Contact(
                        name=f"Load Customer {start + i}",
                        email=f"load{start + i}@example.invalid",
                        external_id=f"{MARK}-{start + i}",
                        plan=rng.choice(["Free", "Pro", "Premium"]),
                    )
                    for i in range(contact_count)
                ],
                batch_size=BATCH,
            )
        made = 0
        while made < conversations:
            size = min(BATCH, conversations - made)
            with transaction.atomic():
                rows = []
                for _ in range(size):
                    created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 90))
                    state = rng.choices(["open", "closed", "snoozed"], [5, 4, 1])[0]
                    rows.append(
                        Conversation(
                            contact=rng.choice(contacts),
                            state=state,
                            snoozed_until=now + timedelta(days=1) if state == "snoozed" else None,
                            assignee=rng.choice(teammates) if rng.random() < 0.6 else None,
                            team=rng.choice(teams) if rng.random() < 0.7 else None,
                            created_at=created,
                            waiting_since=created if rng.random() < 0.5 else None,
                            first_customer_message_at=created,
                            last_customer_message_at=created,
                        )
                    )
                rows = Conversation.objects.bulk_create(rows, batch_size=BATCH)
                parts = []
                for conversation in rows:
                    for offset in range(3):
                        parts.append(
                            Part(
                                conversation=conversation,
                                part_type=PartType.CUSTOMER_MESSAGE
                                if offset != 1
                                else PartType.TEAMMATE_REPLY,
                                author_type=ActorType.CONTACT
                                if offset != 1
                                else ActorType.TEAMMATE,
                                body=rng.choice(MESSAGES),
                                created_at=conversation.created_at + timedelta(minutes=offset),
                            )
                        )
                Part.objects.bulk_create(parts, batch_size=BATCH)
                # A snooze ends on its timer (workflows/timers.py), as one set by a service.
                timers = [(c, snooze_timer(c.snoozed_until)) for c in rows if c.snoozed_until]
                Timer.objects.bulk_create(
                    [
                        Timer(
                            conversation=c,
                            kind=t.kind,
                            key=t.key,
                            due_at=t.due_at,
                            payload=t.payload,
                        )
                        for c, t in timers
                    ],
                    batch_size=BATCH,
                )
            made += size
            self.stdout.write(f"  {made:,} conversations")
        self.stdout.write(self.style.SUCCESS(f"Seeded {made:,} conversations."))
