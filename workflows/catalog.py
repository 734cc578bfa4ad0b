"""Compiled workflows, cached per process and rebuilt when the catalog version changes."""

import logging
import secrets
import threading
from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from workflows.engine.definitions import CompiledWorkflow, References, compile_definition
from workflows.engine.errors import DefinitionError
from workflows.engine.index import TriggerIndex
from workflows.models import CatalogVersion, Workflow, WorkflowVersion

logger = logging.getLogger(__name__)


@dataclass
class Catalog:
    version: int
    # Every workflow, whatever its status: a paused workflow's runs still finish.
    by_id: dict = field(default_factory=dict)
    # Live workflows of each trigger in priority order.
    live_by_trigger: dict = field(default_factory=dict)
    indexes: dict = field(default_factory=dict)
    # The active webhook endpoints: (id, event types); saving one bumps the version.
    webhook_subscriptions: list = field(default_factory=list)

    def candidates_for(self, trigger: str) -> list[CompiledWorkflow]:
        return self.live_by_trigger.get(trigger, [])

    def index_for(self, trigger: str) -> TriggerIndex:
        return self.indexes.get(trigger) or TriggerIndex([])


_lock = threading.Lock()
_cached: Catalog | None = None


def bump_catalog_version() -> None:
    """Call in the transaction that changes a workflow: every process recompiles.

    A random stamp, not a counter: a change rolled back after a process cached it must
    not share its number with a later change that commits.
    """
    stamp = secrets.randbits(62)
    if not CatalogVersion.objects.filter(pk=1).update(version=stamp):
        CatalogVersion.objects.create(pk=1, version=stamp)


def current_catalog() -> Catalog:
    """The compiled workflows as of now: one query when nothing changed."""
    version = CatalogVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0
    return catalog_at(version)


def catalog_at(version: int) -> Catalog:
    """The compiled workflows of this version stamp (read by the caller, e.g. with the
    rest of what the processor reads: workflows/run_rows.load_state); no query when the
    cache has it."""
    global _cached
    cached = _cached
    if cached is not None and cached.version == version:
        return cached
    with _lock:
        _cached = build_catalog(version)
        return _cached


def build_catalog(version: int) -> Catalog:
    rows = list(Workflow.objects.order_by("trigger", "priority", "id"))
    references = References(
        reusables={
            row.name: (row.is_customer_facing, ()) for row in rows if row.trigger == "reusable"
        },
        lenient=True,
    )
    catalog = Catalog(version)
    for row in rows:
        try:
            compiled = compile_definition(
                row.document(), references, workflow_id=row.pk, priority=row.priority
            )
        except DefinitionError as error:
            # Saved definitions were validated; one that no longer compiles is left out.
            logger.error("workflow %s (%s) does not compile: %s", row.pk, row.name, error)
            continue
        # The stored flag was derived on save with full knowledge of reusable workflows.
        compiled = replace(compiled, is_customer_facing=row.is_customer_facing, version=row.version)
        catalog.by_id[row.pk] = compiled
        if row.status == Workflow.Status.LIVE and row.trigger != "reusable":
            catalog.live_by_trigger.setdefault(row.trigger, []).append(compiled)
    catalog.indexes = {
        trigger: TriggerIndex.build(workflows)
        for trigger, workflows in catalog.live_by_trigger.items()
    }
    from webhooks.outbox import active_subscriptions

    catalog.webhook_subscriptions = active_subscriptions()
    return catalog


# --- runs pinned to the version they started on -------------------------------------------

# Compiled past versions, per process: versions never change once written, so an entry
# never goes stale. Bounded: cleared when full (a few dozen runs span old versions at once).
MAX_PINNED_VERSIONS = 1024
_pinned: dict[tuple[int, int], CompiledWorkflow] = {}


def workflows_for_run(catalog: Catalog, workflow_id: int, version: int, cursor=()) -> Mapping:
    """The compiled workflows a run goes on with: the catalog's, with its own workflow as
    the version it started on, and each reusable workflow it went on in (a cursor frame
    with a "version") as the version it entered. The hot path (every one of them live,
    or no longer in the catalog: archived, whose run ends) costs nothing more."""
    wanted = {workflow_id: version}
    for frame in cursor or ():
        if isinstance(frame, dict) and isinstance(frame.get("version"), int):
            wanted[frame.get("workflow")] = frame["version"]
    pinned = {}
    for wanted_id, wanted_version in wanted.items():
        live = catalog.by_id.get(wanted_id)
        if live is None or live.version == wanted_version:
            continue
        found = pinned_version(live, wanted_version)
        if found is not None:
            pinned[wanted_id] = found
    return ChainMap(pinned, catalog.by_id) if pinned else catalog.by_id


def pinned_version(live: CompiledWorkflow, version: int) -> CompiledWorkflow | None:
    """Version `version` of the live workflow compiled (one query the first time in this
    process); None when there is no such version (then the live one is used)."""
    key = (live.id, version)
    found = _pinned.get(key)
    if found is not None:
        return found
    document = (
        WorkflowVersion.objects.filter(workflow_id=live.id, number=version)
        .values_list("document", flat=True)
        .first()
    )
    if document is None:
        return None
    try:
        compiled = compile_definition(
            document, References(lenient=True), workflow_id=live.id, priority=live.priority
        )
    except DefinitionError as error:
        logger.error("workflow %s version %s does not compile: %s", live.id, version, error)
        return None
    # What is customer-facing was decided for the run when it started (its own flag).
    compiled = replace(compiled, is_customer_facing=live.is_customer_facing, version=version)
    with _lock:
        if len(_pinned) >= MAX_PINNED_VERSIONS:
            _pinned.clear()
        _pinned[key] = compiled
    return compiled
