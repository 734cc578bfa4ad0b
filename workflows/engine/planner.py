"""Every orchestration decision of DESIGN.md §6, over plain data: no models, no database,
no clock (the caller passes `now`).

    plan(state, event, catalog, now) -> Plan

`state` is what the processor loaded for one conversation (`ConversationState`: its
facts, its active runs as `RunView`s, which workflows ran on it before; its timers
are decided in `engine/timers.py`); `catalog` is the compiled catalog (`workflows.catalog`:
anything with `candidates_for(trigger)` and `index_for(trigger)`); `event` is an
`EventInfo`. The `Plan` is an ordered list of effects the processor applies through the
services, in order:

    ChainCut      no workflow starts: the chain of workflow changes is too long (§6.7)
    Skip          a candidate held back by frequency or by another customer-facing run
    NotMatched    the workflows whose targeting did not match, one line per event (§6.8)
    Interrupt     the active customer-facing run ends: a teammate acted (§6.4)
    Resume        a waiting run carries on (button chosen, answer, reply, unsnooze)
    Start         a workflow starts a run (§6.1–3), in priority order
    SetTimer      a timer the event sets: a silence clock, a snooze's end (engine/timers)

Two decisions need the conversation as it is at the moment they are applied, after the
effects before them changed it: a resume after a wait checks the run's targeting again
(`resume_or_end`, §6.4), and a wait that is due resumes (`wait_ended`). The processor
calls these with fresh facts when it reaches them.

Log lines are structured records: every effect that is logged has `log_kind` (the
`WorkflowLog.kind`) and `details` (plain JSON); `workflows.log_words.words` turns a
record into English. Nothing here writes English.
"""

import copy
from dataclasses import dataclass, field
from datetime import datetime

from workflows.engine import http_step
from workflows.engine.rules import UNARY, Failure, Group, Rule, _jsonable, _show
from workflows.engine.timers import TimerSpec, timers_for_event

CONTACT, TEAMMATE, WORKFLOW, SYSTEM = "contact", "teammate", "workflow", "system"
RUNNING, WAITING = "running", "waiting"

# §6.7: a chain of workflow-caused events is cut here (a workflow's change is depth 1).
MAX_WORKFLOW_CHAIN_DEPTH = 3
# Workflows explained in the details of a "targeting did not match" line: the cost of an
# event must not grow with the live workflows that do not match (DESIGN.md §9).
NOT_MATCHED_DETAILED = 50

# §6.4: what a teammate does that ends an active customer-facing run.
INTERRUPTING_EVENTS = ("teammate_replied", "state_changed", "assigned", "unassigned")

# Log kinds (the values of WorkflowLog.Kind).
STARTED, SKIPPED, NOT_MATCHED, CHAIN_CUT = "started", "skipped", "not_matched", "chain_cut"
RESUMED, INTERRUPTED, COMPLETED, FAILED = "resumed", "interrupted", "completed", "failed"

# Why a skip: the rule of §6 that held the workflow back.
FREQUENCY, CUSTOMER_FACING, TARGETING = "frequency", "customer_facing", "targeting"

# --- inputs ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EventInfo:
    id: int | None
    type: str
    actor_type: str
    actor_id: int | None = None
    actor_name: str = ""
    depth: int = 0
    payload: dict = field(default_factory=dict, hash=False, compare=False)
    created_at: datetime | None = field(default=None, compare=False)


@dataclass(frozen=True)
class RunView:
    """An active run as the planner sees it. `id` is the caller's handle for the run
    (its primary key, or any hashable for a run not saved yet)."""

    id: object
    workflow_id: int
    is_customer_facing: bool
    status: str = RUNNING
    waiting_for: str = ""
    wait: dict = field(default_factory=dict, hash=False, compare=False)
    cursor: list = field(default_factory=list, hash=False, compare=False)
    depth: int = 0
    event_id: int | None = None
    resume_at: datetime | None = None


