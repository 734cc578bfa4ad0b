"""Demo people for `make run`: teams, teammates, companies, contacts and an SLA policy.

The demo conversations come after the example workflows (seed_demo_conversations in
workflows/), so the engine processes them as it would a customer's. Idempotent."""

from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction

from conversations.models import Company, Contact, SlaPolicy, Team, Teammate

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
# A visitor who has not given an email yet: the example "Ask for an email" workflow
# (workflows/demo.py) asks them for one, so the collect-data step can be tried.
DEMO_VISITOR = {"external_id": "demo-visitor", "name": "Robin Visitor", "plan": "Free"}


class Command(BaseCommand):
    help = "Load demo teams, teammates, companies and contacts (safe to run again)."

    def handle(self, *args, **options):
        with transaction.atomic():
            self.seed_teammates()
            self.seed_contacts()
            SlaPolicy.objects.get_or_create(
                name="Premium Support",
                defaults={
                    "first_reply": timedelta(minutes=30),
                    "next_reply": timedelta(hours=2),
                    "time_to_close": timedelta(days=1),
                },
            )
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
        visitor, _ = Contact.objects.get_or_create(
            external_id=DEMO_VISITOR["external_id"],
            defaults={"name": DEMO_VISITOR["name"], "plan": DEMO_VISITOR["plan"]},
        )
        contacts.append(visitor)
        return contacts
