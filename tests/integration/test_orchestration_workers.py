"""The seed scenarios through real workers: two of them on the real broker, concurrent
events for the same conversations, and a worker killed in the middle of a burst."""

import time

import pytest

from conversations import services
from conversations.models import ActorType, Event
from tests.factories import ContactFactory, SlaPolicyFactory, TeamFactory, TeammateFactory
from tests.integration.conftest import wait_for
from tests.workflows.helpers import make_workflow, runs_of, tag_names
from workflows.models import WorkflowLog, WorkflowRun

pytestmark = pytest.mark.integration

TIMEOUT_SECONDS = 120
MESSAGES_PER_CONVERSATION = 4


def seed_workflows():
    """The seed article's examples (a, b, d, e) plus a counter of every message."""
    ben = TeammateFactory(username="ben")
    TeamFactory(name="Support", members=[ben])
    SlaPolicyFactory(name="Premium Support")
    make_workflow(
        "Route Pro",
        trigger="customer_first_message",
        audience={"match": "all", "rules": [
            {"attribute": "contact.plan", "operator": "is", "value": "Pro"},
            {"attribute": "contact.monthly_spend", "operator": "gt", "value": 500},
        ]},
        steps=[
            {"type": "add_tag", "tag": "VIP"},
            {"type": "apply_rules", "rules": [
                {"when": {"match": "all", "rules": [
                    {"attribute": "contact.plan", "operator": "is", "value": "Premium"}]},
                 "steps": [{"type": "apply_sla", "sla": "Premium Support"}]},
                {"when": {"match": "all", "rules": [
                    {"attribute": "message.body", "operator": "contains", "value": "project"}]},
                 "steps": [{"type": "add_tag", "tag": "Projects"}]},
            ]},
            {"type": "assign", "team": "Support"},
        ],
    )  # fmt: skip
    make_workflow(
        "Ask which team",
        trigger="customer_first_message",
        steps=[{"type": "reply_buttons", "body": "Sales or support?", "buttons": [
            {"label": "Support", "steps": [{"type": "add_tag", "tag": "Chose support"}]},
        ]}],
    )  # fmt: skip
    make_workflow(
        "Greet", trigger="customer_first_message", steps=[{"type": "send_message", "body": "Hi"}]
    )
    make_workflow(
        "Count messages",
        frequency="every_time",
        steps=[{"type": "add_note", "body": "counted"}],
    )


def questions_asked(conversations):
    """The choice must come after the question: only later messages answer it."""
    return all(
        conversation.parts.filter(part_type="bot_message").exists()
        for conversation in conversations
    )


def burst(conversations, messages=MESSAGES_PER_CONVERSATION):
    """Each conversation has its first message about a project; then the others, the
    first of them choosing the Support button. Interleaved across conversations."""
    for number in range(1, messages):
        for conversation in conversations:
            body = "Support" if number == 1 else f"message {number}"
            services.conversation_customer_message(conversation=conversation, body=body)


def open_conversations(count):
    return [
        services.conversation_open(
            contact=ContactFactory(plan="Pro", monthly_spend=900), body="About my project"
        )
        for _ in range(count)
    ]


def all_processed():
    return not Event.objects.filter(processed_at__isnull=True).exists()


def assert_each_applied_once_in_order(conversations):
    for conversation in conversations:
        conversation.refresh_from_db()
        # Seed a and b: targeting matched, apply rules tagged Projects, assigned Support.
        assert tag_names(conversation) == ["Chose support", "Projects", "VIP"]
        assert conversation.team.name == "Support"
        # Seed d/e: one customer-facing run, the other skipped for lower priority.
        facing = runs_of(conversation).filter(is_customer_facing=True)
        assert [run.workflow.name for run in facing] == ["Ask which team"]
        assert facing.get().status == WorkflowRun.Status.COMPLETED
        assert WorkflowLog.objects.filter(
            conversation=conversation, workflow__name="Greet", kind="skipped"
        ).exists()
        # Nothing applied twice: one run and one note per customer message, in order.
        counted = runs_of(conversation).filter(workflow__name="Count messages")
        assert counted.count() == MESSAGES_PER_CONVERSATION
        event_ids = [run.event_id for run in counted.order_by("id")]
        assert event_ids == sorted(event_ids)
        assert conversation.parts.filter(part_type="note").count() == MESSAGES_PER_CONVERSATION
        assert conversation.parts.filter(part_type="tag_added").count() == 3


def test_the_seed_scenarios_hold_with_two_workers_on_concurrent_events(celery_processes):
    seed_workflows()
    celery_processes.worker("worker1")
    celery_processes.worker("worker2")
    celery_processes.beat()

    conversations = open_conversations(6)
    wait_for(
        lambda: questions_asked(conversations), timeout=TIMEOUT_SECONDS, processes=celery_processes
    )
    burst(conversations)

    wait_for(all_processed, timeout=TIMEOUT_SECONDS, processes=celery_processes)
    assert_each_applied_once_in_order(conversations)


def test_every_event_is_processed_once_when_a_worker_is_killed_mid_burst(celery_processes):
    seed_workflows()
    celery_processes.worker("worker1")
    celery_processes.worker("victim")
    celery_processes.beat()
    conversations = open_conversations(10)
    # Let both workers take tasks, then kill one without any warning.
    wait_for(
        lambda: questions_asked(conversations), timeout=TIMEOUT_SECONDS, processes=celery_processes
    )
    burst(conversations[:5], messages=2)
    celery_processes.kill("victim")
    burst(conversations[5:], messages=2)
    time.sleep(0.5)
    for conversation in conversations[:5]:
        for number in range(2, MESSAGES_PER_CONVERSATION):
            services.conversation_customer_message(
                conversation=conversation, body=f"message {number}"
            )
    for conversation in conversations[5:]:
        for number in range(2, MESSAGES_PER_CONVERSATION):
            services.conversation_customer_message(
                conversation=conversation, body=f"message {number}"
            )

    wait_for(all_processed, timeout=TIMEOUT_SECONDS, processes=celery_processes)
    assert_each_applied_once_in_order(conversations)
    # The messages sent above are the contacts' own: each was recorded as the contact's,
    # so customer triggers fired on them (a workflow-made message would not trigger).
    messages = Event.objects.filter(conversation__in=conversations, event_type="customer_message")
    assert set(messages.values_list("actor_type", flat=True)) == {ActorType.CONTACT}
