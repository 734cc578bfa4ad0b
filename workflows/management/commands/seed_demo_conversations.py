"""The demo conversations, made after the example workflows and processed by them."""

import logging
import random
from contextlib import contextmanager
from datetime import timedelta

import time_machine
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from config.celery import app as celery_app
from conversations import services
from conversations.actors import Actor
from conversations.models import Contact, Conversation, Team, Teammate
from workflows.demo import (
    DEMO_CONVERSATION_COUNT,
    DEMO_CONVERSATIONS,
    DEMO_REPLIES,
    DEMO_VISITOR_CONVERSATION,
    DEMO_VISITOR_EMAIL,
)
from workflows.models import WorkflowRun
from workflows.processing import process_conversation_events


@contextmanager
def tasks_inline():
    """Run the tasks each change sends (after its commit) in this process, as a worker
    would: the demo is processed by the engine before `make run` starts, through the
    same signal, dispatch and task as a customer's message, and no broker is needed."""
    conf = celery_app.conf
    before = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager, conf.task_eager_propagates = True, True
    # Not a "Task … succeeded" line for each of the ~150 tasks (failures still show).
    trace_logger = logging.getLogger("celery.app.trace")
    level = trace_logger.level
    trace_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        conf.task_always_eager, conf.task_eager_propagates = before
        trace_logger.setLevel(level)


@contextmanager
def at(when, conversation=None):
    """Make changes back at `when`, so the timelines look like a real day's work, and have
    the engine process them at that time, as a worker would have. (The task each change
    sends runs after its commit; called inside a transaction, as in the tests, that
    is only at its end, so the conversation is processed here as well: the second time
    finds nothing to do.) A conversation made inside is appended to the list yielded."""
    made = [conversation] if conversation is not None else []
    with time_machine.travel(when, tick=False):
        yield made
        for each in made:
            process_conversation_events(each.pk)


class Command(BaseCommand):
    help = "Load the demo conversations, processed by the live workflows (once only)."

    def handle(self, *args, **options):
        contacts = list(
            Contact.objects.filter(external_id__startswith="demo-")
            .exclude(external_id="demo-visitor")
            .order_by("pk")
        )
        visitor = Contact.objects.filter(external_id="demo-visitor").first()
        if not contacts or visitor is None:
            raise CommandError("Run `manage.py seed_demo` first: the demo contacts are missing.")
        if Conversation.objects.filter(contact__in=[*contacts, visitor]).exists():
            self.stdout.write("Demo conversations already present.")
            return
        with tasks_inline():
            conversations = self.seed(contacts, visitor)
            # Timers that fell due since (SLA targets of the day's history) fire now.
            for conversation in conversations:
                process_conversation_events(conversation.pk)
        runs = WorkflowRun.objects.filter(conversation__in=conversations).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(conversations)} demo conversations added; the workflows ran {runs} times."
            )
        )

    def seed(self, contacts, visitor) -> list[Conversation]:
        rng = random.Random(7)
        now = timezone.now()
        staff = list(Teammate.objects.filter(username__in=["ada", "ben", "cleo", "dev"]))
        team_support = Team.objects.get(name="Support")
        made = []
        for index in range(DEMO_CONVERSATION_COUNT):
            contact = contacts[index % len(contacts)]
            started = now - timedelta(
                hours=DEMO_CONVERSATION_COUNT - index, minutes=rng.randint(0, 50)
            )
            script = DEMO_CONVERSATIONS[index % len(DEMO_CONVERSATIONS)]
            conversation = self.customer_writes(contact, script, started)
            with at(started + timedelta(minutes=12), conversation):
                self.vary(conversation, index, rng, staff, team_support, now)
            made.append(conversation)
        started = now - timedelta(minutes=40)
        conversation = self.customer_writes(visitor, DEMO_VISITOR_CONVERSATION, started)
        with at(started + timedelta(minutes=2), conversation):
            services.conversation_customer_message(
                conversation=conversation, body=DEMO_VISITOR_EMAIL
            )
        made.append(conversation)
        return made

    def customer_writes(self, contact, script, started) -> Conversation:
        """The customer opens the conversation and presses a button of the Greeting."""
        title, body, choice = script
        with at(started) as processed:
            conversation = services.conversation_open(contact=contact, body=body, title=title)
            processed.append(conversation)
        if choice:
            with at(started + timedelta(minutes=1), conversation):
                services.conversation_customer_message(conversation=conversation, body=choice)
        return conversation

    def vary(self, conversation, index, rng, staff, team_support, now) -> None:
        """What teammates did next: nothing, assign, reply, tag, note, snooze, close."""
        teammate = staff[index % len(staff)]
        acting = Actor.teammate(teammate)
        kind = index % 6
        if kind == 0:
            return  # open, waiting for a teammate
        services.conversation_assign(
            conversation=conversation,
            assignee=teammate,
            team=teammate.teams.first(),
            acting=acting,
        )
        if kind >= 2:
            services.conversation_teammate_reply(
                conversation=conversation, teammate=teammate, body=rng.choice(DEMO_REPLIES)
            )
        if kind == 2:
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
