"""Poison work (issue 11): a conversation whose processing keeps failing is parked with its
error shown in the inbox and the admin, retried with back-off, never hot-looped, and a
retry after the cause is fixed clears it."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from django.db import OperationalError, connection
from django.utils import timezone

from config.celery import app as celery_app
from conversations import services
from conversations.models import Event
from tests.workflows.helpers import make_workflow, process, tag_names
from workflows import failures, orchestrator
from workflows.failures import retry_delay
from workflows.models import ProcessingFailure
from workflows.tasks import process_conversation_events_task, redispatch_unprocessed_events_task

pytestmark = pytest.mark.django_db

ERROR = "<script>alert(1)</script> bad data, password=hunter2"


@pytest.fixture
def broken_processing(monkeypatch):
    """The processor raises, as a bug or bad data would; `fix()` removes the cause."""

    def fail(self):
        raise RuntimeError(ERROR)

    monkeypatch.setattr(orchestrator.ConversationProcessor, "run", fail)

    class Cause:
        @staticmethod
        def fix():
            monkeypatch.undo()

    return Cause


@pytest.fixture
def conversation(contact):
    make_workflow("Tagger", steps=[{"type": "add_tag", "tag": "Seen"}])
    return services.conversation_open(contact=contact, body="Hello")


def fail_times(conversation, count):
    """Process `count` times, each once its back-off has passed; return the failure."""
    for _ in range(count):
        failure = ProcessingFailure.objects.filter(conversation=conversation).first()
        moment = failure.retry_at + timedelta(seconds=1) if failure else timezone.now()
        with time_machine.travel(moment), pytest.raises(RuntimeError):
            process(conversation)
    return ProcessingFailure.objects.get(conversation=conversation)


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(process_conversation_events_task, "delay", calls.append)
    return calls


class TestFailing:
    def test_it_marks_a_conversation_failing_after_n_failures_in_a_row(
        self, conversation, broken_processing, settings
    ):
        settings.PROCESSING_FAILURES_BEFORE_FAILING = 3

        failure = fail_times(conversation, 2)
        assert (failure.failures, failure.is_failing) == (2, False)

        failure = fail_times(conversation, 1)
        assert (failure.failures, failure.is_failing) == (3, True)
        assert failure.error.startswith("RuntimeError: <script>alert(1)</script> bad data")
        assert "hunter2" not in failure.error
        # The failed work rolled back: nothing processed, nothing applied.
        assert Event.objects.filter(conversation=conversation, processed_at=None).count() == 2
        assert tag_names(conversation) == []

    def test_the_retry_waits_twice_as_long_after_each_failure_up_to_the_cap(self):
        delays = [retry_delay(n, base_seconds=5, max_seconds=3600) for n in (1, 2, 3, 4, 12, 99)]

        assert [d.total_seconds() for d in delays] == [5, 10, 20, 40, 3600, 3600]

    def test_it_records_the_failure_with_its_back_off(self, conversation, broken_processing):
        failure = fail_times(conversation, 3)

        assert failure.retry_at - failure.last_failed_at == timedelta(seconds=20)

    def test_a_database_outage_does_not_count_as_poison(self, conversation, monkeypatch):
        def database_away(self):
            raise OperationalError("server closed the connection unexpectedly")

        monkeypatch.setattr(orchestrator.ConversationProcessor, "run", database_away)
        monkeypatch.setattr(failures.connection, "is_usable", lambda: False)

        with pytest.raises(OperationalError):
            process(conversation)

        monkeypatch.undo()
        assert not ProcessingFailure.objects.exists()

    @pytest.mark.skipif(
        not django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        reason="statement_timeout is PostgreSQL's",
    )
    def test_a_statement_that_times_out_every_time_counts_as_poison(
        self, conversation, monkeypatch
    ):
        def slow_query(self):
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = 1")
                cursor.execute("SELECT pg_sleep(1)")

        monkeypatch.setattr(orchestrator.ConversationProcessor, "run", slow_query)

        with pytest.raises(OperationalError):
            process(conversation)

        assert ProcessingFailure.objects.get(conversation=conversation).failures == 1


class TestNoHotLoop:
    def test_the_sweep_leaves_a_failing_conversation_alone_until_its_retry_time(
        self, conversation, broken_processing, sent, settings
    ):
        failure = fail_times(conversation, 5)
        assert failure.retry_at - failure.last_failed_at == timedelta(seconds=80)

        # Well past the redispatch delay, before the retry time: not sent, sweep after sweep.
        with time_machine.travel(failure.last_failed_at + timedelta(seconds=60)):
            assert redispatch_unprocessed_events_task() == 0
            assert redispatch_unprocessed_events_task() == 0
        assert sent == []

        with time_machine.travel(failure.retry_at + timedelta(seconds=1)):
            assert redispatch_unprocessed_events_task() == 1
        assert sent == [conversation.pk]

    def test_a_task_for_a_parked_conversation_does_nothing_before_its_retry_time(
        self, conversation, broken_processing
    ):
        failure = fail_times(conversation, 2)

        with time_machine.travel(failure.retry_at - timedelta(seconds=1)):
            assert process(conversation) == 0  # no attempt: the processor is not called

        failure.refresh_from_db()
        assert failure.failures == 2


class TestRecovery:
    def test_the_next_scheduled_retry_after_the_fix_processes_and_clears_the_mark(
        self, conversation, broken_processing
    ):
        failure = fail_times(conversation, 5)
        broken_processing.fix()

        with time_machine.travel(failure.retry_at + timedelta(seconds=1)):
            process(conversation)

        assert not Event.objects.filter(conversation=conversation, processed_at=None).exists()
        assert not ProcessingFailure.objects.exists()
        assert tag_names(conversation) == ["Seen"]

    def test_retry_processing_now_in_the_admin_processes_and_clears_the_mark(
        self, conversation, broken_processing, admin_client, django_capture_on_commit_callbacks
    ):
        failure = fail_times(conversation, 5)
        broken_processing.fix()

        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                "/admin/workflows/processingfailure/",
                {"action": "retry_now", "_selected_action": [failure.pk]},
                follow=True,
            )

        assert response.status_code == 200
        assert "1 conversation(s) sent for processing" in response.content.decode()
        assert not ProcessingFailure.objects.exists()
        assert tag_names(conversation) == ["Seen"]
        assert not Event.objects.filter(conversation=conversation, processed_at=None).exists()


class TestVisible:
    def test_the_admin_lists_failing_conversations_with_their_error(
        self, conversation, broken_processing, admin_client
    ):
        fail_times(conversation, 5)

        failing = admin_client.get("/admin/workflows/processingfailure/?failing=yes")
        retrying = admin_client.get("/admin/workflows/processingfailure/?failing=no")

        assert failing.status_code == 200
        assert "&lt;script&gt;alert(1)&lt;/script&gt; bad data" in failing.content.decode()
        assert "Retry processing now" in failing.content.decode()
        assert "bad data" not in retrying.content.decode()

    def test_the_inbox_shows_a_banner_and_a_list_marker_with_the_escaped_error(
        self, conversation, broken_processing, client, teammate
    ):
        fail_times(conversation, 5)
        client.force_login(teammate)

        page = client.get(f"/inbox/conversations/{conversation.pk}/").content.decode()
        listed = client.get("/inbox/?view=all").content.decode()

        assert "Workflows could not process this conversation" in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>alert(1)</script>" not in page
        assert "Workflows failing" in listed

    def test_the_inbox_shows_nothing_while_it_is_only_retrying(
        self, conversation, broken_processing, client, teammate
    ):
        fail_times(conversation, 1)
        client.force_login(teammate)

        page = client.get(f"/inbox/conversations/{conversation.pk}/").content.decode()

        assert "Workflows could not process" not in page


class TestTaskNames:
    def test_every_task_has_an_explicit_name_and_the_beat_schedule_uses_them(self, settings):
        celery_app.loader.import_default_modules()  # what a worker does when it starts
        ours = {
            name
            for name in celery_app.tasks
            if name.startswith(("workflows.", "conversations.", "webhooks."))
        }

        assert ours == {
            "workflows.process_conversation_events",
            "workflows.consume_ready_conversations",
            "workflows.redispatch_unprocessed_events",
            "workflows.fire_due_timers",
            "workflows.send_http_request",
            "workflows.delete_old_replay_snapshots",
            "workflows.replay_workflow",
            "webhooks.send_delivery",
            "webhooks.resend_overdue_deliveries",
        }
        scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
        assert scheduled <= ours

    def test_every_task_retries_a_database_outage_a_bounded_number_of_times(self):
        for name in (
            "workflows.process_conversation_events",
            "workflows.fire_due_timers",
            "workflows.send_http_request",
        ):
            task = celery_app.tasks[name]
            assert OperationalError in task.autoretry_for
            assert task.max_retries == 3