@dataclass
class ConversationState:
    facts: dict  # the mapping workflows.facts.build_facts makes
    runs: list = field(default_factory=list)  # RunView, the active runs
    ran_before: frozenset = frozenset()  # ids of workflows that ran here before


# --- effects ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Start:
    workflow: object
    trigger: str

    log_kind = STARTED

    @property
    def details(self) -> dict:
        return {"trigger": self.trigger}


@dataclass(frozen=True)
class Skip:
    """A workflow that did not start. `kind` is the rule that held it back: targeting
    (with `failures`, each a rule record), frequency, or customer_facing (with `other`,
    the customer-facing workflow that `other_started` now or was active)."""

    workflow: object
    trigger: str
    kind: str = TARGETING
    failures: tuple = ()
    other: str = ""
    other_started: bool = False

    log_kind = SKIPPED

    @property
    def details(self) -> dict:
        record = {"trigger": self.trigger, "rule": self.kind}
        if self.kind == TARGETING:
            record["failures"] = list(self.failures)
        if self.kind == CUSTOMER_FACING:
            record["other"] = self.other
            record["other_started"] = self.other_started
        return record


@dataclass(frozen=True)
class NotMatched:
    """The workflows whose targeting did not match this event: one line, `total` of
    them, the first NOT_MATCHED_DETAILED explained."""

    skips: tuple
    total: int

    log_kind = NOT_MATCHED

    @property
    def workflow(self):
        """The workflow the line is about when it is about one."""
        return self.skips[0].workflow if self.total == 1 and self.skips else None

    @property
    def details(self) -> dict:
        return {
            "count": self.total,
            "workflows": [
                {
                    "id": skip.workflow.id,
                    "name": skip.workflow.name,
                    "trigger": skip.trigger,
                    "failures": list(skip.failures),
                }
                for skip in self.skips
            ],
        }


@dataclass(frozen=True)
class ChainCut:
    depth: int
    limit: int = MAX_WORKFLOW_CHAIN_DEPTH

    log_kind = CHAIN_CUT
    workflow = None

    @property
    def details(self) -> dict:
        return {"depth": self.depth, "limit": self.limit}


@dataclass(frozen=True)
class Interrupt:
    """End an active run as interrupted. `cause` is the record of why; with
    `drop_deferred`, the held-back assignments are dropped (a teammate assigned)."""

    run_id: object
    cause: dict = field(hash=False, compare=False)
    drop_deferred: bool = False

    log_kind = INTERRUPTED

    @property
    def details(self) -> dict:
        return dict(self.cause)


@dataclass(frozen=True)
class Resume:
    """A waiting run carries on. `why` is the record (`{"why": "button", "label": ...}`,
    "answer", "reply", "unsnoozed", "wait_ended"); `cursor` the run's cursor from now on;
    `answer` the text to store first (collect_data: refused, the run keeps waiting);
    `check_audience`: the run's targeting is checked again first (`resume_or_end`)."""

    run_id: object
    why: dict = field(hash=False, compare=False)
    cursor: list | None = field(default=None, hash=False, compare=False)
    answer: str | None = None
    attribute: str | None = None
    check_audience: bool = False
    # An HTTP step's answer: {"conversation.custom.KEY" | "contact.custom.KEY": value}
    # stored first (engine/http_step.py).
    saves: dict | None = field(default=None, hash=False, compare=False)

    log_kind = RESUMED

    @property
    def details(self) -> dict:
        return dict(self.why)


# A timer to set: a snooze's end, a silence clock (the one timer vocabulary, engine/timers).
SetTimer = TimerSpec


@dataclass
class Plan:
    effects: list = field(default_factory=list)

    def of(self, *kinds) -> list:
        return [effect for effect in self.effects if isinstance(effect, kinds)]

    @property
    def starts(self) -> list:
        return self.of(Start)


# --- records: rules and causes ---------------------------------------------------------


