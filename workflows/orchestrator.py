"""The ORM side of orchestration: load, lock, decide (engine), act (services), save.

For one conversation, inside one transaction that locks its row:

1. process its unprocessed events oldest first — including those the workflows' own
   changes create meanwhile, so a whole cascade is handled under one lock;
2. for each event: decide which workflows start and which are skipped (§6.1–3, with
   the customer-facing run as it was when the event came, §6.4), interrupt the active
   customer-facing run if a teammate acted, resume runs waiting for this event, start
   the new runs in priority order; mark the event processed;
3. resume runs whose timer is due.

Every decision goes to the WorkflowLog; every change goes through the services.
"""

import contextlib
import logging
import threading

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from conversations import services, sla
from conversations.actors import Actor
from conversations.dispatch import enqueue_on_commit
from conversations.models import ActorType, Conversation, Event
from workflows import failures as processing_failures
from workflows import step_actions, timers
from workflows.catalog import current_catalog
from workflows.engine import executor
from workflows.engine import timers as timer_rules
from workflows.engine.executor import RunState
from workflows.engine.orchestration import (
    MAX_WORKFLOW_CHAIN_DEPTH,
    EventInfo,
    Skip,
    Start,
    decide,
    interruption_reason,
    trigger_options_match,
    triggers_for,
)
from workflows.facts import build_facts
from workflows.models import DeferredAssignment, Timer, Workflow, WorkflowLog, WorkflowRun

logger = logging.getLogger(__name__)

# Rounds of events created while processing (workflow changes) handled in one go;
# anything beyond waits for the next task.
MAX_EVENT_ROUNDS = 20
# Workflows named in the message of a "targeting did not match" line, and explained in
# its details.
NOT_MATCHED_NAMED = 5
NOT_MATCHED_DETAILED = 50

Kind = WorkflowLog.Kind
Status = WorkflowRun.Status

_state = threading.local()


@contextlib.contextmanager
def _processing(conversation_id: int):
    """While set, new events of this conversation need no task: this loop takes them."""
    previous = getattr(_state, "conversation_id", None)
    _state.conversation_id = conversation_id
    _state.new_events = 0
    try:
        yield
    finally:
        _state.conversation_id = previous


def is_processing(conversation_id: int) -> bool:
    return getattr(_state, "conversation_id", None) == conversation_id


def note_new_event() -> None:
    """The signal receiver counts events written during processing: the loop's cue."""
    _state.new_events = getattr(_state, "new_events", 0) + 1


def _take_new_events() -> int:
    count, _state.new_events = getattr(_state, "new_events", 0), 0
    return count


def process_conversation_events(conversation_id: int) -> int:
    """Process a conversation's pending events and due timers; return the events handled.

    Idempotent: under the lock, a second delivery finds nothing left to do.

    1. lock the conversation; if an earlier failure parked it until a retry time still
       to come, do nothing (the sweeps send it again then);
    2. process; on success, forget any earlier failure (in the same transaction);
    3. on an error that is not the database's or the network's (workflows/failures.py),
       record the failure in its own transaction once this one rolled back, and raise.
    """
    try:
        with transaction.atomic():
            try:
                conversation = _lock_for_processing(conversation_id)
            except Conversation.DoesNotExist:
                return 0
            failure = getattr(conversation, "processing_failure", None)
            if failure is not None and failure.retry_at > timezone.now():
                return 0
            with _processing(conversation_id):
                processor = ConversationProcessor(conversation)
                handled = processor.run()
            if failure is not None:
                failure.delete()
    except Exception as error:
        if not processing_failures.is_transient(error):
            processing_failures.processing_failure_record(conversation_id, error)
        raise
    return handled


