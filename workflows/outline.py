"""A read-only outline of a workflow document, one line per decision and step."""

from workflows.editor import value_to_text

TRIGGER_WORDS = {
    "customer_opened_conversation": "the customer opens a new conversation",
    "customer_first_message": "the customer sends their first message",
    "customer_any_message": "the customer sends any message",
    "teammate_changed_state": "a teammate changes the state",
    "teammate_replied": "a teammate replies",
    "teammate_added_note": "a teammate adds a note",
    "conversation_assigned": "the conversation is assigned",
    "customer_unresponsive": "the customer is unresponsive",
    "teammate_unresponsive": "a teammate is unresponsive",
    "sla_missed": "an SLA target is missed",
    "reusable": "another workflow runs it",
}


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
            operator = str(rule.get("operator", "")).replace("_", " ")
            parts.append(f"{rule.get('attribute')} {operator} {value}".strip())
    return joiner.join(parts)


def step_words(step) -> str:
    kind = step.get("type")
    details = {
        key: value
        for key, value in step.items()
        if key not in ("type", "branches", "rules", "buttons", "else", "steps")
    }
    shown = ", ".join(f"{key}: {value_to_text(value)}" for key, value in details.items())
    return f"{kind.replace('_', ' ')}" + (f" ({shown})" if shown else "")


def outline(document: dict) -> str:
    lines = [f"When {TRIGGER_WORDS.get(document.get('trigger'), document.get('trigger'))}"]
    options = document.get("trigger_options") or {}
    if options:
        lines[0] += " " + ", ".join(f"{k} {v}" for k, v in options.items())
    frequency = document.get("frequency", "once").replace("_", " ")
    lines.append(f"  for {rules_words(document.get('audience'))} ({frequency})")
    _steps(document.get("steps") or [], 1, lines)
    return "\n".join(lines)


def _steps(steps, depth, lines):
    pad = "  " * depth
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            continue
        lines.append(f"{pad}{number}. {step_words(step)}")
        for entry in step.get("branches", []) + step.get("rules", []):
            lines.append(f"{pad}   if {rules_words(entry.get('when'))}:")
            _steps(entry.get("steps", []), depth + 2, lines)
        if step.get("type") == "branches":
            lines.append(f"{pad}   otherwise:")
            _steps(step.get("else", []), depth + 2, lines)
        for button in step.get("buttons", []):
            lines.append(f'{pad}   button "{button.get("label")}":')
            _steps(button.get("steps", []), depth + 2, lines)
