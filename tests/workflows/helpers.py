"""Shared helpers for the orchestration tests."""

from workflows.log_words import skip_entry_reason
from workflows.models import WorkflowLog, WorkflowRun
from workflows.processing import process_conversation_events
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
    """Why a workflow did not start on this conversation, one reason per event."""
    reasons = []
    logs = WorkflowLog.objects.filter(
        conversation=conversation,
        kind__in=[WorkflowLog.Kind.SKIPPED, WorkflowLog.Kind.NOT_MATCHED],
    ).order_by("id")
    for log in logs:
        if log.kind == WorkflowLog.Kind.SKIPPED and log.workflow_id == workflow.pk:
            reasons.append(log.message)
        for entry in log.details.get("workflows", []) if log.kind == "not_matched" else []:
            if entry["id"] == workflow.pk:
                reasons.append(f"Did not start: {skip_entry_reason(entry)}")
    return reasons


# The workflow example of API.md, word for word.
API_EXAMPLE = {
    "name": "Route Pro customers",
    "status": "live",
    "trigger": "customer_first_message",
    "trigger_options": {},
    "frequency": "once",
    "audience": {"match": "all", "rules": [
        {"attribute": "contact.plan", "operator": "is", "value": "Pro"},
        {"attribute": "contact.monthly_spend", "operator": "gt", "value": 500},
    ]},
    "steps": [
        {"type": "add_tag", "tag": "VIP"},
        {"type": "apply_rules", "rules": [
            {"when": {"match": "all", "rules": [{"attribute": "contact.plan", "operator": "is", "value": "Premium"}]},
             "steps": [{"type": "apply_sla", "sla": "Premium Support"}]},
            {"when": {"match": "all", "rules": [{"attribute": "message.body", "operator": "contains", "value": "project"}]},
             "steps": [{"type": "add_tag", "tag": "Projects"}]},
        ]},
        {"type": "assign", "team": "Support"},
    ],
}  # fmt: skip
