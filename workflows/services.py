"""Saving workflow definitions: every write validates with the engine's one validator."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from conversations.models import SlaPolicy, Team, Teammate
from workflows import vocabulary
from workflows.catalog import bump_catalog_version
from workflows.engine.definitions import (
    REPEATABLE_TRIGGERS,
    CompiledWorkflow,
    References,
    compile_definition,
)
from workflows.engine.errors import DefinitionError
from workflows.engine.steps import path_keys, plain_path_keys, step_type
from workflows.models import Workflow, WorkflowVersion

REORDER_NOT_A_PERMUTATION = "List every workflow of the trigger exactly once."

# What the API returns beside the document but never takes (API.md, top of "Additions"):
# ignored on input, so a document read from the API can be sent back (or imported) as it
# is. `version` and `draft` are the versioning fields API.md adds, set by their endpoints.
READ_ONLY_KEYS = frozenset(
    {"id", "priority", "is_background", "created_at", "updated_at", "version", "draft"}
)


def without_read_only_keys(document: dict) -> dict:
    return {key: value for key, value in document.items() if key not in READ_ONLY_KEYS}


def references_from_db(*, exclude_workflow_id: int | None = None) -> References:
    """Names a definition may use, as the database holds them now."""
    reusables = {}
    for row in Workflow.objects.filter(trigger="reusable").exclude(pk=exclude_workflow_id):
        reusables[row.name] = (row.is_customer_facing, tuple(_calls(row.steps)))
    return References(
        teammates=set(Teammate.objects.filter(is_active=True).values_list("username", flat=True)),
        teams=set(Team.objects.values_list("name", flat=True)),
        slas=set(SlaPolicy.objects.values_list("name", flat=True)),
        reusables=reusables,
    )


def _all_steps(steps):
    """Every step of a stored step list, at any depth (branches, entries, buttons, else)."""
    for step in steps if isinstance(steps, list) else []:
        if not isinstance(step, dict):
            continue
        yield step
        for key in path_keys():  # the registry's: branches, rules, buttons, else, on_failure
            path = step.get(key)
            if key in plain_path_keys():
                yield from _all_steps(path)
                continue
            for entry in path if isinstance(path, list) else []:
                if isinstance(entry, dict):
                    yield from _all_steps(entry.get("steps"))


def _calls(steps) -> list[str]:
    """Names of the reusable workflows a stored step list runs, at any depth."""
    return [
        step["workflow"].casefold()
        for step in _all_steps(steps)
        if step.get("type") == "run_workflow" and isinstance(step.get("workflow"), str)
    ]


def workflow_validate(document, *, workflow: Workflow | None = None) -> CompiledWorkflow:
    """Compile a document against the database; raise DefinitionError naming each place."""
    compiled = compile_definition(
        document, references_from_db(exclude_workflow_id=workflow.pk if workflow else None)
    )
    clash = Workflow.objects.filter(name__iexact=compiled.name)
    if workflow is not None:
        clash = clash.exclude(pk=workflow.pk)
    if clash.exists():
        raise DefinitionError({"name": [f'A workflow named "{compiled.name}" already exists.']})
    # Refused on save only: a stored workflow saved before this rule still compiles (and
    # the linter reports it).
    if compiled.frequency == "every_time" and compiled.trigger not in REPEATABLE_TRIGGERS:
        raise DefinitionError({"frequency": [vocabulary.FREQUENCY_NOT_REPEATABLE]})
    return compiled


def _apply(workflow: Workflow, compiled: CompiledWorkflow) -> None:
    for key, value in compiled.document.items():
        setattr(workflow, key, value)
    workflow.is_background = compiled.is_background


def _next_priority(trigger: str) -> int:
    highest = Workflow.objects.filter(trigger=trigger).aggregate(Max("priority"))["priority__max"]
    return 0 if highest is None else highest + 1


@transaction.atomic
def workflow_create(*, document, author=None) -> Workflow:
    """Validate and save a new workflow, last in its trigger's priority order: version 1."""
    compiled = workflow_validate(document)
    workflow = Workflow(priority=_next_priority(compiled.trigger), version=1)
    _apply(workflow, compiled)
    workflow.save()
    WorkflowVersion.objects.create(
        workflow=workflow, number=1, document=workflow.document(), author=_teammate(author)
    )
    _after_change(workflow)
    return workflow


def _teammate(author):
    """The author to record: a signed-in teammate, or nobody (a command, an import)."""
    return author if getattr(author, "pk", None) is not None else None


# What a version is compared on: the status is the on/off switch beside it (a status
# change alone publishes no new version).
def _content(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "status"}