def failure_record(audience: Group | None, failure: Failure) -> dict:
    """A failing targeting rule as plain data: its place in the document, attribute,
    operator, expected and actual value (JSON, and as the words show them)."""
    return {
        "place": place_of_rule(audience, failure) if audience is not None else "",
        "attribute": failure.attribute,
        "operator": failure.operator,
        "expected": None if failure.operator in UNARY else _jsonable(failure.value),
        "actual": _jsonable(failure.actual),
        "expected_shown": "" if failure.operator in UNARY else _show(failure.value),
        "actual_shown": _show(failure.actual),
        "note": failure.note,
    }


def place_of_rule(group: Group, failure: Failure, place: str = "audience") -> str:
    """Where the failing rule sits: audience.rules[1].rules[0]."""
    for number, member in enumerate(group.members):
        here = f"{place}.rules[{number}]"
        if isinstance(member, Group):
            found = place_of_rule(member, failure, here)
            if found:
                return found
        elif (
            isinstance(member, Rule)
            and member.attribute == failure.attribute
            and member.operator == failure.operator
            and member.raw_value == failure.value
        ):
            return here
    return ""


def interruption_cause(event: EventInfo) -> dict | None:
    """Why this event interrupts an active customer-facing run (§6.4), or None."""
    if event.actor_type != TEAMMATE or event.type not in INTERRUPTING_EVENTS:
        return None
    cause = {"cause": event.type, "actor": event.actor_name}
    if event.type == "state_changed":
        cause["state"] = event.payload.get("state")
    return cause


# --- triggers and candidates (§6.1–3, §6.7) -------------------------------------------


def triggers_for(event: EventInfo) -> list[str]:
    """The triggers an event fires, in firing order.

    Customer and teammate triggers fire only on what customers and teammates do, never
    on a workflow's own changes (§6.7), so workflows cannot trigger each other that way.
    """
    kind, actor = event.type, event.actor_type
    if kind == "conversation_opened" and actor == CONTACT:
        return ["customer_opened_conversation"]
    if kind == "customer_message" and actor == CONTACT:
        if event.payload.get("first"):
            return ["customer_first_message", "customer_any_message"]
        return ["customer_any_message"]
    if actor == TEAMMATE and kind == "teammate_replied":
        return ["teammate_replied"]
    if actor == TEAMMATE and kind == "note_added":
        return ["teammate_added_note"]
    if actor == TEAMMATE and kind == "state_changed":
        return ["teammate_changed_state"]
    # Assignment fires for teammates and workflows alike; the depth cut stops a loop.
    if kind == "assigned" and actor in (TEAMMATE, WORKFLOW):
        return ["conversation_assigned"]
    if kind in ("sla_missed", "customer_unresponsive", "teammate_unresponsive"):
        return [kind]
    # The customer writes in a closed conversation: it reopens first (a state change).
    if (
        kind == "state_changed"
        and actor == CONTACT
        and event.payload.get("previous") == "closed"
        and event.payload.get("state") == "open"
    ):
        return ["customer_reopened"]
    # Changes anyone makes (§6.7: a workflow's own only within the chain limit, which
    # `plan` cuts, logged as a ChainCut record).
    if kind in CHANGE_TRIGGERS and actor in (TEAMMATE, CONTACT, WORKFLOW, SYSTEM):
        return [CHANGE_TRIGGERS[kind]]
    return []


# Outbox event types (conversations.models.EventType) -> the trigger each change fires.
CHANGE_TRIGGERS = {
    "tag_added": "tag_added",
    "tag_removed": "tag_removed",
    "priority_changed": "priority_changed",
    "data_set": "conversation_data_changed",
    "custom_event": "custom_event",
}
# A trigger option -> the payload field of the event it is compared with.
OPTION_PAYLOAD = {"tag": "tag", "key": "key", "name": "name"}


