"""A read-only outline of a workflow document, one line per decision and step.

Every word comes from the vocabulary: the trigger and its options, the rules as
sentences ("Plan is Pro and Monthly spend is greater than 500"), each step as a
sentence ("Apply SLA “Standard”") and each path ("Entry 2: Tags contains VIP").
"""

from workflows import vocabulary
from workflows.engine.steps import STEPS_PATH, step_type


def rules_words(group) -> str:
    return vocabulary.group_words(group)


def step_words(step) -> str:
    return vocabulary.step_words(step)


def outline(document: dict) -> str:
    document = document if isinstance(document, dict) else {}
    trigger = document.get("trigger")
    lines = [f"When: {vocabulary.trigger_words(trigger, document.get('trigger_options'))}"]
    if trigger != "reusable":
        lines.append(f"Who: {rules_words(document.get('audience'))}")
        frequency = document.get("frequency", "once")
        lines.append(f"How often: {vocabulary.frequency_words(frequency)}")
    _steps(document.get("steps") or [], 0, lines)
    return "\n".join(lines)


def _steps(steps, depth, lines):
    pad = "   " * depth
    if not isinstance(steps, list):
        return
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            continue
        lines.append(f"{pad}{number}. {step_words(step)}")
        kind = step_type(step.get("type"))
        if kind is None or kind.paths is None:
            continue
        if kind.paths.kind == STEPS_PATH:  # one list of steps: "On failure"
            lines.append(f"{pad}   {kind.paths.path_label}")
            _steps(step.get(kind.paths.key) or [], depth + 2, lines)
            continue
        for index, entry in enumerate(step.get(kind.paths.key) or [], start=1):
            if not isinstance(entry, dict):
                continue
            lines.append(f"{pad}   {vocabulary.path_words(step.get('type'), index, entry)}")
            _steps(entry.get("steps", []), depth + 2, lines)
        if kind.paths.has_else:
            lines.append(f"{pad}   {vocabulary.OTHERWISE}")
            _steps(step.get("else", []), depth + 2, lines)
