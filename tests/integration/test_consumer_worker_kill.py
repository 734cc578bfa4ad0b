"""The batched outbox consumer under a worker killed in the middle of a batch: a backlog
of bursts, two workers taking conversations in batches, one SIGKILLed while its batch
transaction is open. Nothing is lost, nothing is applied twice, order is kept."""

import re
import time

import pytest
from django.db import connection

from conversations import services
from conversations.models import Event
from tests.factories import ContactFactory
from tests.integration.conftest import wait_for
from tests.workflows.helpers import make_workflow, runs_of, tag_names
from workflows.models import ProcessingFailure

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="SKIP LOCKED and sessions on PostgreSQL"
    ),
]

CONVERSATIONS = 30
MESSAGES = 5  # per conversation, the first one included
TIMEOUT_SECONDS = 120


def victim_in_a_transaction() -> bool:
    """The victim's batch has locked or written rows (it holds a transaction id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE application_name = 'victim' AND backend_xid IS NOT NULL"
        )
        return cursor.fetchone()[0] > 0


def test_a_worker_killed_mid_batch_loses_nothing_and_applies_nothing_twice(celery_processes):
    make_workflow(
        "Count messages", frequency="every_time", steps=[{"type": "add_note", "body": "counted"}]
    )
    make_workflow(
        "Tag VIP", trigger="customer_first_message", steps=[{"type": "add_tag", "tag": "VIP"}]
    )
    # The backlog is there before any worker starts: tasks will find bursts to batch.
    conversations = []
    for _ in range(CONVERSATIONS):
        conversation = services.conversation_open(contact=ContactFactory(), body="message 1")
        for number in range(2, MESSAGES + 1):
            services.conversation_customer_message(
                conversation=conversation, body=f"message {number}"
            )
        conversations.append(conversation)

    victim_env = celery_processes.env
    celery_processes.env = {
        **victim_env,
        "DATABASE_URL": victim_env["DATABASE_URL"] + "?application_name=victim",
    }
    celery_processes.worker("victim")
    celery_processes.env = victim_env
    celery_processes.worker("worker1")
    celery_processes.beat()

    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not victim_in_a_transaction():
        if time.monotonic() > deadline:
            pytest.fail(f"the victim never opened a batch\n{celery_processes.logs()}")
        time.sleep(0.005)
    celery_processes.kill("victim")

    wait_for(
        lambda: not Event.objects.filter(processed_at__isnull=True).exists(),
        timeout=TIMEOUT_SECONDS,
        processes=celery_processes,
    )

    assert not ProcessingFailure.objects.exists()
    for conversation in conversations:
        assert tag_names(conversation) == ["VIP"]
        assert conversation.parts.filter(part_type="tag_added").count() == 1
        # One run and one note per message, in the order the messages came (§6.6).
        counted = runs_of(conversation).filter(workflow__name="Count messages")
        event_ids = [run.event_id for run in counted]
        assert len(event_ids) == MESSAGES
        assert event_ids == sorted(event_ids)
        assert conversation.parts.filter(part_type="note").count() == MESSAGES
    # The surviving worker did take other conversations into its batches: some task
    # handled more events than one conversation has.
    one_conversation = Event.objects.filter(conversation=conversations[0]).count()
    handled = [
        int(count)
        for count in re.findall(
            r"process_conversation_events\[[^\]]+\] succeeded in [\d.]+s: (\d+)",
            celery_processes.logs() + (celery_processes.log_dir / "worker1.log").read_text(),
        )
    ]
    assert max(handled) > one_conversation, handled