def trigger_options_match(workflow, event: EventInfo) -> bool:
    """A state trigger's state; an unresponsive trigger's `after` (the silence's length);
    a tag trigger's tag and a custom event's name (ignoring case), a data trigger's key."""
    for option, field_name in OPTION_PAYLOAD.items():
        wanted = workflow.trigger_options.get(option)
        if wanted is not None:
            actual = event.payload.get(field_name)
            if not isinstance(actual, str):
                return False
            if option == "key" and actual != wanted:  # data keys are case-sensitive
                return False
            if actual.casefold() != wanted.casefold():
                return False
    if "after" in workflow.trigger_options:
        from conversations.durations import parse_duration

        try:
            return (
                parse_duration(event.payload.get("after", "")) == workflow.trigger_options["after"]
            )
        except ValueError:
            return False
    wanted = workflow.trigger_options.get("state")
    return wanted is None or event.payload.get("state") == wanted


def decide(
    triggers: list[str],
    candidates_for,
    facts,
    *,
    ran_before,
    active_customer_facing: str | None,
) -> list:
    """Starts and skips for one event, in priority order (§6.1–3).

    `candidates_for(trigger)` gives the live workflows of a trigger in priority order;
    `ran_before` holds the ids of workflows that already ran on this conversation;
    `active_customer_facing` names the customer-facing run active when the event came.
    """
    decisions = []
    started_facing = None
    for trigger in triggers:
        for workflow in candidates_for(trigger):
            decisions.append(
                decide_one(
                    workflow,
                    trigger,
                    facts,
                    ran_before=ran_before,
                    active_customer_facing=active_customer_facing,
                    started_facing=started_facing,
                )
            )
            if isinstance(decisions[-1], Start) and workflow.is_customer_facing:
                started_facing = workflow.name
    return decisions


def decide_one(
    workflow,
    trigger: str,
    facts,
    *,
    ran_before,
    active_customer_facing: str | None,
    started_facing: str | None = None,
):
    """Start or Skip for one candidate: frequency, then targeting, then §6.3."""
    if workflow.frequency == "once" and workflow.id in ran_before:
        return Skip(workflow, trigger, FREQUENCY)
    matched, failures = workflow.audience.check(facts)
    if not matched:
        records = tuple(failure_record(workflow.audience, failure) for failure in failures)
        return Skip(workflow, trigger, TARGETING, records)
    if workflow.is_customer_facing:
        if started_facing is not None:
            return Skip(
                workflow, trigger, CUSTOMER_FACING, other=started_facing, other_started=True
            )
        if active_customer_facing is not None:
            return Skip(workflow, trigger, CUSTOMER_FACING, other=active_customer_facing)
    return Start(workflow, trigger)


def has_candidates(event: EventInfo, catalog) -> bool:
    """Whether any live workflow could start on this event (else no history is needed)."""
    triggers = triggers_for(event)
    if not triggers or event.depth >= MAX_WORKFLOW_CHAIN_DEPTH:
        return False
    return any(catalog.candidates_for(trigger) for trigger in triggers)


def active_customer_facing(runs) -> RunView | None:
    return next((run for run in runs if run.is_customer_facing), None)


def workflow_name(catalog, workflow_id) -> str:
    workflow = catalog.by_id.get(workflow_id)
    return workflow.name if workflow else f"workflow {workflow_id}"


# --- the plan of one event -------------------------------------------------------------


