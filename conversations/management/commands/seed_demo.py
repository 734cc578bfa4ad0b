"""Demo data for `make run`: teams, teammates, contacts and conversations. Idempotent."""

import random
from datetime import timedelta
from decimal import Decimal

import time_machine
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from conversations import services
from conversations.actors import Actor
from conversations.models import (
    Company,
    Contact,
    Conversation,
    Event,
    SlaPolicy,
    Team,
    Teammate,
)

# (username, first name, is workspace admin, teams); every password is DEMO_PASSWORD.
DEMO_TEAMMATES = [
    ("ada", "Ada", True, ["Support"]),
    ("ben", "Ben", False, ["Support"]),
    ("cleo", "Cleo", False, ["Billing"]),
    ("dev", "Dev", False, ["Support", "Billing"]),
]
DEMO_PASSWORD = "inbox-demo"
DEMO_COMPANIES = [
    ("Acme Corp", "Premium", "2400.00", 250),
    ("Globex", "Pro", "900.00", 80),
    ("Initech", "Pro", "450.00", 40),
    ("Umbrella Ltd", "Free", "0.00", 12),
]
FIRST_NAMES = ["Maya", "Liam", "Noor", "Jonas", "Aiko", "Carlos", "Ines", "Tariq", "Zoe", "Femi"]
LAST_NAMES = ["Okafor", "Lindqvist"]
PLANS = [("Free", "0"), ("Pro", "320"), ("Pro", "780"), ("Premium", "1500"), ("Pro", "510")]
CONTACT_COUNT = 20
CONVERSATION_COUNT = 30
FIRST_MESSAGES = [
    "Hi! I can't log in since this morning.",
    "Can I get an invoice for last month?",
    "We'd like to start a new project with your team.",
    "How do I add a teammate to my account?",
    "The export to CSV times out for me.",
    "Is there a discount for annual plans?",
    "Our project dashboard shows the wrong numbers.",
    "Where can I change my billing email?",
]
REPLIES = [
    "Thanks for reaching out! Let me check that for you.",
    "I've sent that over by email just now.",
    "Could you tell me which browser you are using?",
]


class Command(BaseCommand):
    help = "Load demo teams, teammates, contacts and conversations (safe to run again)."

    def handle(self, *args, **options):
        with transaction.atomic():
            teammates = self.seed_teammates()
            contacts = self.seed_contacts()
            SlaPolicy.objects.get_or_create(
                name="Premium Support",
                defaults={
                    "first_reply": timedelta(minutes=30),
                    "next_reply": timedelta(hours=2),
                    "time_to_close": timedelta(days=1),
                },
            )
        if Conversation.objects.filter(contact__in=contacts).exists():
            self.stdout.write("Demo conversations already present.")
        else:
            self.seed_conversations(teammates, contacts)
            # The demo conversations are history: their events were handled long ago, so
            # today's workflows do not act on day-old messages when the worker starts.
            Event.objects.filter(
                conversation__contact__in=contacts, processed_at__isnull=True
            ).update(processed_at=timezone.now())
        self.stdout.write(self.style.SUCCESS("Demo data ready. Logins (password: inbox-demo):"))
        for username, _, is_admin, teams in DEMO_TEAMMATES:
            role = "workspace admin" if is_admin else "teammate"
            self.stdout.write(f"  {username:6} {role:16} {', '.join(teams)}")

    def seed_teammates(self) -> dict[str, Teammate]:
        teams = {name: Team.objects.get_or_create(name=name)[0] for name in ("Support", "Billing")}
        teammates = {}
        for username, first_name, is_admin, team_names in DEMO_TEAMMATES:
            teammate, created = Teammate.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first_name,
                    "email": f"{username}@example.com",
                    "is_workspace_admin": is_admin,
                    "is_staff": is_admin,
                    "is_superuser": is_admin,
                },
            )
            if created:
                teammate.set_password(DEMO_PASSWORD)
                teammate.save(update_fields=["password"])
            for name in team_names:
                teams[name].members.add(teammate)
            teammates[username] = teammate
        return teammates

    def seed_contacts(self) -> list[Contact]:
        companies = [
            Company.objects.get_or_create(
                name=name,
                defaults={"plan": plan, "monthly_spend": Decimal(spend), "size": size},
            )[0]
            for name, plan, spend, size in DEMO_COMPANIES
        ]
        contacts = []
        for index in range(CONTACT_COUNT):
            first = FIRST_NAMES[index % len(FIRST_NAMES)]
            last = LAST_NAMES[index // len(FIRST_NAMES)]
            plan, spend = PLANS[index % len(PLANS)]
            contact, _ = Contact.objects.get_or_create(
                external_id=f"demo-{index + 1}",
                defaults={
                    "name": f"{first} {last}",
                    "email": f"{first.lower()}.{last.lower()}@example.com",
                    "role": Contact.Role.LEAD if index % 7 == 6 else Contact.Role.USER,
                    "plan": plan,
                    "monthly_spend": Decimal(spend),
                    "company": companies[index % len(companies)],
                    "custom_attributes": {"language": "en" if index % 3 else "de"},
                },
            )
            contacts.append(contact)
        return contacts

    def seed_conversations(self, teammates, contacts) -> None:
        """Thirty conversations in varied states, each made through the services."""
        rng = random.Random(7)
        now = timezone.now()
        team_support = Team.objects.get(name="Support")
        staff = list(teammates.values())
        for index in range(CONVERSATION_COUNT):
            contact = contacts[index % len(contacts)]
            started = now - timedelta(hours=CONVERSATION_COUNT - index, minutes=rng.randint(0, 50))
            # Travel back so the timeline and "waiting since" look like a real day's work.
            with time_machine.travel(started, tick=False):
                conversation = services.conversation_open(
                    contact=contact, body=FIRST_MESSAGES[index % len(FIRST_MESSAGES)]
                )
            with time_machine.travel(started + timedelta(minutes=12), tick=False):
                self.vary(conversation, index, rng, staff, team_support, now)

    def vary(self, conversation, index, rng, staff, team_support, now) -> None:
        teammate = staff[index % len(staff)]
        acting = Actor.teammate(teammate)
        kind = index % 6
        if kind == 0:
            return  # open, unassigned, waiting
        services.conversation_assign(
            conversation=conversation,
            assignee=teammate,
            team=teammate.teams.first(),
            acting=acting,
        )
        if kind >= 2:
            services.conversation_teammate_reply(
                conversation=conversation, teammate=teammate, body=rng.choice(REPLIES)
            )
        if kind == 2:
            services.conversation_add_tag(conversation=conversation, name="Billing", acting=acting)
            services.conversation_set_priority(
                conversation=conversation, priority=True, acting=acting
            )
        elif kind == 3:
            services.conversation_add_note(
                conversation=conversation, body="Customer is on the annual plan.", acting=acting
            )
            services.conversation_snooze(
                conversation=conversation, until=now + timedelta(hours=4 + index), acting=acting
            )
        elif kind == 4:
            services.conversation_close(conversation=conversation, acting=acting)
        elif kind == 5:
            services.conversation_assign(
                conversation=conversation, team=team_support, acting=acting
            )
            services.conversation_customer_message(
                conversation=conversation, body="Thanks, that helped. One more question though."
            )
