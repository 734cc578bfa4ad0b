"""Runs a workflow's steps from a cursor until the run ends or waits (DESIGN.md §5–6).

The executor decides; a port carries out. The port (the ORM layer in production, a fake
in tests) applies a step's change through the conversation services and reports the
conversation as it now is, so a branch sees what earlier steps did.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from workflows import vocabulary
from workflows.engine import http_step
from workflows.engine.definitions import Step, steps_at
from workflows.engine.planner import find_reusable

# A run that takes this many steps in one go is looping (reusable workflows, branches).
MAX_STEPS_PER_ADVANCE = 500

COMPLETED, WAITING, FAILED = "completed", "waiting", "failed"
# An HTTP step whose answer is not recorded by then is sent again (its task was lost):
# well past the call's own 10 s time-out and a busy queue.
HTTP_REQUEUE_AFTER = timedelta(minutes=2)


class StepFailed(Exception):
    """A step could not be carried out (a team deleted since, a bad value at run time)."""


@dataclass
class RunState:
    """The engine's view of a run: what it needs to continue."""

    workflow_id: int
    is_customer_facing: bool
    cursor: list = field(default_factory=list)

    @classmethod
    def starting(cls, workflow) -> "RunState":
        return cls(workflow.id, workflow.is_customer_facing, [frame(workflow.id, [])])


def frame(workflow_id: int, path: list) -> dict:
    return {"workflow": workflow_id, "path": list(path), "index": 0}


@dataclass
class Outcome:
    status: str
    waiting_for: str = ""
    wait: dict = field(default_factory=dict)
    resume_at: datetime | None = None
    reason: str = ""


class Port(Protocol):
    """What the executor asks of the world. The processor (workflows/orchestrator.py) is
    the production port; `FakePort` below is the one pure tests use."""

    now: datetime

    def facts(self): ...

    def perform(self, run: RunState, workflow, step: Step) -> str: ...

    def bot_busy(self) -> bool: ...

    def defer_assignment(self, run: RunState, workflow, step: Step) -> str: ...

    def log(self, run: RunState, workflow, kind: str, message: str, details=None) -> None: ...


def place_of(current: dict, index: int) -> str:
    """A step's place as the document names it: steps[2].branches[0].steps[1]."""
    text = "steps"
    path = current["path"]
    for position in range(0, len(path), 2):
        which = path[position + 1]
        text += f"[{path[position]}]"
        text += ".else" if which == "else" else f".paths[{which}].steps"
    return f"{text}[{index}]"


def advance(run: RunState, workflows: dict, port: Port) -> Outcome:
    """Execute steps from the run's cursor until it completes, waits or fails.

    The cursor moves past a step before the step runs, so a resumed run continues
    after the step it waited on.
    """
    for _ in range(MAX_STEPS_PER_ADVANCE):
        if not run.cursor:
            return Outcome(COMPLETED)
        current = run.cursor[-1]
        workflow = workflows.get(current["workflow"])
        if workflow is None:
            return Outcome(FAILED, reason="its workflow was deleted while it ran")
        try:
            steps = steps_at(workflow.steps, current["path"])
        except (IndexError, KeyError, TypeError, AttributeError):
            # A run goes on with the versions it started on (workflows.catalog.
            # workflows_for_run), so steps never move under its cursor; only a run whose
            # version is gone from the database gets here.
            return Outcome(FAILED, reason=vocabulary.CURSOR_LOST)
        if current["index"] >= len(steps):
            run.cursor.pop()
            continue
        index = current["index"]
        step = steps[index]
        current["index"] = index + 1
        try:
            outcome = _run_step(run, workflows, workflow, step, current, index, port)
        except StepFailed as error:
            place = place_of(current, index)
            return Outcome(FAILED, reason=vocabulary.step_failed_words(place, step.type, error))
        if outcome is not None:
            return outcome
    return Outcome(FAILED, reason=f"more than {MAX_STEPS_PER_ADVANCE} steps in one go")