def process_locked_conversation(conversation: Conversation, *, savepoint: bool = True) -> int:
    """`process_conversation_events` for a conversation the caller has locked in its own
    transaction (with `_lock_for_processing`'s related rows), e.g. one of a batch the
    outbox consumer claimed (workflows/consumer.py).

    In a savepoint: an error rolls back this conversation's work only, is recorded as
    its failure (after the rollback, in the caller's transaction) unless it is the
    database's passing trouble, and is raised for the caller to decide. Without one
    (`savepoint=False`, two queries less) an error dooms the caller's transaction: the
    caller rolls back and records the failure itself.
    """
    conversation._row_locked = True
    try:
        with transaction.atomic(savepoint=savepoint):
            failure = getattr(conversation, "processing_failure", None)
            if failure is not None and failure.retry_at > timezone.now():
                return 0
            with _processing(conversation.pk):
                handled = ConversationProcessor(conversation).run()
            if failure is not None:
                failure.delete()
    except Exception as error:
        if savepoint and not processing_failures.is_transient(error):
            processing_failures.processing_failure_record(conversation.pk, error)
        raise
    return handled


def interrupt_runs_of_workflow(workflow, reason: str) -> int:
    """End every active run of a workflow being archived, inside the caller's transaction.

    The conversations are locked in id order (the lock the orchestrator takes, in one
    order, so two archives cannot deadlock each other), then each run ends as
    interrupted through the processor: bot inboxes are left, held-back assignments
    applied, and an `interrupted` log record says why.
    """
    conversation_ids = sorted(
        set(
            WorkflowRun.objects.filter(
                workflow_id=workflow.pk, status__in=WorkflowRun.ACTIVE
            ).values_list("conversation_id", flat=True)
        )
    )
    for conversation_id in conversation_ids:
        try:
            conversation = _lock_for_processing(conversation_id)
        except Conversation.DoesNotExist:
            continue
        processor = ConversationProcessor(conversation)
        for run in [r for r in processor.runs if r.workflow_id == workflow.pk]:
            processor.end_archived_run(run, workflow, reason)
        processor.flush_logs()
    return len(conversation_ids)


def _lock_for_processing(conversation_id: int) -> Conversation:
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("contact__company", "assignee", "team", "processing_failure")
        .get(pk=conversation_id)
    )
    conversation._row_locked = True
    return conversation


