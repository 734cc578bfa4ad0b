"""The ORM side of orchestration: load, ask the planner, apply, save.

For one conversation, inside one transaction that locks its row (the caller locks it:
workflows/processing.py):

1. process its unprocessed events oldest first — including those the workflows' own
   changes create meanwhile, so a whole cascade is handled under one lock;
2. for each event: the planner (workflows/engine/planner.py) decides over plain data
   what it does — skips, interruption, resumes, starts, silence timers (DESIGN.md §6);
   the processor applies that plan in order through the services and runs steps with
   the executor (it is the executor's port); mark the event processed;
3. resume runs whose timer is due.

Every decision goes to the WorkflowLog as a record (kind + details); its words come
from workflows/log_words.py. Every change goes through the services.
"""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone

from conversations import services, sla
from conversations.actors import Actor
from conversations.dispatch import enqueue_on_commit
from conversations.models import Conversation, Event
from webhooks import outbox as webhook_outbox
from webhooks.events import RUN_ENDED, RUN_STARTED, run_event
from workflows import http_requests, log_words, step_actions, timers, vocabulary
from workflows.catalog import catalog_at, current_catalog, workflows_for_run
from workflows.engine import executor, http_step, planner, snapshot
from workflows.engine import timers as timer_rules
from workflows.engine.definitions import Step
from workflows.engine.executor import RunState
from workflows.engine.planner import (
    ConversationState,
    EventInfo,
    Interrupt,
    Plan,
    Resume,
    RunView,
    SetTimer,
    Start,
)
from workflows.facts import build_facts, event_facts, time_facts
from workflows.models import DeferredAssignment, Timer, Workflow, WorkflowLog, WorkflowRun
from workflows.run_rows import insert_runs, load_state, write_logs

logger = logging.getLogger(__name__)

# Rounds of events created while processing (workflow changes) handled in one go;
# anything beyond waits for the next task.
MAX_EVENT_ROUNDS = 20

Kind = WorkflowLog.Kind
Status = WorkflowRun.Status


def event_info(event: Event) -> EventInfo:
    """The planner's view of an outbox event."""
    return EventInfo(
        event.pk,
        event.event_type,
        event.actor_type,
        event.actor_id,
        event.actor_name,
        event.depth,
        event.payload,
        event.created_at,
    )


