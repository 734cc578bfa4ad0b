"""The outbox consumer: a task takes other ready conversations into its transaction when
there is a backlog; a poison one rolls back alone; parked and locked ones are left."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations import services
from conversations.models import Conversation, Event
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, runs_of, tag_names
from workflows import consumer, orchestrator, processing
from workflows.models import ProcessingFailure
from workflows.tasks import consume_ready_conversations_task, process_conversation_events_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def nothing_runs_on_its_own(monkeypatch):
    """Tasks are sent nowhere: the test runs them itself."""
    monkeypatch.setattr(process_conversation_events_task, "delay", lambda *args: None)
    monkeypatch.setattr(consume_ready_conversations_task, "delay", lambda *args: None)


@pytest.fixture
def tagger():
    return make_workflow(
        "Tagger", frequency="every_time", steps=[{"type": "add_tag", "tag": "Seen"}]
    )


def backlog(count, messages=3):
    """`count` conversations, each with its first message and `messages - 1` more."""
    conversations = []
    for _ in range(count):
        conversation = services.conversation_open(contact=ContactFactory(), body="first")
        for number in range(2, messages + 1):
            services.conversation_customer_message(conversation=conversation, body=f"m{number}")
        conversations.append(conversation)
    return conversations


def unprocessed():
    return Event.objects.filter(processed_at__isnull=True)


def test_one_task_processes_a_backlog_in_its_transaction_with_one_locking_read(tagger):
    conversations = backlog(5)

    with CaptureQueriesContext(connection) as captured:
        handled = process_conversation_events_task.run(conversations[2].pk)

    # Opened, 3 messages and the workflow's tag_added, each conversation.
    assert handled == Event.objects.count() == 5 * 5
    assert not unprocessed().exists()
    for conversation in conversations:
        assert tag_names(conversation) == ["Seen"]
        # One run per message, in the order the messages came (§6.6).
        event_ids = [run.event_id for run in runs_of(conversation)]
        assert len(event_ids) == 3
        assert event_ids == sorted(event_ids)
    if connection.features.has_select_for_update:  # SQLite locks the whole file instead
        locking = [q["sql"] for q in captured.captured_queries if "FOR UPDATE" in q["sql"]]
        # Its own conversation and the others in one claim (not one lock each).
        assert len(locking) == 1
    if connection.vendor == "postgresql":
        # And their runs, timers, events and tags in one read (not one read each).
        reads = [
            q["sql"] for q in captured.captured_queries if "workflows_catalogversion" in q["sql"]
        ]
        assert len(reads) == 1


def test_with_no_backlog_a_task_costs_what_processing_its_conversation_costs(tagger):
    warm_up, first, second = backlog(3, messages=2)
    processing.process_conversation_events(warm_up.pk)  # catalog compiled, tag id known
    with CaptureQueriesContext(connection) as alone:
        assert processing.process_conversation_events(first.pk) == 4

    with CaptureQueriesContext(connection) as task:
        assert process_conversation_events_task.run(second.pk) == 4

    assert not unprocessed().exists()
    assert len(task) == len(alone)


def test_a_poison_conversation_rolls_back_alone(tagger, monkeypatch):
    conversations = backlog(3)
    poison = conversations[1]
    run = orchestrator.ConversationProcessor.run

    def fail_on_poison(self):
        if self.conversation.pk == poison.pk:
            self.conversation.title = "half done"
            self.conversation.save(update_fields=["title"])
            raise RuntimeError("bad data")
        return run(self)

    monkeypatch.setattr(orchestrator.ConversationProcessor, "run", fail_on_poison)

    # The task of another conversation: it takes all three, the poison one fails alone.
    assert process_conversation_events_task.run(conversations[0].pk) == 2 * 5

    assert set(unprocessed().values_list("conversation_id", flat=True)) == {poison.pk}
    assert Conversation.objects.get(pk=poison.pk).title != "half done"  # rolled back
    failure = ProcessingFailure.objects.get()
    assert (failure.conversation_id, failure.failures) == (poison.pk, 1)
    assert "bad data" in failure.error
    assert tag_names(conversations[0]) == tag_names(conversations[2]) == ["Seen"]


def test_the_poison_conversations_own_task_raises_after_the_others_commit(tagger, monkeypatch):
    conversations = backlog(2)
    poison = conversations[0]
    run = orchestrator.ConversationProcessor.run

    def fail_on_poison(self):
        if self.conversation.pk == poison.pk:
            raise RuntimeError("bad data")
        return run(self)

    monkeypatch.setattr(orchestrator.ConversationProcessor, "run", fail_on_poison)

    with pytest.raises(RuntimeError, match="bad data"):
        process_conversation_events_task.run(poison.pk)

    assert set(unprocessed().values_list("conversation_id", flat=True)) == {poison.pk}
    assert tag_names(conversations[1]) == ["Seen"]


def test_a_parked_conversation_is_not_claimed(tagger):
    parked, _ready, own = backlog(3)
    ProcessingFailure.objects.create(
        conversation=parked, failures=1, retry_at=timezone.now() + timedelta(minutes=5)
    )

    process_conversation_events_task.run(own.pk)

    assert set(unprocessed().values_list("conversation_id", flat=True)) == {parked.pk}


def test_the_consumer_drains_a_backlog_batch_by_batch(tagger, monkeypatch):
    monkeypatch.setattr(consumer, "CONSUMER_BATCH_SIZE", 2)
    sent = []
    monkeypatch.setattr(consume_ready_conversations_task, "delay", sent.append)
    backlog(5, messages=1)

    assert consume_ready_conversations_task.run() == 5 * 3  # opened, message, tag_added
    assert not unprocessed().exists()
    assert sent == []  # the last batch was not full: nothing more to do


def test_a_full_batch_sends_the_consumer_for_the_rest(tagger, monkeypatch):
    monkeypatch.setattr(consumer, "CONSUMER_BATCH_SIZE", 2)
    sent = []
    monkeypatch.setattr(consume_ready_conversations_task, "delay", sent.append)
    conversations = backlog(4, messages=1)

    process_conversation_events_task.run(conversations[0].pk)

    assert sent == ["all"]
    assert unprocessed().count() == 2 * 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SKIP LOCKED on PostgreSQL")
def test_a_conversation_another_worker_holds_is_skipped_not_waited_for(tagger):
    held, free = backlog(2, messages=1)
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                Conversation.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert locked.wait(30)
        assert consumer.process_batch() == (3, 1)  # only the free one, at once
    finally:
        release.set()
        thread.join()

    assert set(unprocessed().values_list("conversation_id", flat=True)) == {held.pk}
    assert tag_names(free) == ["Seen"]


def test_a_poison_conversation_alone_rolls_back_and_is_recorded(tagger, monkeypatch):
    [poison] = backlog(1)

    def fail(self):
        self.conversation.title = "half done"
        self.conversation.save(update_fields=["title"])
        raise RuntimeError("bad data")

    monkeypatch.setattr(orchestrator.ConversationProcessor, "run", fail)

    with pytest.raises(RuntimeError, match="bad data"):
        process_conversation_events_task.run(poison.pk)

    assert Conversation.objects.get(pk=poison.pk).title != "half done"
    assert unprocessed().count() == 4
    failure = ProcessingFailure.objects.get()
    assert (failure.conversation_id, failure.failures) == (poison.pk, 1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks on PostgreSQL")
def test_a_task_waiting_for_its_own_conversation_holds_no_other(tagger):
    """An archive locks conversations one by one in id order. A task whose own
    conversation the archive holds must not hold another ready conversation meanwhile:
    the archive would wait for it while it waits for the archive (a deadlock, and
    PostgreSQL aborts one of the two: maybe the teammate's archive)."""
    own, other = backlog(2, messages=1)
    holding, go_on, done = threading.Event(), threading.Event(), threading.Event()
    outcome = {}

    def archive():
        try:
            with transaction.atomic():
                Conversation.objects.select_for_update().get(pk=own.pk)
                holding.set()
                go_on.wait(30)
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                try:
                    Conversation.objects.select_for_update().get(pk=other.pk)
                    outcome["archive"] = "locked the other conversation"
                except Exception as error:  # the assert below says which
                    outcome["archive"] = type(error).__name__
        finally:
            connections.close_all()

    def task():
        try:
            outcome["task"] = consumer.process_batch(own.pk)
        finally:
            done.set()
            connections.close_all()

    archiver, worker = threading.Thread(target=archive), threading.Thread(target=task)
    archiver.start()
    try:
        assert holding.wait(30)
        worker.start()
        with connection.cursor() as cursor:  # until the task waits for its lock
            for _ in range(300):
                cursor.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
                if cursor.fetchone()[0]:
                    break
                threading.Event().wait(0.05)
    finally:
        go_on.set()
        archiver.join()
        worker.join(60)

    assert outcome["archive"] == "locked the other conversation"
    assert done.is_set() and outcome["task"][0] == 3 + 3
    assert not unprocessed().exists()
