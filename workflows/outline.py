"""A read-only outline of a workflow document, one line per decision and step.

Words come from the vocabulary (triggers, operators, matches) and the step registry
(each step type's outline words); the step's own fields follow in brackets.
"""

from workflows import vocabulary
from workflows.editor import value_to_text
from workflows.engine.steps import BUTTONS, path_keys, step_type


def rules_words(group) -> str:
    if not isinstance(group, dict) or not group.get("rules"):
        return "everyone"
    joiner = " and " if group.get("match", "all") == "all" else " or "
    parts = []
    for rule in group["rules"]:
        if isinstance(rule, dict) and "rules" in rule:
            parts.append(f"({rules_words(rule)})")
        elif isinstance(rule, dict):
            value = value_to_text(rule.get("value"))
            parts.append(vocabulary.rule_words(rule.get("attribute"), rule.get("operator"), value))
    return joiner.join(parts)


def step_words(step) -> str:
    kind = step_type(step.get("type"))
    head = kind.outline_words(step) if kind else str(step.get("type")).replace("_", " ")
    nested = set(path_keys()) | {"type", "steps"}
    details = {key: value for key, value in step.items() if key not in nested}
    shown = ", ".join(f"{key}: {value_to_text(value)}" for key, value in details.items())
    return head + (f" ({shown})" if shown else "")


def outline(document: dict) -> str:
    trigger = document.get("trigger")
    lines = [f"When: {vocabulary.trigger_label(trigger)}"]
    options = vocabulary.trigger_options_words(trigger, document.get("trigger_options"))
    if options:
        lines[0] += f" ({options})"
    frequency = vocabulary.FREQUENCY_WORDS.get(document.get("frequency", "once"), "")
    lines.append(f"  for {rules_words(document.get('audience'))} ({frequency})")
    _steps(document.get("steps") or [], 1, lines)
    return "\n".join(lines)


def _steps(steps, depth, lines):
    pad = "  " * depth
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            continue
        lines.append(f"{pad}{number}. {step_words(step)}")
        kind = step_type(step.get("type"))
        if kind is None or kind.paths is None:
            continue
        for entry in step.get(kind.paths.key) or []:
            if not isinstance(entry, dict):
                continue
            if kind.paths.kind == BUTTONS:
                lines.append(f'{pad}   button "{entry.get("label")}":')
            else:
                lines.append(f"{pad}   if {rules_words(entry.get('when'))}:")
            _steps(entry.get("steps", []), depth + 2, lines)
        if kind.paths.has_else:
            lines.append(f"{pad}   otherwise:")
            _steps(step.get("else", []), depth + 2, lines)