class ConversationProcessor:
    """Handles one locked conversation: asks the planner, applies its plan through the
    services, saves. Also the executor's port."""

    def __init__(self, conversation: Conversation):
        self.conversation = conversation
        self.now = timezone.now()
        # What it reads before deciding, in one statement where it can (run_rows.load_state).
        loaded = load_state(conversation.pk)
        if loaded is None:
            self.catalog = current_catalog()
            self.runs = list(
                WorkflowRun.objects.filter(conversation=conversation, status__in=WorkflowRun.ACTIVE)
            )
            self.timers = timers.load_pending(conversation.pk)
            self._pending = None
            self._ran_before = None
        else:
            self.catalog = catalog_at(loaded.catalog_version)
            self.runs = loaded.runs
            self.timers = loaded.timers
            self._pending = loaded.events
            self._ran_before = loaded.ran_before
            services.conversation_tags_known(conversation, loaded.tags)
        self.new_timers: list[Timer] = []
        # Runs started and not written yet: inserted together by `flush_runs`.
        self.new_runs: list[WorkflowRun] = []
        # Replay's snapshots of the events handled (keep_snapshot), written by `run`.
        self.snapshots: list[tuple] = []
        self._facts = None
        self._clock = None
        self.event = None
        self.event_info = None
        self.message = None
        self.current_run = None
        self.logs = []
        # Runs advanced or ended, answers stored: what may have written events.
        self.changes = 0
        # The conversation's held-back writes while `run` goes (a step changed something
        # when they grew), and the record of the step just done, for its log line.
        self.batch = None
        self.step_done = None
        # For the webhooks: the events handled, the runs started or ended (type, run).
        self.handled_events: list[Event] = []
        self.run_changes: list[tuple[str, WorkflowRun]] = []

    # --- the loop ---------------------------------------------------------------------

    def run(self) -> int:
        """Events oldest first, each after the timers that were due before it; then the
        timers due now; again while the round changed the conversation (a change writes
        events: the next round reads them; a round that only logged wrote none).

        The services hold back the conversation's writes meanwhile: written together
        (one UPDATE, one INSERT of parts, one of events) at the end of each round, before
        the next round reads the events, and whenever something reads them sooner."""
        with services.conversation_writes_batched(self.conversation) as batch:
            self.batch = batch
            try:
                handled = self.rounds(batch)
                batch.flush()
                # One statement: the runs, the handled events marked processed, the timers,
                # the log records.
                written = timers.take(self)
                runs, self.new_runs = self.new_runs, []
                logs, self.logs = self.logs, []
                snapshots, self.snapshots = self.snapshots, []
                pk = self.conversation.pk
                insert_runs(
                    runs,
                    processed=(handled, self.now),
                    timers=written,
                    logs=[(pk, *log) for log in logs],
                    snapshots=snapshots,
                )
                timers.send_after_commit(self, written)
                self.record_webhook_deliveries()
            finally:
                self.batch = None
        self.flush_logs()
        return len(handled)

    def rounds(self, batch) -> list[int]:
        """The loop; returns the ids of the events handled. The first round reads the
        pending events; a later one, the events the rounds before it wrote
        (`batch.written`): under the conversation's lock no one else writes its events.
        All are marked processed in one UPDATE at the end (`run`)."""
        handled = []
        self.end_runs_of_archived_workflows()
        for number in range(MAX_EVENT_ROUNDS):
            batch.flush()  # the round reads the events written so far
            if number == 0 and self._pending is not None:
                # Those read with the rest, and any written since (archived runs ended).
                events = sorted(self._pending + batch.written, key=lambda e: e.pk)
                self._pending, batch.written = None, []
            elif number == 0:
                events = list(
                    Event.objects.filter(
                        conversation_id=self.conversation.pk, processed_at__isnull=True
                    ).order_by("id")
                )
                batch.written = []
            else:
                events, batch.written = sorted(batch.written, key=lambda e: e.pk), []
            changes = self.changes
            for event in events:
                self.fire_due_timers(due_by=event.created_at)
                self.handle(event)
            handled += [event.pk for event in events]
            self.handled_events += events
            self.fire_due_timers(due_by=self.now)
            if events:
                self.watch_sla()
            if self.changes == changes:
                break  # nothing changed (no step, no run ended, no timer fired): no events
        else:
            # Still more: let the next task continue after this commit.
            from workflows.tasks import process_conversation_events_task

            enqueue_on_commit(process_conversation_events_task, self.conversation.pk)
        return handled

    def record_webhook_deliveries(self) -> None:
        """The webhook deliveries of the events handled and the runs started or ended,
        in this transaction (webhooks/outbox.py); call once the runs have their ids."""
        handled, changes = self.handled_events, self.run_changes
        self.handled_events, self.run_changes = [], []
        if not self.catalog.webhook_subscriptions:
            return  # no endpoint: no work per event
        events = webhook_outbox.conversation_events(handled)
        for webhook_type, run in changes:
            workflow = self.catalog.by_id.get(run.workflow_id)
            events.append(run_event(
                webhook_type, conversation_id=self.conversation.pk,
                at=run.ended_at if webhook_type == RUN_ENDED else run.started_at,
                run_id=run.pk, workflow_id=run.workflow_id,
                workflow_name=workflow.name if workflow else "",
                status=run.status if webhook_type == RUN_ENDED else Status.RUNNING,
                end_reason=run.end_reason or "",
            ))  # fmt: skip
        webhook_outbox.record_deliveries(self.catalog.webhook_subscriptions, events)

    def flush_runs(self) -> None:
        """Insert the runs started since the last flush, in one INSERT (ids returned)."""
        if self.new_runs:
            runs, self.new_runs = self.new_runs, []
            insert_runs(runs)

    def flush_logs(self) -> None:
        """Write the queued records; their runs first (the records name them)."""
        self.flush_runs()
        if self.logs:
            logs, self.logs = self.logs, []
            pk = self.conversation.pk
            write_logs(
                [(pk, w, run.pk if run is not None else None, *rest) for w, run, *rest in logs]
            )

    def handle(self, event: Event) -> None:
        self.event = event
        self.event_info = info = event_info(event)
        self.message = None
        if "body" in event.payload:
            self.message = (event.payload["body"], event.actor_type)
        self._facts = None
        state = self.state(info)
        self.keep_snapshot(info, state)
        self.apply(planner.plan(state, info, self.catalog, self.now))

    def keep_snapshot(self, info: EventInfo, state: ConversationState) -> None:
        """Replay's record of what the rules read for an event that fires a trigger
        (workflows/engine/snapshot.py): written with the events marked processed."""
        triggers = planner.triggers_for(info)
        if triggers:
            active = planner.active_customer_facing(state.runs)
            self.snapshots.append(
                (
                    info.id,
                    "," + ",".join(triggers) + ",",
                    snapshot.snapshot(state.facts),
                    active.workflow_id if active is not None else None,
                    info.created_at,
                )
            )

    def state(self, info: EventInfo) -> ConversationState:
        """What the planner needs; the history is read only when a workflow could start."""
        return ConversationState(
            facts=self.facts(),
            runs=[self.view(run) for run in self.runs],
            ran_before=self.ran_before() if planner.has_candidates(info, self.catalog) else (),
        )

    def apply(self, plan: Plan) -> None:
        """The plan's effects in order, each through the services."""
        silences = []
        for effect in plan.effects:
            if isinstance(effect, Start):
                self.start(effect.workflow, effect.trigger)
            elif isinstance(effect, Interrupt):
                run = self.run_of(effect.run_id)
                if run is not None:
                    self.end_run(
                        run, Status.INTERRUPTED, effect.details, drop_deferred=effect.drop_deferred
                    )
            elif isinstance(effect, Resume):
                run = self.run_of(effect.run_id)
                if run is not None and run.status == Status.WAITING:
                    self.resume(run, effect)
            elif isinstance(effect, SetTimer):
                silences.append(effect)
            else:  # Skip, NotMatched, ChainCut: a record only
                self.record(None, effect.workflow, effect.log_kind, effect.details)
        self.watch_silence(silences)

    # --- runs -------------------------------------------------------------------------

    @staticmethod
    def key(run: WorkflowRun):
        """The run's id for the planner, the same before and after it is inserted."""
        return run.__dict__.get("_new_key") or run.pk

    def view(self, run: WorkflowRun) -> RunView:
        return RunView(
            id=self.key(run),
            workflow_id=run.workflow_id,
            is_customer_facing=run.is_customer_facing,
            status=run.status,
            waiting_for=run.waiting_for,
            wait=run.wait or {},
            cursor=run.cursor or [],
            depth=run.depth,
            event_id=run.event_id,
            resume_at=run.resume_at,
        )

    def run_of(self, key) -> WorkflowRun | None:
        return next((run for run in self.runs if self.key(run) == key), None)

    def start(self, workflow, trigger: str) -> None:
        # Saved when it first waits or ends: one INSERT with its state instead of two writes.
        run = WorkflowRun(
            workflow_id=workflow.id,
            conversation=self.conversation,
            event=self.event,
            is_customer_facing=workflow.is_customer_facing,
            status=Status.RUNNING,
            depth=self.event_info.depth,
            started_at=self.now,
            version=workflow.version,
        )
        run._new_key = ("new", id(run))
        self.runs.append(run)
        self.ran_before().add(workflow.id)
        details = {**Start(workflow, trigger).details, "version": workflow.version}
        self.record(run, workflow, Kind.STARTED, details)
        self.run_changes.append((RUN_STARTED, run))
        state = RunState.starting(workflow)
        if workflow.is_customer_facing and settings.BOT_INBOX_ENABLED:
            self.with_run(run, lambda: services.conversation_set_bot_inbox(
                conversation=self.conversation, in_bot_inbox=True, acting=self.acting(workflow)
            ))  # fmt: skip
        self.continue_run(run, state)

    def continue_run(self, run: WorkflowRun, state: RunState) -> None:
        self.changes += 1
        # On the version it started on, whatever was published since.
        workflows = workflows_for_run(self.catalog, run.workflow_id, run.version, state.cursor)
        outcome = self.with_run(run, lambda: executor.advance(state, workflows, self))
        run.cursor = state.cursor
        if outcome.status == executor.WAITING:
            run.status = Status.WAITING
            run.waiting_for = outcome.waiting_for
            # Events up to this one came before the wait: none of them may end it.
            run.wait = {**outcome.wait, "after_event": self.latest_event_id()}
            if outcome.waiting_for == http_step.WAITING_FOR:
                run.wait["call"] = http_requests.new_call_id()  # its answer names it
            # The wait's due time is its timer's; the run shows it (API: resume_at).
            run.resume_at = outcome.resume_at
            self.save_run(run, ["status", "cursor", "waiting_for", "wait", "resume_at"])
            if outcome.resume_at is not None:
                self.flush_runs()  # its timer names it
                self.add_timer(timer_rules.wait_timer(run.pk, outcome.resume_at))
            if outcome.waiting_for == http_step.WAITING_FOR:
                http_requests.send_on_commit(run)
        elif outcome.status == executor.COMPLETED:
            self.end_run(run, Status.COMPLETED, {})
        else:
            self.end_run(run, Status.FAILED, {"error": outcome.reason})

    def end_runs_of_archived_workflows(self) -> None:
        """A run of a workflow missing from the catalog whose workflow was archived ends
        here: a worker that read the catalog just before an archive committed may have
        started it after the archive ended the others. Costs a query only then."""
        missing = {run.workflow_id for run in self.runs} - set(self.catalog.by_id)
        if not missing:
            return
        archived = {
            workflow.pk: workflow
            for workflow in Workflow.all_objects.filter(pk__in=missing, archived_at__isnull=False)
        }
        for run in [r for r in self.runs if r.workflow_id in archived]:
            self.end_archived_run(run, archived[run.workflow_id])

    def end_archived_run(self, run: WorkflowRun, workflow) -> None:
        self.end_run(
            run,
            Status.INTERRUPTED,
            {
                "cause": "workflow_archived",
                "reason": "workflow_archived",
                "workflow": workflow.pk,
                "name": workflow.name,
            },
            ended_by=Actor.workflow(workflow.pk, workflow.name, depth=run.depth + 1),
        )

    def end_run(
        self,
        run: WorkflowRun,
        status: str,
        details: dict,
        *,
        ended_by: Actor | None = None,
        drop_deferred: bool = False,
    ) -> None:
        """End a run; `details` is the record of why (log_words says it). With
        `drop_deferred`, held-back assignments are dropped, not applied."""
        self.changes += 1
        kind = {Status.COMPLETED: Kind.COMPLETED, Status.INTERRUPTED: Kind.INTERRUPTED}.get(
            status, Kind.FAILED
        )
        run.status = status
        run.ended_at = self.now
        run.end_reason = log_words.words(kind, details) or status
        run.resume_at = None
        self.save_run(run, ["status", "ended_at", "end_reason", "resume_at", "cursor"])
        self.runs.remove(run)
        workflow = self.catalog.by_id.get(run.workflow_id)
        self.record(run, workflow, kind, details, workflow_id=run.workflow_id)
        self.run_changes.append((RUN_ENDED, run))
        if run.is_customer_facing:
            # §6.5: the bot is done; held-back assignments apply now, in order.
            if self.conversation.in_bot_inbox:
                self.with_run(run, lambda: services.conversation_set_bot_inbox(
                    conversation=self.conversation, in_bot_inbox=False,
                    acting=ended_by or (self.acting(workflow) if workflow else Actor.system()),
                ))  # fmt: skip
            self.apply_deferred_assignments(drop=drop_deferred)

    def save_run(self, run: WorkflowRun, fields: list[str]) -> None:
        """A new run is queued for `flush_runs` (inserted as it is then); a stored one is
        updated now."""
        if run.pk is None:
            if not any(queued is run for queued in self.new_runs):
                self.new_runs.append(run)
        else:
            run.save(update_fields=fields)

    def resume(self, run: WorkflowRun, resume: Resume) -> None:
        """Carry on a waiting run as the planner said: store the answer first (a refused
        one asks again and keeps waiting); after a wait, check its targeting again — the
        targeting of the version it started on."""
        workflow = workflows_for_run(self.catalog, run.workflow_id, run.version).get(
            run.workflow_id
        )
        if resume.answer is not None and not self.store_answer(run, workflow, resume):
            return
        if resume.check_audience:
            decision = planner.resume_or_end(resume, workflow, self.facts_for_run(run))
            if isinstance(decision, Interrupt):
                self.end_run(run, Status.INTERRUPTED, decision.details)
                return
        if resume.cursor is not None:
            run.cursor = resume.cursor
        if resume.saves:
            self.store_saves(run, workflow, resume)
        run.status = Status.RUNNING
        run.waiting_for = ""
        run.resume_at = None
        self.record(run, workflow, Kind.RESUMED, {**resume.details, "version": run.version})
        self.continue_run(run, RunState(run.workflow_id, run.is_customer_facing, run.cursor))

    def latest_event_id(self) -> int:
        services.conversation_flush_writes(self.conversation)  # the events written so far
        latest = Event.objects.filter(conversation_id=self.conversation.pk).aggregate(Max("id"))
        return latest["id__max"] or 0

    def facts_for_run(self, run: WorkflowRun):
        """The conversation now, with the message that started the run."""
        message, started_by = None, None
        if run.event_id is not None:
            started_by = (
                Event.objects.filter(pk=run.event_id)
                .values_list("payload", "actor_type", "event_type")
                .first()
            )
            if started_by and "body" in started_by[0]:
                message = (started_by[0]["body"], started_by[1])
        facts = planner.facts_with_message(self.facts(), message)
        # A custom event's name and metadata, as when the run started.
        facts.update(event_facts(*((started_by[2], started_by[0]) if started_by else (None, None))))
        return facts

    def store_answer(self, run: WorkflowRun, workflow, resume: Resume) -> bool:
        """Store a collected answer; a refused one is asked again (False)."""
        acting = self.acting(workflow) if workflow else Actor.system()
        self.changes += 1
        try:
            self.with_run(run, lambda: services.conversation_update_contact(
                conversation=self.conversation, attribute=resume.attribute,
                value=resume.answer, acting=acting,
            ))  # fmt: skip
        except ValidationError as error:
            words = " ".join(error.messages)
            self.with_run(run, lambda: services.conversation_bot_message(
                conversation=self.conversation, body=f"{words} Could you try again?", acting=acting
            ))  # fmt: skip
            self.record(run, workflow, Kind.WAITING, {"cause": "answer_refused", "error": words})
            return False
        self._facts = None
        return True

    def store_saves(self, run: WorkflowRun, workflow, resume: Resume) -> None:
        """An HTTP step's answer, into conversation data and contact custom attributes
        through the services (so rules and triggers after it see them); a value they
        refuse is left out, and the resumed record says which."""
        acting = self.acting(workflow) if workflow else Actor.system()
        refused = {}
        previous, self.current_run = self.current_run, run
        try:
            for target, value in resume.saves.items():
                owner, key = http_step.SAVE_TARGET.match(target).groups()
                try:
                    if owner == "conversation":
                        services.conversation_set_data(
                            conversation=self.conversation, key=key, value=value, acting=acting
                        )
                    else:
                        services.conversation_update_contact(
                            conversation=self.conversation,
                            attribute=f"custom.{key}",
                            value=http_step.as_contact_text(value),
                            acting=acting,
                        )
                except ValidationError as error:
                    refused[target] = " ".join(error.messages)
        finally:
            self.current_run = previous
        if refused:
            resume.why["refused"] = refused
        self.changes += 1
        self._facts = None

    def requeue_http_request(self, run: WorkflowRun) -> None:
        """The answer of a run's HTTP call was not recorded in time: its task was lost
        (or is very late). Send it again — at least once: the other system may get the
        request twice — and wait again."""
        workflow = self.catalog.by_id.get(run.workflow_id)
        run.resume_at = self.now + executor.HTTP_REQUEUE_AFTER
        self.save_run(run, ["resume_at"])
        self.add_timer(timer_rules.wait_timer(run.pk, run.resume_at))
        self.record(run, workflow, Kind.WAITING, {"cause": "http_requeued"})
        http_requests.send_on_commit(run)

    # --- timers: waits, snoozes, silences, SLA targets (workflows/timers.py) --------------

    def add_timer(self, spec) -> None:
        """Queue a timer; written with the others at the end of `run`, in the statement
        that inserts the runs (run_rows.insert_runs)."""
        timers.add(self, spec)

    def watch_silence(self, specs: list) -> None:
        """The timers an event sets (the plan's SetTimer effects): a snooze's end; the
        silence a message starts (workflows/engine/timers.py timers_for_event)."""
        for spec in specs:
            self.add_timer(spec)

    def watch_sla(self) -> None:
        """Each running SLA target gets a timer at its due time (a new one when the due
        time moved, e.g. after a snooze); firing checks it is still unmet."""
        for spec in timer_rules.sla_timers(sla.open_targets(self.conversation)):
            self.add_timer(spec)

    def fire_due_timers(self, *, due_by) -> None:
        """Every timer due by `due_by`, soonest first, each acting on the conversation as
        the ones before it left it; none fires twice."""
        for effect in timers.fire_due(self, due_by):
            self.event = self.event_info = self.message = None
            self._facts = None
            self.changes += 1  # a timer's change writes an event: the loop reads it
            match effect:
                case timer_rules.ResumeRun(run_id=run_id):
                    run = next(r for r in self.runs if r.pk == run_id)
                    self.resume(run, planner.wait_ended(self.view(run)))
                case timer_rules.RequeueHttpRequest(run_id=run_id):
                    self.requeue_http_request(next(r for r in self.runs if r.pk == run_id))
                case timer_rules.WakeConversation():
                    services.conversation_wake_if_due(conversation=self.conversation)
                case timer_rules.RecordSlaMiss(target=target):
                    services.conversation_record_sla_miss(
                        conversation=self.conversation, target=target
                    )
                case timer_rules.RecordSilence(side=side, after=after, since=since):
                    services.conversation_record_unresponsive(
                        conversation=self.conversation, side=side, after=after, since=since
                    )

    def apply_deferred_assignments(self, *, drop: bool = False) -> None:
        """§6.5: held-back assignments in the order recorded; with `drop` (a teammate
        assigned), each is dropped instead, and said so."""
        pending = list(
            DeferredAssignment.objects.filter(
                conversation=self.conversation, applied_at__isnull=True
            ).select_related("assignee", "team", "run")
        )
        for deferred in pending:
            workflow = self.catalog.by_id.get(deferred.run.workflow_id)
            acting = self.acting(workflow) if workflow else Actor.system()
            record = {
                "target": step_actions.describe_assignment(deferred.assignee, deferred.team),
                "outcome": "dropped_by_teammate",
            }
            if not drop:
                try:
                    step_actions.assign_by_step(
                        Step("assign", {"method": deferred.method}),
                        deferred.assignee,
                        deferred.team,
                        {"conversation": self.conversation, "acting": acting},
                    )
                    record["outcome"] = "applied"
                except ValidationError as error:
                    record.update(outcome="refused", error=" ".join(error.messages))
                self._facts = None
            deferred.applied_at = self.now
            deferred.save(update_fields=["applied_at"])
            self.record(deferred.run, workflow, Kind.DEFERRED_APPLIED, record)

    # --- what the engine asks of us (the executor's port) ------------------------------

    def facts(self):
        if self._facts is None:
            if self._clock is None:  # rebuilt after every change: the clock's part once
                self._clock = time_facts(self.now)
            self._facts = build_facts(
                self.conversation,
                now=self.now,
                message=self.message,
                load_tags=self.tag_names,
                clock=self._clock,
                event=(self.event.event_type, self.event.payload) if self.event else None,
            )
        return self._facts

    def tag_names(self) -> set:
        # The services keep the locked conversation's tags: read once per transaction.
        return set(services.conversation_tags(self.conversation))

    def perform(self, run_state: RunState, workflow, step) -> str:
        written = self.writes()
        if step.type == "handover":
            message = self.hand_over(workflow, step)
        else:
            message = step_actions.perform(self.conversation, step, self.acting(workflow), self.now)
            self._facts = None
        # The step's record for its log line (`log` adds it): what it did, and whether it
        # changed anything (a change writes a part; a tag already there writes none).
        self.step_done = {
            **step_actions.done_record(self.conversation, step),
            "changed": self.writes() > written,
        }
        return message

    def writes(self) -> int:
        """Parts and events written or queued so far in this round."""
        batch = self.batch
        return len(batch.records) + len(batch.written) if batch is not None else 0

    def hand_over(self, workflow, step) -> str:
        """Leave the bot inbox; apply held-back assignments in the order recorded, then the
        handover's own target, the latest decision."""
        acting = self.acting(workflow)
        services.conversation_set_bot_inbox(
            conversation=self.conversation, in_bot_inbox=False, acting=acting
        )
        self.apply_deferred_assignments()
        self._facts = None
        return step_actions.perform(self.conversation, step, acting, self.now)

    def bot_busy(self) -> bool:
        return self.conversation.in_bot_inbox or self.active_customer_facing() is not None

    def defer_assignment(self, run_state: RunState, workflow, step) -> str:
        assignee, team = step_actions.assignment_target(step)
        if self.current_run.pk is None:
            self.flush_runs()
            if self.current_run.pk is None:
                self.current_run.save()
        DeferredAssignment.objects.create(
            conversation=self.conversation,
            run=self.current_run,
            assignee=assignee,
            team=team,
            method=vocabulary.assign_method(step.args) or "",
            created_at=self.now,
        )
        target = step_actions.describe_assignment(assignee, team)
        self.step_done = {"type": "assign", **step_actions.assignment_record(assignee, team)}
        return f"Assignment to {target} deferred until the bot finishes"

    def log(
        self, run, workflow, kind: str, message: str, details=None, *, workflow_id=None
    ) -> None:
        """Queue a log record; `workflow_id` names the workflow when it is no longer in
        the catalog (an archived one whose run ends)."""
        if run is not None and not isinstance(run, WorkflowRun):
            run = self.current_run
        if kind in (Kind.STEP, Kind.DEFERRED) and self.step_done is not None:
            details = {**(details or {}), **self.step_done}
            self.step_done = None
        # (workflow, run, event, kind, message, details, created_at): see flush_logs.
        self.logs.append(
            (
                workflow.id if workflow is not None else workflow_id,
                run,
                self.event.pk if self.event is not None else None,
                kind,
                message,
                details or {},
                # The moment it happened, so the timeline interleaves it with the parts.
                timezone.now(),
            )
        )

    def record(self, run, workflow, kind: str, details: dict, *, workflow_id=None) -> None:
        """Queue an engine record: its words (log_words) fill the message."""
        message = log_words.words(kind, details) or kind
        self.log(run, workflow, kind, message, details, workflow_id=workflow_id)

    # --- helpers ------------------------------------------------------------------------

    def with_run(self, run: WorkflowRun, action):
        previous, self.current_run = self.current_run, run
        try:
            return action()
        finally:
            self.current_run = previous

    def acting(self, workflow) -> Actor:
        if self.current_run is not None:
            depth = self.current_run.depth + 1
        else:
            depth = self.event_info.depth + 1 if self.event_info else 1
        return Actor.workflow(workflow.id, workflow.name, depth=depth)

    def active_customer_facing(self) -> WorkflowRun | None:
        return next((run for run in self.runs if run.is_customer_facing), None)

    def ran_before(self) -> set:
        if self._ran_before is None:
            self._ran_before = set(
                WorkflowRun.objects.filter(conversation=self.conversation)
                .order_by()  # Meta.ordering would make it DISTINCT (workflow_id, id)
                .values_list("workflow_id", flat=True)
                .distinct()
            )
        return self._ran_before
