"""A short timer still fires, once, when its worker is killed and another starts."""

import time

import pytest

from conversations import services
from tests.factories import ContactFactory
from tests.integration.conftest import wait_for
from tests.workflows.helpers import make_workflow, runs_of, tag_names
from workflows.models import WorkflowRun

pytestmark = pytest.mark.integration

TIMEOUT_SECONDS = 90


def test_a_wait_fires_once_after_its_worker_is_killed_and_another_starts(celery_processes):
    workflow = make_workflow(
        "Later",
        trigger="customer_first_message",
        steps=[{"type": "wait", "duration": "4s"}, {"type": "add_tag", "tag": "Waited"}],
    )
    celery_processes.worker("first")
    celery_processes.beat()
    conversation = services.conversation_open(contact=ContactFactory(), body="Hello")

    wait_for(
        lambda: runs_of(conversation, workflow).filter(status=WorkflowRun.Status.WAITING).exists(),
        timeout=TIMEOUT_SECONDS,
        processes=celery_processes,
    )
    # The first worker holds the timer's ETA task; it dies before the due time.
    celery_processes.kill("first")
    time.sleep(1)
    celery_processes.worker("second")

    wait_for(
        lambda: tag_names(conversation) == ["Waited"],
        timeout=TIMEOUT_SECONDS,
        processes=celery_processes,
    )
    time.sleep(3)  # any second delivery would have acted by now
    assert runs_of(conversation, workflow).get().status == WorkflowRun.Status.COMPLETED
    assert conversation.parts.filter(part_type="tag_added").count() == 1
