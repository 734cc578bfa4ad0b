"""The catalog linter: the mistakes that make automation teams lose trust, found before
they bite (issue 14, API.md "Versions, replay and lint").

Each check is a pure function over compiled workflows (`CompiledWorkflow`, whose
`document` is the normalized API.md document); a finding is plain data — workflow,
severity, code, place, details — and its words come from the vocabulary
(`vocabulary.lint_message`). No Django, no database: `lint_catalog` is given the
workflows and answers the findings.
"""

from dataclasses import dataclass, field

from workflows import vocabulary
from workflows.engine.definitions import (
    REPEATABLE_TRIGGERS,
    TRIGGER_FACT_PREFIXES,
    CompiledWorkflow,
    facts_missing_on,
)
from workflows.engine.planner import (
    MAX_WORKFLOW_CHAIN_DEPTH,
    WORKFLOW,
    EventInfo,
    trigger_options_match,
    triggers_for,
)
from workflows.engine.rules import NEGATIVE
from workflows.engine.steps import path_keys

WARNING, ERROR = "warning", "error"
# Every lint code and its severity, declared once; the words are vocabulary.LINT_WORDS.
LINT_CODES = {
    "negative_rule_in_any": WARNING,
    "background_conflict": WARNING,
    "shadowed_customer_facing": WARNING,
    "unreachable_branch": WARNING,
    "rule_never_true": WARNING,
    "frequency_not_repeatable": ERROR,
    "workflow_loop": WARNING,
}
# Negative rules: true for nearly everyone (an unknown value passes them too).
NEGATIVE_OPERATORS = NEGATIVE | {"is_unknown"}

# The event each step's change writes (conversations/services.py), read through the
# planner's own `triggers_for` to know which triggers a workflow's change fires.
STEP_EVENTS = {
    "add_tag": "tag_added",
    "remove_tag": "tag_removed",
    "assign": "assigned",
    "unassign": "unassigned",
    "close": "state_changed",
    "reopen": "state_changed",
    "snooze": "state_changed",
    "set_priority": "priority_changed",
    "apply_sla": "sla_applied",
    "set_data": "data_set",
    "add_note": "note_added",
    "send_message": "bot_message",
    "reply_buttons": "bot_message",
    "collect_data": "bot_message",
}


@dataclass(frozen=True)
class Finding:
    workflow: int | None
    workflow_name: str
    code: str
    place: str
    details: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def severity(self) -> str:
        return LINT_CODES[self.code]

    @property
    def message(self) -> str:
        return vocabulary.lint_message(self.code, self.details)

    @property
    def place_words(self) -> str:
        return vocabulary.lint_place_words(self.place)

    def as_dict(self) -> dict:
        return {
            "workflow": self.workflow,
            "severity": self.severity,
            "code": self.code,
            "place": self.place,
            "message": self.message,
        }


# --- walking documents ---------------------------------------------------------------------


def _groups(document: dict):
    """(place, group) of every rule group: the audience and each branch/entry's `when`,
    with nested groups, at the validator's places."""
    yield from _nested_groups(document.get("audience"), "audience")
    for place, step in _steps(document.get("steps"), "steps"):
        key = (step.get("type") == "branches" and "branches") or "rules"
        if step.get("type") in ("branches", "apply_rules"):
            for index, entry in enumerate(step.get(key) or []):
                if isinstance(entry, dict):
                    yield from _nested_groups(entry.get("when"), f"{place}.{key}[{index}].when")


def _nested_groups(group, place):
    if not isinstance(group, dict):
        return
    yield place, group
    for index, member in enumerate(group.get("rules") or []):
        if isinstance(member, dict) and "rules" in member:
            yield from _nested_groups(member, f"{place}.rules[{index}]")


def _rules(group: dict, place: str):
    """(place, rule) of a group's own rules (not those of nested groups)."""
    for index, member in enumerate(group.get("rules") or []):
        if isinstance(member, dict) and "rules" not in member:
            yield f"{place}.rules[{index}]", member


