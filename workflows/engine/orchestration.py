"""Which workflows an event starts, and which runs it interrupts (DESIGN.md §6).

Plain data in, decisions out: no models, no database.
"""

from dataclasses import dataclass, field

CONTACT, TEAMMATE, WORKFLOW, SYSTEM = "contact", "teammate", "workflow", "system"

# §6.7: a chain of workflow-caused events is cut here (a workflow's change is depth 1).
MAX_WORKFLOW_CHAIN_DEPTH = 3

# §6.4: what a teammate does that ends an active customer-facing run.
INTERRUPTING_EVENTS = {
    "teammate_replied": "a teammate replied",
    "state_changed": "a teammate changed the state",
    "assigned": "a teammate assigned the conversation",
    "unassigned": "a teammate unassigned the conversation",
}
STATE_WORDS = {"closed": "closed", "snoozed": "snoozed", "open": "reopened"}


@dataclass(frozen=True)
class EventInfo:
    id: int | None
    type: str
    actor_type: str
    actor_id: int | None = None
    actor_name: str = ""
    depth: int = 0
    payload: dict = field(default_factory=dict, hash=False, compare=False)


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
    return []


def trigger_options_match(workflow, event: EventInfo) -> bool:
    """A state trigger's state; an unresponsive trigger's `after` (the silence's length)."""
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


def interruption_reason(event: EventInfo) -> str | None:
    """Why this event interrupts an active customer-facing run, or None."""
    if event.actor_type != TEAMMATE or event.type not in INTERRUPTING_EVENTS:
        return None
    who = event.actor_name or "a teammate"
    if event.type == "state_changed":
        state = STATE_WORDS.get(event.payload.get("state"), "changed")
        return f"{who} {state} the conversation"
    return INTERRUPTING_EVENTS[event.type].replace("a teammate", who, 1)


@dataclass(frozen=True)
class Start:
    workflow: object
    trigger: str


@dataclass(frozen=True)
class Skip:
    workflow: object
    trigger: str
    reason: str
    details: dict = field(default_factory=dict, hash=False, compare=False)
    # "targeting": not a candidate at all; "frequency" and "customer_facing": a candidate
    # held back by an orchestration rule.
    kind: str = "targeting"


def decide(
    triggers: list[str],
    candidates_for,
    facts,
    *,
    ran_before: set,
    active_customer_facing: str | None,
) -> list:
    """Starts and skips for one event, in priority order (§6.1–3).

    `candidates_for(trigger)` gives the live workflows of a trigger in priority order;
    `ran_before` holds the ids of workflows that already ran on this conversation;
    `active_customer_facing` names the customer-facing run active when the event came.
    """
    decisions = []
    facing = active_customer_facing
    started_facing = None
    for trigger in triggers:
        for workflow in candidates_for(trigger):
            if workflow.frequency == "once" and workflow.id in ran_before:
                decisions.append(
                    Skip(
                        workflow,
                        trigger,
                        "frequency: it already ran once on this conversation",
                        kind="frequency",
                    )
                )
                continue
            matched, failures = workflow.audience.check(facts)
            if not matched:
                reason = "targeting rule did not match: " + "; ".join(
                    failure.describe() for failure in failures
                )
                details = {"failures": [failure.as_dict() for failure in failures]}
                decisions.append(Skip(workflow, trigger, reason, details))
                continue
            if workflow.is_customer_facing:
                if started_facing is not None:
                    reason = f'lower priority than "{started_facing}", which started'
                    decisions.append(Skip(workflow, trigger, reason, kind="customer_facing"))
                    continue
                if facing is not None:
                    reason = f'another customer-facing workflow, "{facing}", was active'
                    decisions.append(Skip(workflow, trigger, reason, kind="customer_facing"))
                    continue
                started_facing = workflow.name
            decisions.append(Start(workflow, trigger))
    return decisions