class ConversationProcessor:
    """Handles one locked conversation; also the executor's port."""

    def __init__(self, conversation: Conversation):
        self.conversation = conversation
        self.catalog = current_catalog()
        self.now = timezone.now()
        self.runs = list(
            WorkflowRun.objects.filter(conversation=conversation, status__in=WorkflowRun.ACTIVE)
        )
        self.timers = list(Timer.objects.filter(conversation=conversation, fired_at__isnull=True))
        self.new_timers: list[Timer] = []
        self._ran_before = None
        self._tags = None
        self._facts = None
        self.event = None
        self.event_info = None
        self.message = None
        self.current_run = None
        self.logs = []
        self.drop_deferred = False

    # --- the loop ---------------------------------------------------------------------

    def run(self) -> int:
        """Events oldest first, each after the timers that were due before it; then the
        timers due now; again while the workflows' own changes wrote new events."""
        handled = 0
        self.end_runs_of_archived_workflows()
        for _ in range(MAX_EVENT_ROUNDS):
            events = list(
                Event.objects.filter(
                    conversation_id=self.conversation.pk, processed_at__isnull=True
                ).order_by("id")
            )
            _take_new_events()
            for event in events:
                self.resume_due_timers(due_by=event.created_at)
                self.fire_due_timers(due_by=event.created_at)
                self.handle(event)
            if events:
                Event.objects.filter(pk__in=[e.pk for e in events]).update(processed_at=self.now)
                handled += len(events)
            self.resume_due_timers(due_by=self.now)
            self.fire_due_timers(due_by=self.now)
            if events:
                self.watch_sla()
            if not _take_new_events():
                break  # nothing new was written: no events left to read
        else:
            # Still more: let the next task continue after this commit.
            from workflows.tasks import process_conversation_events_task

            enqueue_on_commit(process_conversation_events_task, self.conversation.pk)
        self.flush_logs()
        self.flush_timers()
        return handled

    def flush_logs(self) -> None:
        if self.logs:
            WorkflowLog.objects.bulk_create(self.logs)
            self.logs = []

    def handle(self, event: Event) -> None:
        self.event = event
        self.event_info = info = EventInfo(
            event.pk,
            event.event_type,
            event.actor_type,
            event.actor_id,
            event.actor_name,
            event.depth,
            event.payload,
        )
        self.message = None
        if "body" in event.payload:
            self.message = (event.payload["body"], event.actor_type)
        self._facts = None

        triggers = triggers_for(info)
        if triggers and info.depth >= MAX_WORKFLOW_CHAIN_DEPTH:
            self.log(
                None,
                None,
                Kind.CHAIN_CUT,
                f"No workflow started: {info.depth} workflow changes in a row "
                f"(the limit is {MAX_WORKFLOW_CHAIN_DEPTH})",
            )
            triggers = []
        decisions, not_matched, left_out = [], [], 0
        if any(self.catalog.candidates_for(trigger) for trigger in triggers):
            facts = self.facts()
            selected = {}
            for trigger in triggers:
                index = self.catalog.index_for(trigger)
                workflows, excluded = index.select(facts)
                selected[trigger] = [w for w in workflows if trigger_options_match(w, info)]
                if excluded:
                    left_out += excluded
                    for workflow, failure in index.left_out(facts, NOT_MATCHED_DETAILED):
                        not_matched.append(
                            Skip(
                                workflow,
                                trigger,
                                "targeting rule did not match: " + failure.describe(),
                            )
                        )
            active = self.active_customer_facing()
            decisions = decide(
                triggers,
                selected.__getitem__,
                facts,
                ran_before=self.ran_before(),
                active_customer_facing=self.workflow_name(active) if active else None,
            )
        for decision in decisions:
            if not isinstance(decision, Skip):
                continue
            if decision.kind == "targeting":
                not_matched.insert(0, decision)
                continue
            self.log(
                None,
                decision.workflow,
                Kind.SKIPPED,
                f"Did not start: {decision.reason}",
                {"trigger": decision.trigger, **decision.details},
            )
        if not_matched:
            evaluated = sum(1 for d in decisions if isinstance(d, Skip) and d.kind == "targeting")
            self.log_not_matched(not_matched, total=evaluated + left_out)

        # §6.4: triggers were evaluated above with the run still active; now interrupt.
        reason = interruption_reason(info)
        active = self.active_customer_facing()
        if reason and active is not None:
            # A teammate who assigned has decided: held-back assignments are dropped.
            self.drop_deferred = info.type in ("assigned", "unassigned")
            try:
                self.end_run(active, Status.INTERRUPTED, f"Interrupted: {reason}")
            finally:
                self.drop_deferred = False

        self.resume_for_event(info)

        for decision in decisions:
            if isinstance(decision, Start):
                self.start(decision.workflow, decision.trigger)

        self.watch_silence(info, event)

    # --- runs -------------------------------------------------------------------------

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
        )
        self.runs.append(run)
        self.ran_before().add(workflow.id)
        self.log(run, workflow, Kind.STARTED, f"Started (trigger: {trigger.replace('_', ' ')})")
        state = RunState.starting(workflow)
        if workflow.is_customer_facing and settings.BOT_INBOX_ENABLED:
            self.with_run(run, lambda: services.conversation_set_bot_inbox(
                conversation=self.conversation, in_bot_inbox=True, acting=self.acting(workflow)
            ))  # fmt: skip
        self.continue_run(run, state)

    def continue_run(self, run: WorkflowRun, state: RunState) -> None:
        outcome = self.with_run(run, lambda: executor.advance(state, self.catalog.by_id, self))
        run.cursor = state.cursor
        if outcome.status == executor.WAITING:
            run.status = Status.WAITING
            run.waiting_for = outcome.waiting_for
            # Events up to this one came before the wait: none of them may end it.
            run.wait = {**outcome.wait, "after_event": self.latest_event_id()}
            # The wait's due time is its timer's; the run shows it (API: resume_at).
            run.resume_at = outcome.resume_at
            self.save_run(run, ["status", "cursor", "waiting_for", "wait", "resume_at"])
            if outcome.resume_at is not None:
                self.add_timer(timer_rules.wait_timer(run.pk, outcome.resume_at))
        elif outcome.status == executor.COMPLETED:
            self.end_run(run, Status.COMPLETED, "Completed")
        else:
            self.end_run(run, Status.FAILED, f"Failed: {outcome.reason}")

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
            workflow = archived[run.workflow_id]
            self.end_archived_run(run, workflow, f'the workflow "{workflow.name}" was archived')

    def end_archived_run(self, run: WorkflowRun, workflow, reason: str) -> None:
        self.end_run(
            run,
            Status.INTERRUPTED,
            f"Interrupted: {reason}",
            details={"reason": "workflow_archived", "workflow": workflow.pk},
            ended_by=Actor.workflow(workflow.pk, workflow.name, depth=run.depth + 1),
        )

    def end_run(
        self,
        run: WorkflowRun,
        status: str,
        reason: str,
        *,
        details: dict | None = None,
        ended_by: Actor | None = None,
    ) -> None:
        run.status = status
        run.ended_at = self.now
        run.end_reason = reason
        run.resume_at = None
        self.save_run(run, ["status", "ended_at", "end_reason", "resume_at", "cursor"])
        self.runs.remove(run)
        workflow = self.catalog.by_id.get(run.workflow_id)
        kind = {Status.COMPLETED: Kind.COMPLETED, Status.INTERRUPTED: Kind.INTERRUPTED}.get(
            status, Kind.FAILED
        )
        self.log(run, workflow, kind, reason, details, workflow_id=run.workflow_id)
        if run.is_customer_facing:
            # §6.5: the bot is done; held-back assignments apply now, in order.
            if self.conversation.in_bot_inbox:
                self.with_run(run, lambda: services.conversation_set_bot_inbox(
                    conversation=self.conversation, in_bot_inbox=False,
                    acting=ended_by or (self.acting(workflow) if workflow else Actor.system()),
                ))  # fmt: skip
            self.apply_deferred_assignments()

    @staticmethod
    def save_run(run: WorkflowRun, fields: list[str]) -> None:
        if run.pk is None:
            run.save()
        else:
            run.save(update_fields=fields)

    def resume(self, run: WorkflowRun, why: str) -> None:
        workflow = self.catalog.by_id.get(run.workflow_id)
        after_wait = run.waiting_for in ("timer", "unsnooze")
        if after_wait and run.is_customer_facing and workflow is not None:
            # §6.4: a customer-facing run whose audience no longer matches ends here.
            # Message rules are read against the message that started the run.
            facts = self.facts_for_run(run)
            matched, failures = workflow.audience.check(facts)
            if not matched:
                why_not = "; ".join(failure.describe() for failure in failures)
                self.end_run(
                    run, Status.INTERRUPTED, f"Interrupted: targeting no longer matches: {why_not}"
                )
                return
        run.status = Status.RUNNING
        run.waiting_for = ""
        run.resume_at = None
        self.log(run, workflow, Kind.RESUMED, why)
        self.continue_run(run, RunState(run.workflow_id, run.is_customer_facing, run.cursor))

    def latest_event_id(self) -> int:
        latest = Event.objects.filter(conversation_id=self.conversation.pk).aggregate(Max("id"))
        return latest["id__max"] or 0

    def facts_for_run(self, run: WorkflowRun):
        message = None
        if run.event_id is not None:
            payload = (
                Event.objects.filter(pk=run.event_id).values_list("payload", "actor_type").first()
            )
            if payload and "body" in payload[0]:
                message = (payload[0]["body"], payload[1])
        return build_facts(
            self.conversation, now=self.now, message=message, load_tags=self.tag_names
        )

    def resume_for_event(self, info: EventInfo) -> None:
        """Runs waiting for this kind of event carry on (replies, choices, answers, unsnooze)."""
        for run in [r for r in self.runs if r.status == Status.WAITING]:
            if info.id is not None and info.id <= run.wait.get("after_event", 0):
                continue  # written before the question was asked or the wait began
            waiting_for = run.waiting_for
            if info.type == "customer_message" and info.actor_type == ActorType.CONTACT:
                body = info.payload.get("body", "")
                if waiting_for == "reply_buttons":
                    state = RunState(run.workflow_id, run.is_customer_facing, run.cursor)
                    label = executor.choose_button(state, run.wait, body)
                    if label is not None:
                        run.cursor = state.cursor
                        self.resume(run, f'The customer chose "{label}"')
                    continue
                if waiting_for == "collect_data":
                    self.store_answer(run, body)
                    continue
                if waiting_for == "timer" and run.wait.get("until_reply") in ("customer", "any"):
                    self.resume(run, "The customer replied before the wait ended")
                    continue
            if (
                info.type == "teammate_replied"
                and waiting_for == "timer"
                and run.wait.get("until_reply") in ("teammate", "any")
            ):
                self.resume(run, "A teammate replied before the wait ended")
                continue
            unsnoozed = info.type == "unsnoozed" or (
                info.type == "state_changed"
                and info.payload.get("state") == "open"
                and info.payload.get("previous") == "snoozed"
            )
            if waiting_for == "unsnooze" and unsnoozed:
                self.resume(run, "The conversation unsnoozed")

    def store_answer(self, run: WorkflowRun, body: str) -> None:
        workflow = self.catalog.by_id.get(run.workflow_id)
        attribute = run.wait.get("attribute")
        acting = self.acting(workflow) if workflow else Actor.system()
        try:
            self.with_run(run, lambda: services.conversation_update_contact(
                conversation=self.conversation, attribute=attribute, value=body, acting=acting
            ))  # fmt: skip
        except ValidationError as error:
            words = " ".join(error.messages)
            self.with_run(run, lambda: services.conversation_bot_message(
                conversation=self.conversation, body=f"{words} Could you try again?", acting=acting
            ))  # fmt: skip
            self.log(run, workflow, Kind.WAITING, f"The answer was refused ({words}); asked again")
            return
        self._facts = None
        self.resume(run, f"The customer answered {attribute}")

    def resume_due_timers(self, *, due_by) -> None:
        """Waits are timers like the others: `fire_due_timers` fires them all in due order."""
        self.fire_due_timers(due_by=due_by)

    # --- timers: waits, snoozes, silences, SLA targets (workflows/timers.py) --------------

    def add_timer(self, spec) -> None:
        """Queue a timer; written with the others in one insert by `flush_timers`."""
        timers.add(self, spec)

    def flush_timers(self) -> None:
        timers.flush(self)

    def watch_silence(self, info: EventInfo, event: Event) -> None:
        """The timers an event sets: a snooze's end; the silence a message starts (one
        timer per length of silence the live unresponsive workflows wait for)."""
        for spec in timer_rules.timers_for_event(
            event_id=event.pk,
            event_type=info.type,
            actor_type=info.actor_type,
            created_at=event.created_at,
            payload=info.payload,
            silence_lengths=lambda trigger: [
                w.trigger_options["after"] for w in self.catalog.candidates_for(trigger)
            ],
        ):
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
            match effect:
                case timer_rules.ResumeRun(run_id=run_id, why=why):
                    run = next(r for r in self.runs if r.pk == run_id)
                    self.resume(run, why)
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

    def apply_deferred_assignments(self) -> None:
        pending = list(
            DeferredAssignment.objects.filter(
                conversation=self.conversation, applied_at__isnull=True
            ).select_related("assignee", "team", "run")
        )
        for deferred in pending:
            workflow = self.catalog.by_id.get(deferred.run.workflow_id)
            acting = self.acting(workflow) if workflow else Actor.system()
            target = step_actions.describe_assignment(deferred.assignee, deferred.team)
            if self.drop_deferred:
                deferred.applied_at = self.now
                deferred.save(update_fields=["applied_at"])
                self.log(
                    deferred.run,
                    workflow,
                    Kind.DEFERRED_APPLIED,
                    f"Deferred assignment to {target} dropped: "
                    "a teammate assigned the conversation",
                )
                continue
            try:
                services.conversation_assign(
                    conversation=self.conversation,
                    assignee=deferred.assignee,
                    team=deferred.team,
                    acting=acting,
                )
                message = f"Deferred assignment to {target} applied now the bot has finished"
            except ValidationError as error:
                message = f"Deferred assignment to {target} dropped: {' '.join(error.messages)}"
            deferred.applied_at = self.now
            deferred.save(update_fields=["applied_at"])
            self._facts = None
            self.log(deferred.run, workflow, Kind.DEFERRED_APPLIED, message)

    # --- what the engine asks of us (the executor's port) ------------------------------

    def facts(self):
        if self._facts is None:
            self._facts = build_facts(
                self.conversation, now=self.now, message=self.message, load_tags=self.tag_names
            )
        return self._facts

    def tag_names(self) -> set:
        if self._tags is None:
            self._tags = {
                name.lower() for name in self.conversation.tags.values_list("name", flat=True)
            }
        return self._tags

    def perform(self, run_state: RunState, workflow, step) -> str:
        if step.type == "handover":
            return self.hand_over(workflow, step)
        message = step_actions.perform(self.conversation, step, self.acting(workflow), self.now)
        if step.type in ("add_tag", "remove_tag"):
            self._tags = None
        self._facts = None
        return message

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
            self.current_run.save()
        DeferredAssignment.objects.create(
            conversation=self.conversation,
            run=self.current_run,
            assignee=assignee,
            team=team,
            created_at=self.now,
        )
        target = step_actions.describe_assignment(assignee, team)
        return f"Assignment to {target} deferred until the bot finishes"

    def log(
        self, run, workflow, kind: str, message: str, details=None, *, workflow_id=None
    ) -> None:
        """Queue a log record; `workflow_id` names the workflow when it is no longer in
        the catalog (an archived one whose run ends)."""
        if run is not None and not isinstance(run, WorkflowRun):
            run = self.current_run
        self.logs.append(
            WorkflowLog(
                conversation=self.conversation,
                workflow_id=workflow.id if workflow is not None else workflow_id,
                run=run,
                event=self.event,
                kind=kind,
                message=message,
                details=details or {},
                # The moment it happened, so the timeline interleaves it with the parts.
                created_at=timezone.now(),
            )
        )

    def log_not_matched(self, skips, *, total: int) -> None:
        """One line per event for the workflows whose targeting did not match.

        One row, not one per workflow, and reasons for at most NOT_MATCHED_DETAILED of
        them: the cost of an event must not grow with the live workflows that do not
        match (DESIGN.md §9). The dry run explains any one workflow in full.
        """
        skips = skips[:NOT_MATCHED_DETAILED]
        if total == 1:
            [skip] = skips
            message = f"Did not start: {skip.reason}"
            workflow = skip.workflow
        else:
            names = ", ".join(f'"{skip.workflow.name}"' for skip in skips[:NOT_MATCHED_NAMED])
            more = total - min(len(skips), NOT_MATCHED_NAMED)
            message = f"Targeting did not match for {total} workflows: {names}" + (
                f" and {more} more" if more > 0 else ""
            )
            workflow = None
        self.log(
            None,
            workflow,
            Kind.NOT_MATCHED,
            message,
            {
                "count": total,
                "workflows": [
                    {"id": skip.workflow.id, "name": skip.workflow.name, "reason": skip.reason}
                    for skip in skips
                ],
            },
        )

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

    def workflow_name(self, run: WorkflowRun) -> str:
        workflow = self.catalog.by_id.get(run.workflow_id)
        return workflow.name if workflow else f"workflow {run.workflow_id}"

    def ran_before(self) -> set:
        if self._ran_before is None:
            self._ran_before = set(
                WorkflowRun.objects.filter(conversation=self.conversation)
                .values_list("workflow_id", flat=True)
                .distinct()
            )
        return self._ran_before
