"""Workflow changes in the audit log (conversations.audit): each builder, API and admin
change of a workflow goes through `audited`, which records the workflow before and after
in the change's transaction."""

from django.db import transaction

from conversations.audit import record_change
from conversations.models import AuditEntry
from workflows.models import Workflow

WORKFLOW = AuditEntry.ObjectType.WORKFLOW


def workflow_snapshot(workflow: Workflow | None) -> dict | None:
    """The document, its place in the priority order; None once archived (deleted)."""
    if workflow is None or workflow.archived_at is not None:
        return None
    return {**workflow.document(), "priority": workflow.priority}


def _stored(pk) -> Workflow | None:
    return Workflow.all_objects.filter(pk=pk).first() if pk is not None else None


def audited(actor, workflow: Workflow | None, change) -> Workflow:
    """Run `change()` (a service call answering the workflow it created or changed) and
    record the workflow as it was and as it is, in one transaction."""
    with transaction.atomic():
        before = workflow_snapshot(_stored(workflow.pk if workflow else None))
        changed = change()
        changed = changed if isinstance(changed, Workflow) else workflow
        after = workflow_snapshot(_stored(changed.pk))
        record_change(actor, WORKFLOW, changed.pk, changed.name, before, after)
        return changed


def audited_reorder(actor, change):
    """A reorder changes the priority of many workflows: one entry per workflow moved."""
    with transaction.atomic():
        before = {w.pk: w.priority for w in Workflow.objects.all()}
        result = change()
        for workflow in Workflow.objects.filter(pk__in=list(before)).order_by("pk"):
            if before[workflow.pk] != workflow.priority:
                after = workflow_snapshot(workflow)
                record_change(
                    actor,
                    WORKFLOW,
                    workflow.pk,
                    workflow.name,
                    {**after, "priority": before[workflow.pk]},
                    after,
                )
        return result
