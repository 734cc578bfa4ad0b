"""Compiled workflows, cached per process and rebuilt when the catalog version changes."""

import logging
import secrets
import threading
from dataclasses import dataclass, field, replace

from workflows.engine.definitions import CompiledWorkflow, References, compile_definition
from workflows.engine.errors import DefinitionError
from workflows.engine.index import TriggerIndex
from workflows.models import CatalogVersion, Workflow

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
        compiled = replace(compiled, is_customer_facing=row.is_customer_facing)
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
