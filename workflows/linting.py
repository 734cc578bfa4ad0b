"""The linter's shell: compile the stored catalog (or the builder's unsaved document in
its place) and ask the pure checks of workflows/lint.py."""

from workflows.catalog import current_catalog
from workflows.engine.definitions import CompiledWorkflow, References, compile_definition
from workflows.engine.errors import DefinitionError
from workflows.lint import Finding, lint_catalog
from workflows.models import Workflow


def stored_workflows() -> list[CompiledWorkflow]:
    """Every stored workflow, compiled: the process's cached catalog (workflows/catalog.py),
    rebuilt only when a workflow changed."""
    return list(current_catalog().by_id.values())


def catalog_findings() -> list[Finding]:
    """Every finding over the stored workflows (GET /api/workflows/lint/, the list)."""
    return lint_catalog(stored_workflows())


def findings_for(document: dict | None, workflow: Workflow | None) -> list[Finding]:
    """The findings of one workflow as the builder has it (`document`, unsaved; None: as
    stored), judged against the rest of the stored catalog."""
    if document is None:
        if workflow is None:
            return []
        document = workflow.document()
    stored = stored_workflows()
    others = [w for w in stored if workflow is None or w.id != workflow.pk]
    # What the reusable workflows it may run do (customer-facing or not), as stored.
    references = References(
        reusables={w.name: (w.is_customer_facing, ()) for w in stored if w.trigger == "reusable"},
        lenient=True,
    )
    try:
        edited = compile_definition(
            document,
            references,
            workflow_id=workflow.pk if workflow else None,
            priority=workflow.priority if workflow else 1 << 30,  # a new one goes last
        )
    except DefinitionError:
        return []  # the validator's errors are shown beside the form instead
    return [f for f in lint_catalog([*others, edited]) if f.workflow == edited.id]
