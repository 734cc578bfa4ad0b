"""Workflow definitions, their runs, the decision log and deferred assignments."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from conversations.models import Conversation, Event, Team, Teammate
from workflows.engine.definitions import FREQUENCIES, STATUSES, TRIGGERS


class CurrentWorkflowManager(models.Manager):
    """Workflows not archived: what lists, reads, the catalog and name checks see."""

    def get_queryset(self):
        return super().get_queryset().filter(archived_at__isnull=True)


class Workflow(models.Model):
    """One workflow document (API.md's format) with its derived, stored facts.

    Deleting archives (API.md "Safer writes"): the row stays, with its runs and logs, so
    the timeline's explanations and the run history survive; `objects` no longer sees it.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        LIVE = "live", "Live"
        PAUSED = "paused", "Paused"

    # Unique among workflows not archived (case-insensitive): see Meta.constraints.
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=10, choices=[(s, s.title()) for s in STATUSES], default="draft"
    )
    trigger = models.CharField(max_length=40, choices=[(t, t.replace("_", " ")) for t in TRIGGERS])
    trigger_options = models.JSONField(default=dict, blank=True)
    frequency = models.CharField(
        max_length=12, choices=[(f, f.replace("_", " ")) for f in FREQUENCIES], default="once"
    )
    # Order among the workflows of one trigger: 0 runs first.
    priority = models.PositiveIntegerField(default=0)
    audience = models.JSONField(default=dict, blank=True)
    steps = models.JSONField(default=list)
    # Derived on save from the steps: no customer-facing step anywhere (DESIGN.md §5).
    is_background = models.BooleanField(default=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The live version's number (WorkflowVersion.number): every publish adds one.
    version = models.PositiveIntegerField(default=1, editable=False)
    # A saved, unpublished document (the builder's edits of a live workflow); null: none.
    draft = models.JSONField(null=True, blank=True, editable=False)
    draft_saved_at = models.DateTimeField(null=True, blank=True, editable=False)

    all_objects = models.Manager()
    objects = CurrentWorkflowManager()

    class Meta:
        ordering = ["trigger", "priority", "id"]
        # Lists, reads, the catalog and the admin see the current ones; related rows (a
        # run's workflow) see archived ones too.
        default_manager_name = "objects"
        base_manager_name = "all_objects"
        indexes = [models.Index(fields=["status", "trigger", "priority"], name="wf_status_trigger")]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                condition=models.Q(archived_at__isnull=True),
                name="workflow_name_unique_unarchived",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_customer_facing(self) -> bool:
        return not self.is_background

    def document(self) -> dict:
        """The workflow in API.md's JSON format."""
        return {
            "name": self.name,
            "status": self.status,
            "trigger": self.trigger,
            "trigger_options": self.trigger_options,
            "frequency": self.frequency,
            "audience": self.audience,
            "steps": self.steps,
        }


class WorkflowVersion(models.Model):
    """One published document of a workflow, numbered from 1; never changed once written.

    A run keeps the number it started on and finishes on that document (API.md
    "Versions, replay and lint"); the history page compares and restores them.
    """

    # Workflows are archived, not deleted (their runs protect them); a workflow that never
    # ran may be deleted outright (the admin, tests), and its versions mean nothing alone.
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["workflow", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["workflow", "number"], name="workflow_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.workflow} version {self.number}"


class CatalogVersion(models.Model):
    """One row whose stamp changes with every workflow change, in every process's view.

    Each process caches the compiled live workflows and recompiles when it reads a new
    number: cheap invalidation without a message bus.
    """

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"workflow catalog version {self.version}"


class WorkflowRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        WAITING = "waiting", "Waiting"
        COMPLETED = "completed", "Completed"
        INTERRUPTED = "interrupted", "Interrupted"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.RUNNING, Status.WAITING)

    # PROTECT: workflows are archived, never deleted; a run and its log are history.
    workflow = models.ForeignKey(
        Workflow, on_delete=models.PROTECT, related_name="runs", db_index=False
    )
    # Indexed by run_conv_workflow (and the workflow by run_workflow_started).
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="workflow_runs", db_index=False
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="started_runs"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RUNNING)
    is_customer_facing = models.BooleanField(default=False)
    # Where to resume: a stack of frames {"workflow": id, "path": [...], "index": n}.
    cursor = models.JSONField(default=list, blank=True)
    # What a waiting run waits for: timer, reply_buttons, collect_data or unsnooze.
    waiting_for = models.CharField(max_length=20, blank=True)
    wait = models.JSONField(default=dict, blank=True)
    resume_at = models.DateTimeField(null=True, blank=True)
    depth = models.PositiveSmallIntegerField(default=0)
    # The workflow's version (WorkflowVersion.number) the run started on and finishes on.
    # Runs from before versions existed ran on what became version 1.
    version = models.IntegerField(default=1)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            # DESIGN.md §6.3: at most one active customer-facing run per conversation,
            # enforced by the database.
            models.UniqueConstraint(
                fields=["conversation"],
                condition=models.Q(is_customer_facing=True, status__in=["running", "waiting"]),
                name="one_active_customer_facing_run",
            )
        ]
        indexes = [
            models.Index(fields=["workflow", "started_at"], name="run_workflow_started"),
            # The processor reads a conversation's active runs on every event: straight
            # to them, not through all its finished ones. Small: finished runs drop out.
            models.Index(
                fields=["conversation"],
                condition=models.Q(status__in=["running", "waiting"]),
                name="run_active_by_conv",
            ),
            # Which workflows ran before on a conversation (frequency "once"): read from
            # the index alone. Also serves the conversation foreign key.
            models.Index(fields=["conversation", "workflow"], name="run_conv_workflow"),
        ]

    def __str__(self) -> str:
        return f"{self.workflow} on {self.conversation_id} ({self.status})"


