"""The HTTP request step against a real receiver on loopback (PostgreSQL, tasks inline
after each commit as a worker would run them): the answer's values are saved and a
branch after it sees them; a 500, a time-out and a refused destination run on_failure;
the conversation is not locked while the call is made; secrets go in headers by name."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connections, transaction

from conversations import services
from conversations.models import Conversation
from tests.factories import ContactFactory
from tests.workflows.helpers import make_workflow, runs_of, tag_names
from workflows import http_requests
from workflows.models import Secret, WorkflowLog, WorkflowRun

pytestmark = pytest.mark.django_db(transaction=True)


class Receiver(BaseHTTPRequestHandler):
    seen: list = []
    # Whether the conversation's row could be locked while each request was answered.
    lock_free: list = []

    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        Receiver.seen.append(
            {"method": self.command, "path": self.path, "body": body, "headers": dict(self.headers)}
        )
        if "lock=" in self.path:  # the conversation's id, from a placeholder
            conversation_id = int(self.path.split("lock=")[1])
            Receiver.lock_free.append(_row_lock_is_free(conversation_id))
        if self.path.startswith("/fail"):
            self._reply(500, b'{"error": "broken"}')
        elif self.path.startswith("/slow"):
            time.sleep(1.5)
            self._reply(200, b"{}")
        else:
            self._reply(200, json.dumps({"data": {"plan": "Enterprise", "seats": 40}}).encode())

    def _reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer


def _row_lock_is_free(conversation_id) -> bool:
    """From another connection: can the conversation's row be locked right now?"""
    from django.db.utils import OperationalError

    try:
        with transaction.atomic():
            Conversation.objects.select_for_update(nowait=True).get(pk=conversation_id)
        return True
    except OperationalError:
        return False
    finally:
        connections.close_all()  # this thread's own connection