def plan(state: ConversationState, event: EventInfo, catalog, now: datetime) -> Plan:
    """What one event does to a conversation, in the order it is applied (§6)."""
    effects = []
    triggers = triggers_for(event)
    if triggers and event.depth >= MAX_WORKFLOW_CHAIN_DEPTH:
        effects.append(ChainCut(event.depth))
        triggers = []

    # §6.1–3, with the customer-facing run as it was when the event came (§6.4).
    decisions, not_matched, left_out = [], [], 0
    if any(catalog.candidates_for(trigger) for trigger in triggers):
        facts = state.facts
        selected = {}
        for trigger in triggers:
            index = catalog.index_for(trigger)
            workflows, excluded = index.select(facts)
            selected[trigger] = [w for w in workflows if trigger_options_match(w, event)]
            if excluded:
                left_out += excluded
                for workflow, failure in index.left_out(facts, NOT_MATCHED_DETAILED):
                    record = failure_record(workflow.audience, failure)
                    not_matched.append(Skip(workflow, trigger, TARGETING, (record,)))
        active = active_customer_facing(state.runs)
        decisions = decide(
            triggers,
            selected.__getitem__,
            facts,
            ran_before=state.ran_before,
            active_customer_facing=workflow_name(catalog, active.workflow_id) if active else None,
        )
    targeting = [d for d in decisions if isinstance(d, Skip) and d.kind == TARGETING]
    effects.extend(d for d in decisions if isinstance(d, Skip) and d.kind != TARGETING)
    not_matched = targeting + not_matched
    if not_matched:
        effects.append(
            NotMatched(tuple(not_matched[:NOT_MATCHED_DETAILED]), total=len(targeting) + left_out)
        )

    # §6.4: triggers were evaluated above with the run still active; now interrupt.
    runs = list(state.runs)
    interrupt = interruption(runs, event)
    if interrupt is not None:
        effects.append(interrupt)
        runs = [run for run in runs if run.id != interrupt.run_id]

    effects.extend(resumes_for_event(runs, event))
    effects.extend(d for d in decisions if isinstance(d, Start))
    effects.extend(silence_timers(event, catalog))
    return Plan(effects)


def interruption(runs, event: EventInfo) -> Interrupt | None:
    """§6.4: a teammate's reply, state change or assignment ends the active
    customer-facing run; when the teammate assigned, held-back assignments drop."""
    cause = interruption_cause(event)
    active = active_customer_facing(runs)
    if cause is None or active is None:
        return None
    return Interrupt(active.id, cause, drop_deferred=event.type in ("assigned", "unassigned"))


def resumes_for_event(runs, event: EventInfo) -> list[Resume]:
    """Runs waiting for this kind of event carry on (replies, choices, answers, unsnooze)."""
    found = []
    for run in runs:
        if run.status != WAITING:
            continue
        if event.id is not None and event.id <= run.wait.get("after_event", 0):
            continue  # written before the question was asked or the wait began
        resume = resume_for(run, event)
        if resume is not None:
            found.append(resume)
    return found


def resume_for(run: RunView, event: EventInfo) -> Resume | None:
    waiting_for = run.waiting_for
    if event.type == http_step.RESPONSE_EVENT:
        return http_resume(run, event)
    after_wait = run.is_customer_facing and waiting_for in ("timer", "unsnooze")
    if event.type == "customer_message" and event.actor_type == CONTACT:
        body = event.payload.get("body", "")
        if waiting_for == "reply_buttons":
            chosen = choose_button(run.cursor, run.wait, body)
            if chosen is None:
                return None
            label, cursor = chosen
            return Resume(run.id, {"why": "button", "label": label}, cursor)
        if waiting_for == "collect_data":
            attribute = run.wait.get("attribute")
            return Resume(
                run.id, {"why": "answer", "attribute": attribute}, answer=body, attribute=attribute
            )
        if waiting_for == "timer" and run.wait.get("until_reply") in ("customer", "any"):
            return Resume(run.id, {"why": "reply", "side": "customer"}, check_audience=after_wait)
    if (
        event.type == "teammate_replied"
        and waiting_for == "timer"
        and run.wait.get("until_reply") in ("teammate", "any")
    ):
        return Resume(run.id, {"why": "reply", "side": "teammate"}, check_audience=after_wait)
    unsnoozed = event.type == "unsnoozed" or (
        event.type == "state_changed"
        and event.payload.get("state") == "open"
        and event.payload.get("previous") == "snoozed"
    )
    if waiting_for == "unsnooze" and unsnoozed:
        return Resume(run.id, {"why": "unsnoozed"}, check_audience=after_wait)
    return None