class WorkflowLog(models.Model):
    """One line per step and per decision: the explanation shown in the timeline."""

    class Kind(models.TextChoices):
        STARTED = "started", "Run started"
        STEP = "step", "Step done"
        BRANCH = "branch", "Branch chosen"
        DEFERRED = "deferred", "Step deferred"
        DEFERRED_APPLIED = "deferred_applied", "Deferred step applied"
        WAITING = "waiting", "Waiting"
        RESUMED = "resumed", "Resumed"
        COMPLETED = "completed", "Run completed"
        INTERRUPTED = "interrupted", "Run interrupted"
        FAILED = "failed", "Run failed"
        SKIPPED = "skipped", "Workflow skipped"
        NOT_MATCHED = "not_matched", "Targeting did not match"
        CHAIN_CUT = "chain_cut", "Chain of workflow events cut"

    # Both indexed by the composite indexes below, which lead with them: one index less
    # to write per log row.
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="workflow_logs", db_index=False
    )
    workflow = models.ForeignKey(
        Workflow,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="logs",
        db_index=False,
    )
    run = models.ForeignKey(
        WorkflowRun, null=True, blank=True, on_delete=models.CASCADE, related_name="logs"
    )
    event = models.ForeignKey(Event, null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    message = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["conversation", "id"], name="log_conversation"),
            models.Index(fields=["workflow", "kind", "created_at"], name="log_workflow_kind"),
        ]

    def __str__(self) -> str:
        return self.message


class DeferredAssignment(models.Model):
    """An assign step of a background run held back while the bot handles the conversation
    (DESIGN.md §6.5); applied in the order recorded."""

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="deferred_assignments"
    )
    run = models.ForeignKey(WorkflowRun, on_delete=models.CASCADE, related_name="deferred")
    assignee = models.ForeignKey(Teammate, null=True, blank=True, on_delete=models.CASCADE)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE)
    # The step's assignment method within the team ("" for the team alone).
    method = models.CharField(max_length=20, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["conversation", "id"],
                condition=models.Q(applied_at__isnull=True),
                name="deferred_pending",
            )
        ]

    def __str__(self) -> str:
        return f"deferred assignment on {self.conversation_id}"


