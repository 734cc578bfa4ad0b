"""The HTTP request step's shell: the call, made by a Celery task outside the
conversation's transaction and lock.

The executor leaves the run waiting (`waiting_for="http_request"`, the rendered request
in `run.wait`); the processor sends `workflows.send_http_request` after its commit. The
task reads the run (no lock), resolves the headers' secrets, makes the call through
`config.outbound.send` (10 s, 1 MB, private destinations refused), and writes the answer
as an `http_response` event: the processor resumes the run from it under the lock
(engine/planner.http_resume). If the task is lost, the run's wait timer sends it again
(orchestrator.requeue_http_request): delivery is at least once — the other system may
receive a request twice, never none.
"""

import logging
import uuid

from celery import shared_task
from django.db import transaction

from config.celery import TASK_RETRY_POLICY
from config.outbound import send
from conversations.dispatch import enqueue_on_commit
from conversations.models import Event, EventType
from workflows.engine import http_step
from workflows.models import Secret, WorkflowRun

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10.0
MAX_ANSWER_BYTES = 1_000_000


def new_call_id() -> str:
    return uuid.uuid4().hex


def send_on_commit(run: WorkflowRun) -> None:
    enqueue_on_commit(send_http_request_task, run.pk, run.wait["call"])


def secret_value(name: str) -> str | None:
    return Secret.objects.filter(name=name).values_list("value", flat=True).first()


def make_call(request: dict) -> dict:
    """The call, and what its answer means (engine/http_step.answer_record) — without
    the call id. Headers are never logged: they may carry secrets."""
    try:
        headers = http_step.resolve_headers(request.get("headers") or {}, secret_value)
    except http_step.MissingSecret as missing:
        error = f'no secret named "{missing.args[0]}"'
        return {"ok": False, "status_code": None, "duration_ms": 0, "error": error}
    result = send(
        request["method"],
        request["url"],
        headers=headers,
        json_body=request.get("body"),
        timeout=TIMEOUT_SECONDS,
        max_bytes=MAX_ANSWER_BYTES,
    )
    return http_step.answer_record(
        call="",
        status_code=result.status_code,
        body=result.body,
        duration_ms=result.duration_ms,
        error=result.error,
        ok=result.ok,
        save=request.get("save") or {},
    )


@shared_task(name="workflows.send_http_request", acks_late=True, **TASK_RETRY_POLICY)
def send_http_request_task(run_id: int, call: str) -> bool:
    """Make the call of a run waiting on an HTTP step; record the answer as an event.
    acks_late: a worker that dies mid-call leaves the message to be sent again."""
    from workflows.tasks import process_conversation_events_task

    run = (
        WorkflowRun.objects.filter(pk=run_id)
        .values("conversation_id", "status", "waiting_for", "wait")
        .first()
    )
    if (
        run is None
        or run["status"] != WorkflowRun.Status.WAITING
        or run["waiting_for"] != http_step.WAITING_FOR
        or (run["wait"] or {}).get("call") != call
    ):
        return False  # answered already, interrupted, or another call
    record = make_call(run["wait"]["request"])
    with transaction.atomic():
        Event.objects.create(
            conversation_id=run["conversation_id"],
            event_type=EventType.HTTP_RESPONSE,
            actor_type="system",
            payload={**record, "run": run_id, "call": call},
        )
        enqueue_on_commit(process_conversation_events_task, run["conversation_id"])
    return True