@transaction.atomic
def workflow_update(*, workflow: Workflow, document, author=None) -> Workflow:
    """Validate and publish a changed workflow: its document becomes the next version
    (none when only the status changed); a new trigger puts it last in that trigger."""
    compiled = workflow_validate(document, workflow=workflow)
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    renamed = compiled.name.casefold() != workflow.name.casefold()
    if workflow.trigger == "reusable" and (renamed or compiled.trigger != "reusable"):
        callers = callers_of(workflow)
        if callers:
            field = "name" if renamed else "trigger"
            raise DefinitionError(
                {field: [f"Run by {', '.join(callers)}: change those run_workflow steps first."]}
            )
    if compiled.trigger != workflow.trigger:
        workflow.priority = _next_priority(compiled.trigger)
    changed = _content(compiled.document) != _content(workflow.document())
    _apply(workflow, compiled)
    if changed:
        workflow.version += 1
        WorkflowVersion.objects.create(
            workflow=workflow,
            number=workflow.version,
            document=workflow.document(),
            author=_teammate(author),
        )
    workflow.save()
    _after_change(workflow)
    return workflow


NO_DRAFT = "There is no draft to publish."
UNKNOWN_VERSION = "This workflow has no version {number}."


@transaction.atomic
def workflow_save_draft(*, workflow: Workflow, document) -> Workflow:
    """Validate a document and keep it as the workflow's draft: nothing runs on it until
    it is published (runs, the catalog and the live version are unchanged)."""
    compiled = workflow_validate(document, workflow=workflow)
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    workflow.draft = compiled.document
    workflow.draft_saved_at = timezone.now()
    workflow.save(update_fields=["draft", "draft_saved_at", "updated_at"])
    return workflow


@transaction.atomic
def workflow_discard_draft(*, workflow: Workflow) -> Workflow:
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    workflow.draft = None
    workflow.draft_saved_at = None
    workflow.save(update_fields=["draft", "draft_saved_at", "updated_at"])
    return workflow


@transaction.atomic
def workflow_publish(*, workflow: Workflow, author=None) -> Workflow:
    """Make the draft live as the next version (validated again: names it uses may have
    gone since it was saved), then drop it."""
    workflow = Workflow.objects.select_for_update().get(pk=workflow.pk)
    if workflow.draft is None:
        raise DefinitionError({"draft": [NO_DRAFT]})
    workflow = workflow_update(workflow=workflow, document=workflow.draft, author=author)
    workflow.draft = None
    workflow.draft_saved_at = None
    workflow.save(update_fields=["draft", "draft_saved_at", "updated_at"])
    return workflow


@transaction.atomic
def workflow_restore(*, workflow: Workflow, number: int, author=None) -> Workflow:
    """Publish version `number`'s document as a new version; the status stays as it is
    (restoring content does not switch a workflow on or off). A draft is kept."""
    version = WorkflowVersion.objects.filter(workflow=workflow, number=number).first()
    if version is None:
        raise DefinitionError({"version": [UNKNOWN_VERSION.format(number=number)]})
    document = {**version.document, "status": workflow.status}
    updated = workflow_update(workflow=workflow, document=document, author=author)
    if updated.version == workflow.version:
        # The live document already is that one: publish it anyway, as asked, so the
        # history says who restored what and when.
        updated.version += 1
        WorkflowVersion.objects.create(
            workflow=updated,
            number=updated.version,
            document=updated.document(),
            author=_teammate(author),
        )
        updated.save(update_fields=["version", "updated_at"])
    return updated


@transaction.atomic
def workflow_set_status(*, workflow: Workflow, status: str) -> Workflow:
    if status not in Workflow.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    Workflow.objects.filter(pk=workflow.pk).update(status=status)
    workflow.status = status
    bump_catalog_version()
    return workflow


def callers_of(workflow: Workflow) -> list[str]:
    return sorted(
        row.name
        for row in Workflow.objects.exclude(pk=workflow.pk)
        if workflow.name.casefold() in _calls(row.steps)
    )


class WorkflowInUse(ValidationError):
    """Archiving a reusable workflow that another workflow's run_workflow step names."""


WORKFLOW_IN_USE = "Run by {names}: remove those run_workflow steps first."


@transaction.atomic
def workflow_archive(*, workflow: Workflow) -> Workflow:
    """Archive a workflow (what "delete" means, API.md "Safer writes"); one transaction:

    1. lock the workflow row (no key); an already archived workflow is a no-op;
    2. refuse (WorkflowInUse) while another workflow's run_workflow step names it —
       its runs would otherwise fail half-way through the caller's steps;
    3. stamp `archived_at` and bump the catalog: from the commit on, no process starts
       a run of it, and its name is free again;
    4. end its active runs as interrupted, each under its conversation's lock, taken in
       id order (the orchestrator's lock): bot inboxes are left and held-back
       assignments applied, and each run gets an `interrupted` log record.

    Runs and logs are kept. A worker that read the catalog just before step 3 committed
    may still start a run; the orchestrator ends it the next time it processes that
    conversation (`ConversationProcessor.end_runs_of_archived_workflows`).
    """
    from workflows.processing import interrupt_runs_of_workflow

    # FOR NO KEY UPDATE: a worker that holds a conversation's lock and writes a run
    # pointing at this workflow (a key-share lock) is not blocked, so no deadlock with
    # the conversation locks taken below.
    workflow = Workflow.all_objects.select_for_update(no_key=True).get(pk=workflow.pk)
    if workflow.archived_at is not None:
        return workflow
    callers = callers_of(workflow)
    if callers:
        raise WorkflowInUse(
            {"workflow": WORKFLOW_IN_USE.format(names=", ".join(callers))}, code="in_use"
        )
    workflow.archived_at = timezone.now()
    workflow.save(update_fields=["archived_at"])
    bump_catalog_version()
    interrupt_runs_of_workflow(workflow, f'the workflow "{workflow.name}" was archived')
    return workflow


