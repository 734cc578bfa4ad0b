"""Replay's judgement (pure: plain data in, plain records out, no database, no clock).

Would a workflow — the live one or a draft document — have started on each past event
of its trigger, judged on the facts kept when the event was processed
(engine/snapshot.py)? The decision is the planner's own (`planner.triggers_for`,
`trigger_options_match`, the chain cut, `decide_one`: frequency, targeting and the
one-customer-facing rule of DESIGN.md §6), fed with what really happened around the
event:

- frequency: the workflow ran before on the conversation when a run of it really
  started on an event outside the replay (before the window), or the replay would
  have started it on an earlier event;
- §6.3: the customer-facing workflow whose run was active when the event came (kept in
  the snapshot), and the customer-facing workflows that really started on the same
  event ahead of this one in firing order (trigger order, then priority).

The replayed workflow's own runs are taken as they really were for §6.3 (a draft that
starts where the live version did not is not assumed to keep its run active after).
Each judgement's `reason` is a record; log_words.replay_reason says it in words.
"""

from dataclasses import dataclass, field

from workflows.engine import planner


@dataclass(frozen=True)
class OtherStart:
    """A customer-facing workflow, other than the replayed one, that really started on
    the event."""

    workflow_id: int
    name: str
    trigger: str
    priority: int


@dataclass(frozen=True)
class PastEvent:
    conversation: int
    event: planner.EventInfo
    facts: dict  # engine/snapshot.facts_from_snapshot
    active_customer_facing: str | None = None  # name of the workflow whose run was active
    ran_before: bool = False  # a run of the workflow started here on an event not replayed
    facing_started: tuple = ()  # OtherStart, really started on this event


@dataclass(frozen=True)
class Judgement:
    conversation: int
    event: int
    trigger: str
    would_start: bool
    reason: dict = field(hash=False, compare=False)


class Judge:
    """Judges one workflow over past events given in event order; remembers the
    conversations it would have started on (for frequency)."""

    def __init__(self, workflow):
        self.workflow = workflow  # a CompiledWorkflow
        self.started_on: set[int] = set()

    def trigger_of(self, past: PastEvent) -> str | None:
        """The workflow's trigger when this event fires it (options included), else None."""
        trigger = self.workflow.trigger
        if trigger not in planner.triggers_for(past.event):
            return None
        return trigger if planner.trigger_options_match(self.workflow, past.event) else None

    def one(self, past: PastEvent) -> Judgement | None:
        """The judgement of one event; None when it does not fire the workflow's trigger."""
        trigger = self.trigger_of(past)
        if trigger is None:
            return None
        if past.event.depth >= planner.MAX_WORKFLOW_CHAIN_DEPTH:
            cut = planner.ChainCut(past.event.depth)
            return self._judged(past, trigger, False, {"rule": "chain_cut", **cut.details})
        workflow = self.workflow
        ran_before = past.ran_before or past.conversation in self.started_on
        decision = planner.decide_one(
            workflow,
            trigger,
            past.facts,
            ran_before={workflow.id} if ran_before else frozenset(),
            active_customer_facing=past.active_customer_facing,
            started_facing=self.started_ahead(past, trigger),
        )
        if isinstance(decision, planner.Start):
            self.started_on.add(past.conversation)
            return self._judged(past, trigger, True, {"rule": "started", **decision.details})
        return self._judged(past, trigger, False, decision.details)

    def started_ahead(self, past: PastEvent, trigger: str) -> str | None:
        """The customer-facing workflow that really started on this event before this one
        would have been decided (planner.decide's order: trigger, then priority)."""
        order = planner.triggers_for(past.event)
        mine = (order.index(trigger), self.workflow.priority, self.workflow.id)
        ahead = [
            (order.index(other.trigger), other.priority, other.workflow_id, other.name)
            for other in past.facing_started
            if other.workflow_id != self.workflow.id and other.trigger in order
        ]
        ahead = sorted(entry for entry in ahead if entry[:3] < mine)
        return ahead[0][3] if ahead else None

    @staticmethod
    def _judged(past: PastEvent, trigger: str, would_start: bool, reason: dict) -> Judgement:
        return Judgement(past.conversation, past.event.id, trigger, would_start, reason)


def judge(workflow, events) -> list[Judgement]:
    """Every event of the workflow's trigger, judged in order."""
    judge_ = Judge(workflow)
    return [j for j in (judge_.one(past) for past in events) if j is not None]


def step_outline(steps: list[dict]) -> list[tuple]:
    """The steps a described walk takes (workflows/dry_run's entries), flattened as
    (place, type): what two replays compare to say their steps differ."""
    found = []
    for entry in steps:
        found.append((entry["place"], entry["type"]))
        for path in entry.get("paths", []):
            found.extend(step_outline(path["steps"] if isinstance(path, dict) else path))
    return found


def paired(draft: list[Judgement], live: list[Judgement]) -> list[tuple]:
    """The draft's and the live version's judgements of each event either judged, in
    event order: (event, draft or None, live or None)."""
    draft_by_event = {j.event: j for j in draft}
    live_by_event = {j.event: j for j in live}
    return [
        (event, draft_by_event.get(event), live_by_event.get(event))
        for event in sorted(draft_by_event.keys() | live_by_event.keys())
    ]


def starts(judgement: Judgement | None) -> bool:
    return judgement is not None and judgement.would_start