def _run_step(run, workflows, workflow, step: Step, current, index, port) -> Outcome | None:
    here = list(current["path"]) + [index]
    kind = step.type
    if kind == "branches":
        facts = port.facts()
        for number, (when, _) in enumerate(step.paths):
            if when.evaluate(facts):
                run.cursor.append(frame(current["workflow"], here + [number]))
                port.log(
                    run,
                    workflow,
                    "branch",
                    vocabulary.branch_matched_words(number + 1),
                    {"branch": number},
                )
                return None
        run.cursor.append(frame(current["workflow"], here + ["else"]))
        port.log(run, workflow, "branch", vocabulary.NO_BRANCH_MATCHED, {"branch": "else"})
        return None
    if kind == "apply_rules":
        facts = port.facts()
        matched = [n for n, (when, _) in enumerate(step.paths) if when.evaluate(facts)]
        # A stack: push in reverse so the first matching entry runs first.
        for number in reversed(matched):
            run.cursor.append(frame(current["workflow"], here + [number]))
        words = vocabulary.entries_matched_words(n + 1 for n in matched)
        port.log(run, workflow, "branch", words, {"matched": matched})
        return None
    if kind == "run_workflow":
        target = find_reusable(workflows.values(), step.args["workflow"])
        if target is None:
            raise StepFailed(f'no reusable workflow named "{step.args["workflow"]}"')
        # The version it enters: a run waiting in it goes on with that one.
        run.cursor.append({**frame(target.id, []), "version": target.version})
        port.log(
            run,
            workflow,
            "step",
            f'Continued in "{target.name}"',
            {"type": kind, "workflow": target.name},
        )
        return None
    if kind == "wait":
        until_reply = step.args.get("until_reply")
        duration: timedelta = step.args["duration"]
        resume_at = port.now + duration
        port.log(
            run,
            workflow,
            "waiting",
            vocabulary.waiting_words(duration, until_reply),
            {"cause": "wait", "until": resume_at.isoformat(), "until_reply": until_reply},
        )
        return Outcome(
            WAITING, waiting_for="timer", wait={"until_reply": until_reply}, resume_at=resume_at
        )
    if kind == "http_request":
        # The run waits; the call is made outside the conversation's lock and its answer
        # resumes the run (workflows/http_requests.py). `resume_at`: when a lost call is
        # sent again.
        request = http_step.request_for(step.args, port.facts())
        port.log(
            run,
            workflow,
            "waiting",
            vocabulary.http_waiting_words(request["method"], request["url"]),
            {"cause": "http_request", "method": request["method"], "url": request["url"]},
        )
        return Outcome(
            WAITING,
            waiting_for=http_step.WAITING_FOR,
            wait={"workflow": current["workflow"], "path": here, "request": request},
            resume_at=port.now + HTTP_REQUEUE_AFTER,
        )
    if kind == "assign" and not run.is_customer_facing and port.bot_busy():
        port.log(run, workflow, "deferred", port.defer_assignment(run, workflow, step))
        return None
    message = port.perform(run, workflow, step)
    port.log(run, workflow, "step", message, {"type": kind})
    if kind == "reply_buttons":
        labels = [label for label, _ in step.paths]
        return Outcome(
            WAITING,
            waiting_for="reply_buttons",
            wait={"workflow": current["workflow"], "path": here, "labels": labels},
        )
    if kind == "collect_data":
        return Outcome(
            WAITING, waiting_for="collect_data", wait={"attribute": step.args["attribute"]}
        )
    if kind == "snooze" and run.is_customer_facing:
        # §5: a customer-facing run that snoozed waits until the conversation unsnoozes.
        return Outcome(WAITING, waiting_for="unsnooze")
    return None


class FakePort:
    """A port over plain data for tests: facts are a dict, a step's change is recorded
    (and applied to the facts when it is a tag, a state or a priority), logs are kept
    as (kind, message, details)."""

    def __init__(self, facts=None, *, now: datetime, bot_busy: bool = False):
        self.facts_now = dict(facts or {})
        self.now = now
        self.busy = bot_busy
        self.performed: list[tuple[int, str, dict]] = []
        self.deferred: list[tuple[int, dict]] = []
        self.logs: list[tuple[str, str, dict]] = []

    def facts(self):
        return self.facts_now

    def perform(self, run: RunState, workflow, step: Step) -> str:
        self.performed.append((workflow.id, step.type, dict(step.args)))
        tags = set(self.facts_now.get("conversation.tags") or ())
        if step.type == "add_tag":
            self.facts_now["conversation.tags"] = tags | {step.args["tag"].lower()}
        elif step.type == "remove_tag":
            self.facts_now["conversation.tags"] = tags - {step.args["tag"].lower()}
        elif step.type in ("close", "reopen", "snooze"):
            state = {"close": "closed", "reopen": "open", "snooze": "snoozed"}[step.type]
            self.facts_now["conversation.state"] = state
        elif step.type == "set_priority":
            self.facts_now["conversation.priority"] = bool(step.args["priority"])
        return step.type

    def bot_busy(self) -> bool:
        return self.busy

    def defer_assignment(self, run: RunState, workflow, step: Step) -> str:
        self.deferred.append((workflow.id, dict(step.args)))
        return "deferred"

    def log(self, run: RunState, workflow, kind: str, message: str, details=None) -> None:
        self.logs.append((kind, message, details or {}))
