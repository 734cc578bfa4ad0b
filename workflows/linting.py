"""The linter's shell: compile the stored catalog (or the builder's unsaved document in
its place) and ask the pure checks of workflows/lint.py."""

from dataclasses import replace

from workflows.engine.definitions import CompiledWorkflow, References, compile_definition
from workflows.engine.errors import DefinitionError
from workflows.lint import Finding, lint_catalog
from workflows.models import Workflow


def stored_workflows() -> list[CompiledWorkflow]:
    rows = list(Workflow.objects.order_by("trigger", "priority", "id"))
    references = _references(rows)
    compiled = []
    for row in rows:
        try:
            workflow = compile_definition(
                row.document(), references, workflow_id=row.pk, priority=row.priority
            )
        except DefinitionError:
            continue  # saved definitions were validated; one that no longer compiles is left out
        # The stored flag was derived on save knowing what reusable workflows do.
        compiled.append(replace(workflow, is_customer_facing=row.is_customer_facing))
    return compiled


def _references(rows) -> References:
    return References(
        reusables={r.name: (r.is_customer_facing, ()) for r in rows if r.trigger == "reusable"},
        lenient=True,
    )


def catalog_findings() -> list[Finding]:
    """Every finding over the stored workflows (GET /api/workflows/lint/, the list)."""
    return lint_catalog(stored_workflows())


def findings_for(document: dict | None, workflow: Workflow | None) -> list[Finding]:
    """The findings of one workflow as the builder has it (`document`, unsaved; None: as
    stored), judged against the rest of the stored catalog."""
    others = [w for w in stored_workflows() if workflow is None or w.id != workflow.pk]
    if document is None:
        if workflow is None:
            return []
        document = workflow.document()
    rows = list(Workflow.objects.filter(trigger="reusable"))
    try:
        edited = compile_definition(
            document,
            _references(rows),
            workflow_id=workflow.pk if workflow else None,
            priority=workflow.priority if workflow else 1 << 30,  # a new one goes last
        )
    except DefinitionError:
        return []  # the validator's errors are shown beside the form instead
    return [f for f in lint_catalog([*others, edited]) if f.workflow == edited.id]
