"""Every factory in one place; related rows stay consistent through SubFactory."""

from datetime import timedelta
from decimal import Decimal

import factory

from conversations.models import (
    Company,
    Contact,
    Conversation,
    SlaPolicy,
    Tag,
    Team,
    Teammate,
)


class TeammateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Teammate
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"teammate{n}")
    first_name = factory.Faker("first_name")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("secret-pass-123")


class AdminFactory(TeammateFactory):
    is_workspace_admin = True
    is_staff = True
    is_superuser = True


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Team {n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    plan = "Pro"
    monthly_spend = Decimal("900.00")
    size = 50


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    plan = "Pro"
    monthly_spend = Decimal("600.00")
    company = factory.SubFactory(CompanyFactory)


class ConversationFactory(factory.django.DjangoModelFactory):
    """A bare conversation row; tests of behaviour open one through the services."""

    class Meta:
        model = Conversation

    contact = factory.SubFactory(ContactFactory)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"tag-{n}")


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"SLA {n}")
    first_reply = timedelta(minutes=30)
    next_reply = timedelta(hours=2)
    time_to_close = timedelta(days=1)