@transaction.atomic
def workflow_reorder(*, trigger: str, order: list[int]) -> list[Workflow]:
    """Set the priority order of one trigger's workflows: every id exactly once."""
    workflows = {w.pk: w for w in Workflow.objects.select_for_update().filter(trigger=trigger)}
    if len(order) != len(set(order)) or set(order) != set(workflows):
        raise ValidationError({"order": REORDER_NOT_A_PERMUTATION})
    for priority, pk in enumerate(order):
        workflows[pk].priority = priority
    Workflow.objects.bulk_update(workflows.values(), ["priority"])
    bump_catalog_version()
    return [workflows[pk] for pk in order]


def _after_change(workflow: Workflow) -> None:
    """Keep derived flags true and tell every process to recompile."""
    if workflow.trigger == "reusable" or _calls(workflow.steps):
        refresh_customer_facing_flags()
        workflow.refresh_from_db(fields=["is_background"])
    bump_catalog_version()


def _has_customer_facing_step(steps) -> bool:
    return any(
        (kind := step_type(step.get("type"))) is not None and kind.customer_facing
        for step in _all_steps(steps)
    )


def refresh_customer_facing_flags() -> None:
    """A workflow is customer-facing if a step of its own is, or if any reusable workflow
    it runs is, at any depth: computed to a fixed point over all workflows."""
    rows = list(Workflow.objects.only("id", "name", "trigger", "steps", "is_background"))
    facing = {row.pk: _has_customer_facing_step(row.steps) for row in rows}
    by_name = {row.name.casefold(): row.pk for row in rows if row.trigger == "reusable"}
    calls = {row.pk: [by_name[n] for n in _calls(row.steps) if n in by_name] for row in rows}
    changed = True
    while changed:
        changed = False
        for pk, callees in calls.items():
            if not facing[pk] and any(facing[callee] for callee in callees):
                facing[pk] = changed = True
    for row in rows:
        if row.is_background == facing[row.pk]:
            Workflow.objects.filter(pk=row.pk).update(is_background=not facing[row.pk])


def workflows_export() -> list[dict]:
    """Every workflow in API.md's format, by trigger and priority (the import order)."""
    return [
        workflow.document() for workflow in Workflow.objects.order_by("trigger", "priority", "id")
    ]


@transaction.atomic
def workflows_import(documents: list, *, author=None) -> list[Workflow]:
    """Create or update (by name) each workflow; all or nothing.

    Reusable workflows are saved first so the others can name them. Errors are keyed
    by the document's position: ``workflows[3].steps[0].team``.
    """
    if not isinstance(documents, list):
        raise DefinitionError({"workflows": ["A list of workflow documents."]})
    indexed = list(enumerate(documents))
    indexed.sort(
        key=lambda pair: not (isinstance(pair[1], dict) and pair[1].get("trigger") == "reusable")
    )
    saved = {}
    errors = {}
    for position, document in indexed:
        if isinstance(document, dict):
            document = without_read_only_keys(document)
        existing = None
        if isinstance(document, dict) and isinstance(document.get("name"), str):
            existing = Workflow.objects.filter(name__iexact=document["name"].strip()).first()
        try:
            if existing is None:
                saved[position] = workflow_create(document=document, author=author)
            else:
                saved[position] = workflow_update(
                    workflow=existing, document=document, author=author
                )
        except DefinitionError as error:
            for place, messages in error.errors.items():
                errors[f"workflows[{position}].{place}"] = messages
    if errors:
        raise DefinitionError(errors)
    # The file's order within a trigger is the priority order.
    by_trigger = {}
    for position in sorted(saved):
        by_trigger.setdefault(saved[position].trigger, []).append(saved[position].pk)
    for trigger, ids in by_trigger.items():
        rest = list(
            Workflow.objects.filter(trigger=trigger)
            .exclude(pk__in=ids)
            .values_list("pk", flat=True)
        )
        workflow_reorder(trigger=trigger, order=ids + rest)
    return [saved[position] for position in sorted(saved)]


@transaction.atomic
def workflow_duplicate(*, workflow: Workflow, author=None) -> Workflow:
    """A draft copy named "<name> (copy)", "<name> (copy 2)", …, last in its trigger."""
    base = f"{workflow.name} (copy"
    number = 1
    name = f"{base})"
    while Workflow.objects.filter(name__iexact=name).exists():
        number += 1
        name = f"{base} {number})"
    return workflow_create(
        document={**workflow.document(), "name": name, "status": "draft"}, author=author
    )
