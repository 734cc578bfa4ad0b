"""Shared helpers for the orchestration tests."""

from workflows.models import WorkflowLog, WorkflowRun
from workflows.orchestrator import process_conversation_events
from workflows.services import workflow_create


def make_workflow(name, trigger="customer_any_message", steps=None, **fields):
    document = {
        "name": name,
        "status": "live",
        "trigger": trigger,
        "steps": steps or [{"type": "add_tag", "tag": name}],
        **fields,
    }
    return workflow_create(document=document)


def process(conversation):
    """What the Celery task does once the change commits."""
    return process_conversation_events(conversation.pk)


def tag_names(conversation):
    return sorted(conversation.tags.values_list("name", flat=True))


def runs_of(conversation, workflow=None):
    runs = WorkflowRun.objects.filter(conversation=conversation).order_by("id")
    return runs.filter(workflow=workflow) if workflow is not None else runs


def skips_of(conversation, workflow):
    return list(
        WorkflowLog.objects.filter(
            conversation=conversation, workflow=workflow, kind=WorkflowLog.Kind.SKIPPED
        ).values_list("message", flat=True)
    )