def _steps(steps, place):
    """(place, step) of every step at any depth (branches, entries, buttons, else)."""
    for index, step in enumerate(steps if isinstance(steps, list) else []):
        if not isinstance(step, dict):
            continue
        step_place = f"{place}[{index}]"
        yield step_place, step
        for key in path_keys():
            path = step.get(key)
            if key == "else":
                yield from _steps(path, f"{step_place}.else")
                continue
            for number, entry in enumerate(path if isinstance(path, list) else []):
                if isinstance(entry, dict):
                    yield from _steps(entry.get("steps"), f"{step_place}.{key}[{number}].steps")


def _rule_words(rule: dict) -> str:
    return vocabulary.rule_words(rule.get("attribute"), rule.get("operator"), rule.get("value"))


# --- one workflow ----------------------------------------------------------------------


def negative_rules_in_any(workflow: CompiledWorkflow) -> list[Finding]:
    found = []
    for place, group in _groups(workflow.document):
        if group.get("match") != "any" or len(group.get("rules") or []) < 2:
            continue
        for rule_place, rule in _rules(group, place):
            if rule.get("operator") in NEGATIVE_OPERATORS:
                details = {"rule": _rule_words(rule)}
                found.append(_finding(workflow, "negative_rule_in_any", rule_place, details))
    return found


def always_matches(group) -> bool:
    """An "all of" group with no rules (or only such groups) matches every conversation."""
    if group is None:
        return True
    return (
        isinstance(group, dict)
        and group.get("match", "all") == "all"
        and all(isinstance(m, dict) and "rules" in m and always_matches(m) for m in group["rules"])
    )


def never_matches(group) -> bool:
    """An "any of" group with no rules matches nothing."""
    return isinstance(group, dict) and group.get("match") == "any" and not group.get("rules")


def unreachable_branches(workflow: CompiledWorkflow) -> list[Finding]:
    found = []
    for place, step in _steps(workflow.document.get("steps"), "steps"):
        if step.get("type") != "branches":
            continue
        branches = [b for b in step.get("branches") or [] if isinstance(b, dict)]
        for index, branch in enumerate(branches):
            branch_place = f"{place}.branches[{index}]"
            path = vocabulary.lint_place_words(branch_place)
            if never_matches(branch.get("when")):
                details = {"path": path, "reason": vocabulary.LINT_NEVER_MATCHING}
                found.append(_finding(workflow, "unreachable_branch", branch_place, details))
            if always_matches(branch.get("when")):
                later = [f"{place}.branches[{n}]" for n in range(index + 1, len(branches))]
                if step.get("else"):
                    later.append(f"{place}.else")
                for later_place in later:
                    details = {
                        "path": vocabulary.lint_place_words(later_place),
                        "reason": vocabulary.LINT_ALWAYS_MATCHING,
                    }
                    found.append(_finding(workflow, "unreachable_branch", later_place, details))
                break
    return found


def rules_never_true(workflow: CompiledWorkflow) -> list[Finding]:
    """A rule on facts the trigger never has: unknown there, so never true (or, for a
    negative rule, always true)."""
    missing = facts_missing_on(workflow.trigger)
    if not missing:
        return []
    found = []
    for place, group in _groups(workflow.document):
        for rule_place, rule in _rules(group, place):
            attribute = rule.get("attribute") or ""
            for kind in missing:
                if attribute.startswith(TRIGGER_FACT_PREFIXES[kind]):
                    outcome = rule.get("operator") in NEGATIVE_OPERATORS
                    details = {
                        "rule": _rule_words(rule),
                        "outcome": vocabulary.LINT_OUTCOMES[outcome],
                        "trigger": vocabulary.trigger_label(workflow.trigger),
                        "what": vocabulary.LINT_FACT_WORDS[kind],
                    }
                    found.append(_finding(workflow, "rule_never_true", rule_place, details))
    return found


def frequency_not_repeatable(workflow: CompiledWorkflow) -> list[Finding]:
    if workflow.frequency == "every_time" and workflow.trigger not in REPEATABLE_TRIGGERS:
        return [_finding(workflow, "frequency_not_repeatable", "frequency", {})]
    return []


# --- workflows against each other --------------------------------------------------------


def _live(workflows):
    return [w for w in workflows if w.status == "live" and w.trigger != "reusable"]


def _same_trigger(a: CompiledWorkflow, b: CompiledWorkflow) -> bool:
    return a.trigger == b.trigger and a.trigger_options == b.trigger_options