def http_resume(run: RunView, event: EventInfo) -> Resume | None:
    """The answer to the HTTP call this run waits for (the same call: a duplicate answer
    of a call sent twice finds the run gone on): a 2xx answer saves its values and the
    run carries on; anything else runs the step's on_failure path."""
    payload = event.payload
    if (
        run.waiting_for != http_step.WAITING_FOR
        or payload.get("run") != run.id
        or payload.get("call") != run.wait.get("call")
    ):
        return None
    why = http_step.resume_why({**payload, **_request_words(run.wait)})
    if payload.get("ok"):
        return Resume(run.id, why, saves=dict(payload.get("values") or {}))
    return Resume(run.id, why, cursor=http_step.failure_cursor(run.cursor, run.wait))


def _request_words(wait: dict) -> dict:
    request = wait.get("request") or {}
    return {"method": request.get("method", ""), "url": request.get("url", "")}


def wait_ended(run: RunView) -> Resume:
    """A wait that is due: the run resumes (after its targeting is checked again)."""
    return Resume(
        run.id,
        {"why": "wait_ended"},
        check_audience=run.is_customer_facing and run.waiting_for in ("timer", "unsnooze"),
    )


def resume_or_end(resume: Resume, workflow, run_facts):
    """§6.4, at the moment a run would resume after a wait: its targeting is checked
    again (message rules against the message that started it, `run_facts`); a run whose
    audience no longer matches ends as interrupted."""
    if not resume.check_audience or workflow is None:
        return resume
    matched, failures = workflow.audience.check(run_facts)
    if matched:
        return resume
    records = [failure_record(workflow.audience, failure) for failure in failures]
    return Interrupt(resume.run_id, {"cause": "no_longer_matches", "failures": records})


def facts_with_message(facts, message):
    """The facts with another triggering message (body, author type), or none."""
    body, author_type = message or (None, None)
    changed = copy.copy(facts)
    changed["message.body"] = body
    changed["message.author_type"] = author_type
    return changed


def choose_button(cursor: list, wait: dict, text: str) -> tuple[str, list] | None:
    """The button whose label the customer sent (ignoring case and spaces around), and
    the cursor with its path pushed; None when the text names no button."""
    wanted = (text or "").strip().casefold()
    for number, label in enumerate(wait.get("labels", [])):
        if label.casefold() == wanted:
            pushed = {"workflow": wait["workflow"], "path": [*wait["path"], number], "index": 0}
            return label, [*copy.deepcopy(cursor), pushed]
    return None


def silence_timers(event: EventInfo, catalog) -> list[SetTimer]:
    """The timers an event sets: a snooze's end; a teammate's reply starts the customer's
    silence clocks, a customer's message the teammates' (one per `after` of the live
    unresponsive workflows)."""
    if event.created_at is None:
        return []
    return timers_for_event(
        event_id=event.id,
        event_type=event.type,
        actor_type=event.actor_type,
        created_at=event.created_at,
        payload=event.payload,
        silence_lengths=lambda trigger: [
            w.trigger_options["after"] for w in catalog.candidates_for(trigger)
        ],
    )


def find_reusable(workflows, name: str):
    """The reusable workflow a run_workflow step names, matched as the executor does."""
    wanted = name.casefold()
    return next((w for w in workflows if w.name.casefold() == wanted), None)


__all__ = [
    "ChainCut",
    "ConversationState",
    "EventInfo",
    "Interrupt",
    "NotMatched",
    "Plan",
    "Resume",
    "RunView",
    "SetTimer",
    "Skip",
    "Start",
    "decide",
    "decide_one",
    "facts_with_message",
    "has_candidates",
    "interruption",
    "plan",
    "resume_or_end",
    "resumes_for_event",
    "silence_timers",
    "triggers_for",
    "wait_ended",
]