class Timer(models.Model):
    """A stored due time of a conversation — a wait step, a snooze, a silence, an SLA
    target — fired by the processor (workflows/timers.py) when due: a Celery ETA task
    sends it, the `workflows.fire_due_timers` sweep behind it catches any the broker
    lost; `fired_at`, set under the conversation's lock, makes it fire once."""

    class Kind(models.TextChoices):
        WAIT = "wait", "Wait step"
        SNOOZE = "snooze", "Snooze"
        SLA = "sla", "SLA target"
        CUSTOMER_UNRESPONSIVE = "customer_unresponsive", "Customer unresponsive"
        TEAMMATE_UNRESPONSIVE = "teammate_unresponsive", "Teammate unresponsive"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="timers")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    # Only makes the timer unique per conversation and kind (a duplicate is a no-op);
    # never read back: what firing needs is in due_at and payload.
    key = models.CharField(max_length=120)
    due_at = models.DateTimeField()
    # wait: {"run": id}; snooze: {"until"}; sla: {"target"} (due at due_at);
    # silences: {"after": "1800s", "since": the message's time}.
    payload = models.JSONField(default=dict, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "kind", "key"], name="timer_once")
        ]
        indexes = [
            # The sweep: unfired timers due by now.
            models.Index(
                fields=["due_at"], condition=models.Q(fired_at__isnull=True), name="timer_pending"
            ),
            # The processor: a conversation's unfired timers.
            models.Index(
                fields=["conversation", "due_at"],
                condition=models.Q(fired_at__isnull=True),
                name="timer_pending_conversation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} on {self.conversation_id}"


# The longest error text kept; the full traceback is in the worker's log.
PROCESSING_ERROR_MAX_LENGTH = 1000


class ProcessingFailure(models.Model):
    """A conversation whose processing raised: how many times in a row, the last error,
    and when the sweeps may try again (exponential back-off). Deleted by the next
    success. From PROCESSING_FAILURES_BEFORE_FAILING in a row on it is *failing*: shown in
    the inbox and the admin until a retry succeeds."""

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, related_name="processing_failure"
    )
    failures = models.PositiveIntegerField(default=0)
    error = models.TextField(max_length=PROCESSING_ERROR_MAX_LENGTH, blank=True)
    first_failed_at = models.DateTimeField(default=timezone.now)
    last_failed_at = models.DateTimeField(default=timezone.now)
    retry_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_failed_at", "-id"]

    def __str__(self) -> str:
        return f"processing of conversation {self.conversation_id} failed {self.failures}×"

    @property
    def is_failing(self) -> bool:
        return self.failures >= settings.PROCESSING_FAILURES_BEFORE_FAILING


class Secret(models.Model):
    """A value an HTTP request step's headers name instead of holding it
    (`{{secret.NAME}}`): set by admins (Django admin, /api/secrets/), never shown or
    returned after it is saved, never logged; read only by the task that sends the call."""

    name = models.CharField(max_length=64, unique=True)
    value = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name  # never the value

    def __repr__(self) -> str:
        return f"<Secret {self.name}>"


class ReplaySnapshot(models.Model):
    """What the rules read about a conversation when one of its events was processed:
    replay (workflows/replay.py) judges a workflow on past events against these facts.

    Written only for events that fire a trigger, in the statement that marks the
    events processed (run_rows.insert_runs). Bounded: workflows/engine/snapshot.py caps
    every string, custom-attribute map and tag list (MAX_SNAPSHOT_BYTES at most); kept
    REPLAY_RETENTION_DAYS (the `workflows.delete_old_replay_snapshots` beat task)."""

    event = models.OneToOneField(
        Event, on_delete=models.CASCADE, primary_key=True, related_name="replay_snapshot"
    )
    # The triggers the event fired, ",a,b," so one LIKE finds a trigger's events anywhere.
    triggers = models.CharField(max_length=200)
    facts = models.JSONField()
    # The workflow whose customer-facing run was active when the event came (§6.3).
    active_customer_facing = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"facts of event {self.event_id}"


class ReplayJob(models.Model):
    """A replay too large to answer within the request: run by the
    `workflows.replay_workflow` task, polled by the builder for its progress."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="replay_jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    since_days = models.PositiveIntegerField()
    document = models.JSONField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    events_total = models.PositiveIntegerField(default=0)
    events_done = models.PositiveIntegerField(default=0)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"replay {self.pk} of workflow {self.workflow_id}"

    @property
    def progress(self) -> int:
        """Percent done."""
        if not self.events_total:
            return 100 if self.status == self.Status.DONE else 0
        return min(100, self.events_done * 100 // self.events_total)


class Macro(models.Model):
    """A teammate's saved actions: background steps and a reply, run on conversations
    as the teammate who runs it (workflows/macros.py). Personal (its owner sees it) or
    shared (every teammate sees it); its owner or an admin edits it."""

    name = models.CharField(max_length=200)
    owner = models.ForeignKey(Teammate, on_delete=models.CASCADE, related_name="macros")
    shared = models.BooleanField(default=False)
    # The steps as written (API.md), validated by engine.definitions.compile_macro_steps.
    steps = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = [Lower("name"), "id"]

    def __str__(self):
        return self.name