@pytest.fixture
def receiver(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    Receiver.seen, Receiver.lock_free = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def lookup_workflow(url, **step):
    return make_workflow(
        "Look up the plan",
        trigger="customer_first_message",
        steps=[
            {
                "type": "http_request",
                "method": "POST",
                "url": url,
                "headers": {"Authorization": "Bearer {{secret.CRM_TOKEN}}"},
                "body": {"email": "{{contact.email}}", "name": '{{contact.name | fallback: "?"}}'},
                "save": {"conversation.custom.plan": "data.plan", "contact.custom.seats": "data.seats"},
                "on_failure": [{"type": "add_tag", "tag": "Lookup failed"}],
                **step,
            },
            {
                "type": "branches",
                "branches": [
                    {"when": {"match": "all", "rules": [
                        {"attribute": "conversation.custom.plan", "operator": "is", "value": "Enterprise"}]},
                     "steps": [{"type": "add_tag", "tag": "Enterprise"}]},
                ],
                "else": [{"type": "add_tag", "tag": "Not enterprise"}],
            },
        ],
    )  # fmt: skip


def open_conversation(name='Ann "Al" Lee'):
    contact = ContactFactory(name=name, email="ann@example.com")
    return services.conversation_open(contact=contact, body="Hello")


def log_messages(conversation):
    return list(
        WorkflowLog.objects.filter(conversation=conversation)
        .order_by("id")
        .values_list("message", flat=True)
    )


def test_the_answer_is_saved_and_the_branch_after_the_step_uses_it(receiver):
    Secret.objects.create(name="CRM_TOKEN", value="s3cr3t-value")
    lookup_workflow(f"{receiver}/contacts/{{{{contact.email}}}}?id={{{{conversation.id}}}}")

    conversation = open_conversation()  # tasks run after each commit, as a worker would

    conversation.refresh_from_db()
    [request] = Receiver.seen
    assert request["path"] == f"/contacts/ann%40example.com?id={conversation.pk}"
    assert request["body"] == {"email": "ann@example.com", "name": 'Ann "Al" Lee'}
    assert request["headers"]["Authorization"] == "Bearer s3cr3t-value"
    assert conversation.custom_attributes["plan"] == "Enterprise"
    assert conversation.contact.custom_attributes["seats"] == "40"  # a contact holds text
    assert tag_names(conversation) == ["Enterprise"]
    assert runs_of(conversation).get().status == WorkflowRun.Status.COMPLETED
    messages = log_messages(conversation)
    assert any(m.startswith("Calling POST http://127.0.0.1:") for m in messages)
    answered = next(m for m in messages if "answered 200 in " in m)
    assert "saved contact.custom.seats, conversation.custom.plan" in answered
    # The timeline says it too, with its timing.
    from inbox.selectors import timeline

    lines = " ".join(
        f"{item.text} {item.summary} {' '.join(item.steps)}" for item in timeline(conversation)
    )
    assert "answered 200 in " in lines and " ms" in lines
    # The secret is in no log line, run or event.
    assert not any("s3cr3t" in m for m in messages)
    assert "s3cr3t" not in json.dumps(list(runs_of(conversation).values("wait")), default=str)
    assert "s3cr3t" not in json.dumps(
        list(conversation.events.values_list("payload", flat=True)), default=str
    )


def test_the_conversation_is_not_locked_while_the_call_is_made(receiver):
    Secret.objects.create(name="CRM_TOKEN", value="x")
    lookup_workflow(f"{receiver}/contacts?lock={{{{conversation.id}}}}")

    conversation = open_conversation()

    assert Receiver.lock_free == [True]  # the receiver could lock the row mid-call
    assert tag_names(conversation) == ["Enterprise"]


@pytest.mark.parametrize("path", ["/fail", "/slow"])
def test_a_500_or_no_answer_in_time_runs_on_failure(receiver, path, monkeypatch):
    monkeypatch.setattr(http_requests, "TIMEOUT_SECONDS", 0.5)
    Secret.objects.create(name="CRM_TOKEN", value="x")
    lookup_workflow(f"{receiver}{path}")

    conversation = open_conversation()

    conversation.refresh_from_db()
    assert "plan" not in conversation.custom_attributes
    assert tag_names(conversation) == ["Lookup failed", "Not enterprise"]
    failed = next(m for m in log_messages(conversation) if " failed (" in m)
    expected = "answered 500" if path == "/fail" else "No answer within 0.5 s"
    assert expected in failed and failed.endswith("the on-failure steps run")


def test_a_refused_private_destination_runs_on_failure_and_says_why(receiver, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = []
    Secret.objects.create(name="CRM_TOKEN", value="x")
    lookup_workflow(f"{receiver}/contacts")

    conversation = open_conversation()

    assert Receiver.seen == []
    assert "Lookup failed" in tag_names(conversation)
    failed = next(m for m in log_messages(conversation) if " failed (" in m)
    assert "OUTBOUND_ALLOWED_HOSTS" in failed or "private" in failed.lower()


def test_a_missing_secret_runs_on_failure_without_calling(receiver):
    lookup_workflow(f"{receiver}/contacts")

    conversation = open_conversation()

    assert Receiver.seen == []
    failed = next(m for m in log_messages(conversation) if " failed (" in m)
    assert 'no secret named "CRM_TOKEN"' in failed


def test_a_lost_call_is_sent_again_by_the_wait_timer(receiver, time_machine):
    """The task never ran (lost): when the run's timer falls due, the call is sent again
    (at least once), and its answer resumes the run."""
    from django.utils import timezone

    from tests.workflows.helpers import process
    from workflows.engine.executor import HTTP_REQUEUE_AFTER

    Secret.objects.create(name="CRM_TOKEN", value="x")
    lookup_workflow(f"{receiver}/contacts")
    time_machine.move_to(timezone.now(), tick=False)
    lost = []
    original = http_requests.send_on_commit
    http_requests.send_on_commit = lambda run: lost.append(run.pk)  # the broker drops it
    try:
        conversation = open_conversation()
    finally:
        http_requests.send_on_commit = original
    run = runs_of(conversation).get()
    assert (run.status, run.waiting_for, Receiver.seen) == ("waiting", "http_request", [])

    time_machine.shift(HTTP_REQUEUE_AFTER)
    process(conversation)

    run.refresh_from_db()
    assert len(Receiver.seen) == 1 and run.status == WorkflowRun.Status.COMPLETED
    assert "No answer was recorded in time: the HTTP request is sent again" in log_messages(
        conversation
    )


def test_the_call_task_is_acknowledged_only_after_it_ran():
    """A worker that dies mid-call leaves the message to the broker: sent again."""
    from config.celery import app as celery_app

    task = celery_app.tasks["workflows.send_http_request"]
    assert task.acks_late is True