def step_effects(workflow: CompiledWorkflow) -> dict:
    """(thing, key) → (value, place) of what a workflow's steps set, first step first."""
    effects = {}
    for place, step in _steps(workflow.document.get("steps"), "steps"):
        kind = step.get("type")
        effect = None
        if kind in ("add_tag", "remove_tag") and isinstance(step.get("tag"), str):
            effect = ("tag", step["tag"].casefold()), kind == "add_tag"
        elif kind == "assign" and step.get("team"):
            effect = ("team", ""), step["team"]
        elif kind == "assign" and step.get("teammate"):
            effect = ("assignee", ""), step["teammate"]
        elif kind == "set_data":
            effect = ("data", step.get("key")), step.get("value")
        elif kind == "set_priority":
            effect = ("priority", ""), step.get("priority")
        elif kind in ("close", "reopen", "snooze"):
            effect = ("state", ""), {"close": "closed", "reopen": "open"}.get(kind, "snoozed")
        elif kind == "apply_sla":
            effect = ("sla", ""), step.get("sla")
        if effect is not None:
            effects.setdefault(effect[0], (effect[1], place))
    return effects


def _effect_words(thing_key, value) -> str:
    thing, key = thing_key
    if thing == "tag":
        return vocabulary.lint_effect_words("tag_added" if value else "tag_removed", key)
    if thing in ("team", "assignee", "sla") and isinstance(value, str):
        value = value.strip()
    return vocabulary.lint_effect_words(thing, value, key or "")


def _differ(a, b) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().casefold() != b.strip().casefold()
    return a != b


def background_conflicts(workflows) -> list[Finding]:
    """Two live background workflows of one trigger that set one thing differently:
    both run, in priority order, so the one lower in the list wins (DESIGN.md §6.2)."""
    # (trigger, options, thing) → [(workflow, value, place)] in priority order: only
    # workflows that set the same thing are compared, not every pair of the catalog.
    setters = {}
    background = sorted(
        (w for w in _live(workflows) if w.is_background), key=lambda w: (w.priority, w.id or 0)
    )
    for workflow in background:
        options = tuple(sorted(workflow.trigger_options.items()))
        for thing, (value, place) in step_effects(workflow).items():
            setters.setdefault((workflow.trigger, options, thing), []).append(
                (workflow, value, place)
            )
    found = []
    for (_, _, thing), setting in setters.items():
        # The last one to set it wins; each that set it otherwise is overruled by it.
        winner, winning_value, winning_place = setting[-1]
        for loser, value, place in setting[:-1]:
            if not _differ(value, winning_value):
                continue
            for this, other, this_value, other_value, this_place in (
                (loser, winner, value, winning_value, place),
                (winner, loser, winning_value, value, winning_place),
            ):
                details = {
                    "other": other.name,
                    "other_sets": _effect_words(thing, other_value),
                    "this_sets": _effect_words(thing, this_value),
                    "winner": winner.name,
                }
                found.append(_finding(this, "background_conflict", this_place, details))
    return found


def _rule_set(group) -> set | None:
    """An "all of" group's rules as comparable items; None for a group of another shape."""
    if group is None:
        return set()
    if not isinstance(group, dict) or group.get("match", "all") != "all":
        return None
    items = set()
    for member in group.get("rules") or []:
        if not isinstance(member, dict) or "rules" in member:
            return None
        value = member.get("value")
        value = tuple(value) if isinstance(value, list) else value
        if isinstance(value, str):
            value = value.strip().casefold()
        items.add((member.get("attribute"), member.get("operator"), repr(value)))
    return items


def audience_contains(wider, narrower) -> bool:
    """Whether every conversation `narrower` targets is targeted by `wider`: `wider` is
    everyone, or its "all of" rules are among `narrower`'s "all of" rules."""
    if always_matches(wider):
        return True
    wide, narrow = _rule_set(wider), _rule_set(narrower)
    return wide is not None and narrow is not None and wide <= narrow


def shadowed_customer_facing(workflows) -> list[Finding]:
    """A customer-facing workflow that a higher one always beats: at most one
    customer-facing run at a time, the highest candidate starts (DESIGN.md §6.3). The
    higher one must be a candidate every time: every_time, or a trigger that fires once."""
    by_trigger = {}
    for w in sorted(_live(workflows), key=lambda w: (w.priority, w.id or 0)):
        if w.is_customer_facing:
            by_trigger.setdefault(w.trigger, []).append(w)
    found = []
    for facing in by_trigger.values():
        found += _shadowed_among(facing)
    return found


def _shadowed_among(facing) -> list[Finding]:
    """`facing`: one trigger's live customer-facing workflows in priority order."""
    found = []
    for position, lower in enumerate(facing):
        for higher in facing[:position]:
            always_candidate = (
                higher.frequency == "every_time" or higher.trigger not in REPEATABLE_TRIGGERS
            )
            if (
                _same_trigger(higher, lower)
                and always_candidate
                and audience_contains(
                    higher.document.get("audience"), lower.document.get("audience")
                )
            ):
                found.append(
                    _finding(lower, "shadowed_customer_facing", "audience", {"other": higher.name})
                )
                break
    return found


def fired_events(workflow: CompiledWorkflow) -> list[EventInfo]:
    """The events the changes of a workflow's steps write, with what a trigger's options
    compare (the tag, the data key)."""
    events = []
    for _, step in _steps(workflow.document.get("steps"), "steps"):
        event = STEP_EVENTS.get(step.get("type"))
        if step.get("type") == "handover" and (step.get("team") or step.get("teammate")):
            event = "assigned"
        if event is not None:
            payload = {k: step[k] for k in ("tag", "key") if isinstance(step.get(k), str)}
            events.append(EventInfo(None, event, WORKFLOW, payload=payload))
    return events


def fired_triggers(workflow: CompiledWorkflow) -> set[str]:
    """The triggers the changes of a workflow's steps fire (through the planner)."""
    return {trigger for event in fired_events(workflow) for trigger in triggers_for(event)}


def _starts(event: EventInfo, successor: CompiledWorkflow) -> bool:
    """Whether a workflow's event starts `successor` (its trigger and its options)."""
    return successor.trigger in triggers_for(event) and trigger_options_match(successor, event)


def workflow_loops(workflows) -> list[Finding]:
    """A live workflow whose changes start a chain of workflows as deep as the loop cut
    (DESIGN.md §6.7): the chain is cut there, and the rest of it does not run."""
    live = sorted(_live(workflows), key=lambda w: (w.trigger, w.priority, w.id or 0))
    fires = {w.id: fired_events(w) for w in live}
    by_trigger = {}
    for w in live:
        by_trigger.setdefault(w.trigger, []).append(w)

    def chain_from(workflow, depth):
        """A list of workflows started one after the other, `depth` long, or None."""
        if depth == 0:
            return []
        triggers = {t for event in fires[workflow.id] for t in triggers_for(event)}
        for trigger in sorted(triggers):
            for successor in by_trigger.get(trigger, []):
                if not any(_starts(event, successor) for event in fires[workflow.id]):
                    continue
                rest = chain_from(successor, depth - 1)
                if rest is not None:
                    return [successor, *rest]
        return None

    found = []
    for workflow in live:
        chain = chain_from(workflow, MAX_WORKFLOW_CHAIN_DEPTH)
        if chain is not None:
            names = " → ".join(f"“{w.name}”" for w in chain)
            details = {"chain": names, "limit": MAX_WORKFLOW_CHAIN_DEPTH}
            found.append(_finding(workflow, "workflow_loop", "steps", details))
    return found


# --- the whole catalog ---------------------------------------------------------------------

SINGLE_CHECKS = (
    frequency_not_repeatable,
    negative_rules_in_any,
    rules_never_true,
    unreachable_branches,
)
CATALOG_CHECKS = (background_conflicts, shadowed_customer_facing, workflow_loops)


def lint_catalog(workflows) -> list[Finding]:
    """Every finding over these workflows (all statuses; the cross-workflow checks read
    the live ones), by workflow then place."""
    workflows = list(workflows)
    found = [
        finding for workflow in workflows for check in SINGLE_CHECKS for finding in check(workflow)
    ]
    found += [finding for check in CATALOG_CHECKS for finding in check(workflows)]
    order = {w.id: (w.trigger, w.priority, w.id or 0) for w in workflows}
    return sorted(found, key=lambda f: (order.get(f.workflow, ("", 0, 0)), f.place, f.code))


def _finding(workflow: CompiledWorkflow, code: str, place: str, details: dict) -> Finding:
    return Finding(workflow.id, workflow.name, code, place, details)
