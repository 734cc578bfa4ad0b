"""Words for people, written once: triggers and their options, attributes, operators,
rules, steps, frequencies, statuses, run outcomes, value problems and SLA targets.

Every page (the builder, the outline and diagram, the list, the test run, the report),
the admin, the timeline (through `log_words`) and the validator's messages read their
words here; the engine keeps the machine names (API.md's format) in documents and logs.
People never read a dotted attribute name (`contact.plan`) or an operator code (`gt`).
Pure Python: no Django, so the engine's plain-data code may use it too.
"""

import re
from datetime import date, datetime, timedelta

# --- triggers ------------------------------------------------------------------------------

# Trigger names as the builder shows them (a noun phrase that starts a sentence).
TRIGGER_LABELS = {
    "customer_opened_conversation": "Customer opens a new conversation",
    "customer_first_message": "Customer sends their first message",
    "customer_any_message": "Customer sends any message",
    "teammate_changed_state": "Teammate changes the conversation state",
    "teammate_replied": "Teammate replies",
    "teammate_added_note": "Teammate adds a note",
    "conversation_assigned": "Conversation assigned",
    "customer_unresponsive": "Customer unresponsive",
    "teammate_unresponsive": "Teammate unresponsive",
    "sla_missed": "SLA missed",
    "tag_added": "Tag added",
    "tag_removed": "Tag removed",
    "priority_changed": "Priority changed",
    "conversation_data_changed": "Conversation data changed",
    "customer_reopened": "Customer reopens a closed conversation",
    "custom_event": "Custom event received",
    "reusable": "Reusable (run by other workflows)",
}
# teammate_changed_state's option: the state the teammate moved the conversation to.
STATE_OPTION_WORDS = {"closed": "closed", "snoozed": "snoozed", "open": "reopened"}
ANY_STATE = "any state"
# A wait step's until_reply: "End early when …".
REPLY_KIND_WORDS = {
    "customer": "the customer replies",
    "teammate": "a teammate replies",
    "any": "anyone replies",
}
NEVER = "never"
# An assign step's method: how a team step picks the member (conversations/routing.py).
ASSIGN_METHOD_WORDS = {
    "round_robin": "round robin",
    "balanced": "balanced (fewest open conversations)",
}
ASSIGN_METHOD_NONE = "Nobody: the team's inbox"

# --- attributes ------------------------------------------------------------------------

# What the builder's picker groups attributes under, in its order.
ATTRIBUTE_GROUPS = {
    "contact": "Contact",
    "company": "Company",
    "conversation": "Conversation",
    "message": "Message",
    "time": "Time",
    "event": "Event",
}
# The picker's group of an attribute whose name does not say it: moments compared with
# now go under Time.
ATTRIBUTE_PICKER_GROUP = {
    "conversation.waiting_since": "time",
    "conversation.last_customer_message_at": "time",
    "conversation.last_teammate_reply_at": "time",
    "conversation.snoozed_until": "time",
}
ATTRIBUTE_LABELS = {
    "contact.name": "Name",
    "contact.email": "Email",
    "contact.role": "Role",
    "contact.plan": "Plan",
    "contact.monthly_spend": "Monthly spend",
    "contact.created_at": "Signed up",
    "company.name": "Company name",
    "company.plan": "Company plan",
    "company.monthly_spend": "Company monthly spend",
    "company.size": "Company size",
    "conversation.state": "Conversation state",
    "conversation.assignee": "Assignee",
    "conversation.team": "Team",
    "conversation.tags": "Tags",
    "conversation.priority": "Priority",
    "conversation.channel": "Channel",
    "conversation.in_bot_inbox": "In the bot inbox",
    "conversation.created_at": "Conversation started",
    "conversation.waiting_since": "Customer waiting since",
    "conversation.last_customer_message_at": "Last customer message",
    "conversation.last_teammate_reply_at": "Last teammate reply",
    "conversation.snoozed_until": "Snoozed until",
    "event.name": "Event name",
    "message.body": "Message text",
    "message.author_type": "Message author",
    "time.office_hours": "During office hours",
    "time.weekday": "Day of the week",
}
# What a collect-data step asks for (email, name, plan or custom.<key>).
COLLECTED_WORDS = {"email": "their email", "name": "their name", "plan": "their plan"}


def _humanize(key: str) -> str:
    words = key.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else key


def attribute_label(attribute) -> str:
    """`contact.monthly_spend` → "Monthly spend"; `contact.custom.seats` → "Seats (contact)"."""
    if not isinstance(attribute, str) or not attribute:
        return "(no attribute)"
    if attribute in ATTRIBUTE_LABELS:
        return ATTRIBUTE_LABELS[attribute]
    group, _, rest = attribute.partition(".")
    if rest.startswith("custom.") and group in ATTRIBUTE_GROUPS:
        return f"{_humanize(rest[len('custom.') :])} ({ATTRIBUTE_GROUPS[group].lower()} data)"
    if group == "event" and rest.startswith("metadata.") and rest != "metadata.":
        return f"{_humanize(rest[len('metadata.') :])} (event metadata)"
    # Not an attribute the engine knows (the validator says so): said as typed, undotted.
    return _humanize(attribute.replace(".", " "))


def attribute_group(attribute) -> str:
    group = attribute.partition(".")[0] if isinstance(attribute, str) else ""
    group = ATTRIBUTE_PICKER_GROUP.get(attribute, group) if group else group
    return ATTRIBUTE_GROUPS.get(group, "Other")


def collected_words(attribute) -> str:
    if isinstance(attribute, str) and attribute in COLLECTED_WORDS:
        return COLLECTED_WORDS[attribute]
    if isinstance(attribute, str) and attribute.startswith("custom."):
        return f"their {_humanize(attribute[len('custom.') :]).lower()}"
    return f"their {attribute}"


# --- operators and rules -----------------------------------------------------------------

# Operator codes in words that continue "<attribute> …" (the builder's select says them
# too). `{value}` marks where the value goes when it is not at the end.
OPERATOR_WORDS = {
    "is": "is",
    "is_not": "is not",
    "contains": "contains",
    "not_contains": "does not contain",
    "starts_with": "starts with",
    "ends_with": "ends with",
    "in": "is any of",
    "not_in": "is none of",
    "gt": "is greater than",
    "gte": "is at least",
    "lt": "is less than",
    "lte": "is at most",
    "is_set": "is known",
    "is_unknown": "is unknown",
    "before": "is before",
    "after": "is after",
    "more_than_days_ago": "is more than … days ago",
    "less_than_days_ago": "is less than … days ago",
    "more_than_ago": "is more than … ago",
    "less_than_ago": "is less than … ago",
}
_OPERATOR_SENTENCES = {
    "more_than_days_ago": "is more than {value} days ago",
    "less_than_days_ago": "is less than {value} days ago",
    "more_than_ago": "is more than {value} ago",
    "less_than_ago": "is less than {value} ago",
}
MATCH_WORDS = {"all": "all of", "any": "any of"}
MATCH_JOINERS = {"all": "and", "any": "or"}
MATCH_HEADINGS = {"all": "All of these", "any": "Any of these"}
EVERYONE = "Everyone"


def match_heading(match) -> str:
    return MATCH_HEADINGS.get(match if isinstance(match, str) else "all", MATCH_HEADINGS["all"])


def operator_words(operator) -> str:
    if not isinstance(operator, str):
        return "(no operator)"
    return OPERATOR_WORDS.get(operator, operator.replace("_", " "))


def value_words(value) -> str:
    """A rule's value as a sentence says it: Pro, 500, yes, Pro or Team, 31 Jan 2026."""
    if value is None or value == "":
        return "unknown"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [value_words(item) for item in value]
        return ", ".join(items) if items else "nothing"
    if isinstance(value, datetime):
        return value.strftime("%-d %b %Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%-d %b %Y")
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return value_words(moment if ("T" in value or " " in value) else moment.date())
    return str(value)


def rule_words(attribute, operator, value=None) -> str:
    """One rule as a sentence: "Monthly spend is greater than 500", "Plan is Pro"."""
    label = attribute_label(attribute)
    operator = operator if isinstance(operator, str) else ""
    if operator in ("is_set", "is_unknown"):
        return f"{label} {operator_words(operator)}"
    shown = value_words(value)
    if operator in ("more_than_ago", "less_than_ago"):
        shown = duration_words(value)
    if operator in ("contains", "not_contains", "starts_with", "ends_with") and isinstance(
        value, str
    ):
        shown = quoted(value)
    if operator in _OPERATOR_SENTENCES:
        return f"{label} {_OPERATOR_SENTENCES[operator].format(value=shown)}"
    return f"{label} {operator_words(operator)} {shown}".strip()


def group_words(group, *, nested: bool = False) -> str:
    """A rule group as one sentence: "Plan is Pro and Monthly spend is greater than 500"."""
    if not isinstance(group, dict) or not group.get("rules"):
        return EVERYONE if not nested else "(no rules)"
    match = group.get("match", "all")
    joiner = f" {MATCH_JOINERS.get(match, 'and') if isinstance(match, str) else 'and'} "
    parts = []
    for rule in group["rules"]:
        if isinstance(rule, dict) and "rules" in rule:
            parts.append(f"({group_words(rule, nested=True)})")
        elif isinstance(rule, dict):
            parts.append(rule_words(rule.get("attribute"), rule.get("operator"), rule.get("value")))
    return joiner.join(parts)


def failure_words(attribute, operator, expected_shown: str, actual_shown: str, note="") -> str:
    """Why one rule did not match: 'Plan is "Pro" — actual value "Free"'."""
    label = attribute_label(attribute)
    if isinstance(operator, str) and operator in _OPERATOR_SENTENCES and expected_shown:
        said = f"{label} {_OPERATOR_SENTENCES[operator].format(value=expected_shown)}"
    else:
        expected = f" {expected_shown}" if expected_shown else ""
        said = f"{label} {operator_words(operator)}{expected}"
    note = f" ({note})" if note else ""
    return f"{said} — actual value {actual_shown}{note}"


# What a rule's value must be, by the kind of value the engine parses.
VALUE_EXPECTED = {
    "number": "a number",
    "date": "a date such as 2026-01-31",
    "days": "a whole number of days (0 or more)",
    "duration": 'a duration such as "30m", "2h" or "1d"',
    "text": "text",
    "bool": "yes or no",
    "scalar": "text, a number or yes/no",
    "weekday": "a day of the week (Monday to Sunday)",
    "list": "one or more values, separated by commas",
    "one": "one value (choose “is any of” for several)",
    "years": "a date between the years {low} and {high}",
}


def value_problem(attribute, expected: str) -> str:
    """A rule's value the validator refuses: "Monthly spend must be a number."."""
    return f"{attribute_label(attribute)} must be {expected}."


def operator_problem(attribute, operator, allowed) -> str:
    fits = ", ".join(f"“{operator_words(op)}”" for op in allowed)
    return (
        f"“{operator_words(operator)}” does not fit {attribute_label(attribute)}; "
        f"choose one of {fits}."
    )


def unknown_attribute(attribute) -> str:
    if not isinstance(attribute, str) or not attribute.strip():
        return "Choose an attribute."
    return f"There is no attribute called “{attribute}”: choose one from the list."


VALUE_NEEDED = "{attribute} needs a value to compare with."

# --- workflows: status, frequency, trigger sentences ---------------------------------------

STATUS_WORDS = {"draft": "Draft", "live": "Live", "paused": "Paused"}
FREQUENCY_WORDS = {"once": "Once per conversation", "every_time": "Every time"}
FREQUENCY_NOT_REPEATABLE = (
    "“Every time” is for triggers that can happen again; this trigger happens once "
    "per conversation."
)


def frequency_words(frequency) -> str:
    return FREQUENCY_WORDS.get(frequency, str(frequency)) if isinstance(frequency, str) else ""


SLA_TARGET_WORDS = {
    "first_reply": "First reply",
    "next_reply": "Next reply",
    "time_to_close": "Close",
}
DURATION_UNITS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week"}


def trigger_label(trigger) -> str:
    if not isinstance(trigger, str):
        return "(no trigger)"
    return TRIGGER_LABELS.get(trigger, trigger.replace("_", " "))


def duration_words(text) -> str:
    """ "30m" → "30 minutes", "1h30m" → "1 hour 30 minutes" (a timedelta too); anything
    else as given."""
    if isinstance(text, timedelta):
        seconds, text = int(text.total_seconds()), ""
        for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
            if seconds >= size or (unit == "s" and not text):
                text += f"{seconds // size}{unit}" if seconds >= size or not text else ""
                seconds %= size
        text = text or "0s"
    text = str(text or "").strip()
    parts = re.findall(r"(\d+)\s*([smhdw])", text)
    if not parts or "".join(n + u for n, u in parts) != text.replace(" ", ""):
        return text
    said = []
    for number, unit in parts:
        word = DURATION_UNITS[unit]
        said.append(f"{int(number)} {word}{'' if int(number) == 1 else 's'}")
    return " ".join(said)


def trigger_options_words(trigger, options: dict) -> str:
    """`{"state": "closed"}` → "to closed"; `{"after": "30m"}` → "for 30 minutes"; {} → ""."""
    options = options if isinstance(options, dict) else {}
    parts = []
    if options.get("state"):
        state = options["state"]
        parts.append(
            f"to {STATE_OPTION_WORDS.get(state, state) if isinstance(state, str) else state}"
        )
    if options.get("after"):
        parts.append(f"for {duration_words(options['after'])}")
    if options.get("tag"):
        parts.append(f"“{options['tag']}”")
    if options.get("key"):
        parts.append(f"“{options['key']}”")
    if options.get("name"):
        parts.append(f"“{options['name']}”")
    return " ".join(parts)


def trigger_words(trigger, options=None) -> str:
    """ "Teammate changes the conversation state to closed", "Customer unresponsive for 30
    minutes": the trigger and its options in one phrase."""
    said = trigger_options_words(trigger, options)
    return f"{trigger_label(trigger)} {said}".strip()


# --- steps ----------------------------------------------------------------------------------

STEP_LABELS = {
    "add_tag": "Add tag",
    "remove_tag": "Remove tag",
    "assign": "Assign",
    "unassign": "Unassign",
    "close": "Close",
    "reopen": "Reopen",
    "snooze": "Snooze",
    "set_priority": "Mark priority",
    "apply_sla": "Apply SLA",
    "set_data": "Set conversation data",
    "add_note": "Add note",
    "wait": "Wait",
    "branches": "Branches",
    "apply_rules": "Apply rules",
    "run_workflow": "Run reusable workflow",
    "send_message": "Send message",
    "reply_buttons": "Reply buttons",
    "collect_data": "Collect data",
    "handover": "Hand over to the inbox",
    "http_request": "HTTP request",
}
# What one path of a step is called: "Branch 1", "Entry 2", "Button “Yes”".
# The placeholders the builder's menu offers (workflows/engine/placeholders.py reads them).
PLACEHOLDER_WORDS = {
    "contact.name": "Contact name",
    "contact.email": "Contact email",
    "contact.plan": "Contact plan",
    "contact.custom.KEY": "Contact custom attribute (replace KEY)",
    "company.name": "Company name",
    "conversation.id": "Conversation number",
    "conversation.custom.KEY": "Conversation data (replace KEY)",
}
PLACEHOLDER_MENU = "Insert a placeholder"
PLACEHOLDER_RENDERED = "Rendered for this conversation"

PATH_LABELS = {
    "branches": "Branch",
    "apply_rules": "Rule entry",
    "reply_buttons": "Button",
    "http_request": "On failure",
}
OTHERWISE = "Otherwise"
QUOTE_CHARS = 60


def quoted(text, limit: int = QUOTE_CHARS) -> str:
    text = " ".join(str(text if text is not None else "").split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return f"“{text}”"


def _assign(step) -> str:
    if step.get("teammate"):
        whom = f"teammate {quoted(step['teammate'])}"
    else:
        whom = f"team {quoted(step.get('team', ''))}"
    method = assign_method(step)
    return f"Assign to {whom}" + (f" ({ASSIGN_METHOD_WORDS[method]})" if method else "")


def assign_method(step) -> str | None:
    """An assign step's method; `round_robin: true` is the older spelling of round robin."""
    method = step.get("method")
    if method in ASSIGN_METHOD_WORDS:
        return method
    return "round_robin" if step.get("round_robin") is True else None


def _snooze(step) -> str:
    if step.get("until"):
        return f"Snooze until {value_words(step['until'])}"
    return f"Snooze for {duration_words(step.get('duration', ''))}"


def _wait(step) -> str:
    said = f"Wait {duration_words(step.get('duration', ''))}"
    reply = step.get("until_reply")
    if reply in REPLY_KIND_WORDS:
        said += f", or until {REPLY_KIND_WORDS[reply]}"
    return said


def _handover(step) -> str:
    if step.get("team"):
        return f"Hand over to team {quoted(step['team'])}"
    if step.get("teammate"):
        return f"Hand over to teammate {quoted(step['teammate'])}"
    return "Hand over to the inbox"


def _set_data(step) -> str:
    return (
        f"Set conversation data {quoted(step.get('key', ''))} to {value_words(step.get('value'))}"
    )


_STEP_SENTENCES = {
    "add_tag": lambda s: f"Add tag {quoted(s.get('tag', ''))}",
    "remove_tag": lambda s: f"Remove tag {quoted(s.get('tag', ''))}",
    "assign": _assign,
    "unassign": lambda s: "Unassign the conversation",
    "close": lambda s: "Close the conversation",
    "reopen": lambda s: "Reopen the conversation",
    "snooze": _snooze,
    "set_priority": lambda s: "Mark as priority" if s.get("priority") else "Remove priority",
    "apply_sla": lambda s: f"Apply SLA {quoted(s.get('sla', ''))}",
    "set_data": _set_data,
    "add_note": lambda s: f"Add note {quoted(s.get('body', ''))}",
    "wait": _wait,
    "branches": lambda s: "Take the first branch that matches",
    "apply_rules": lambda s: "Apply rules: run every entry that matches",
    "run_workflow": lambda s: f"Run reusable workflow {quoted(s.get('workflow', ''))}",
    "send_message": lambda s: f"Send message {quoted(s.get('body', ''))}",
    "reply_buttons": lambda s: f"Ask {quoted(s.get('body', ''))} with reply buttons",
    "collect_data": lambda s: (
        f"Ask for {collected_words(s.get('attribute'))}: {quoted(s.get('body', ''))}"
    ),
    "handover": _handover,
    "http_request": lambda s: f"Call {s.get('method', '')} {s.get('url', '')}".strip(),
    # A macro's reply (workflows/macros.py): the teammate sends it.
    "reply": lambda s: f"Reply {quoted(s.get('body', ''))}",
}


def step_label(step_type) -> str:
    if not isinstance(step_type, str):
        return "(no step type)"
    return STEP_LABELS.get(step_type, step_type.replace("_", " ").capitalize())


def step_words(step) -> str:
    """One step as a sentence: "Apply SLA “Standard”", "Assign to team “Support”"."""
    if not isinstance(step, dict):
        return "(not a step)"
    sentence = _STEP_SENTENCES.get(step.get("type")) if isinstance(step.get("type"), str) else None
    if sentence is None:
        return step_label(step.get("type"))
    try:
        return sentence(step)
    except (AttributeError, TypeError, ValueError):
        return step_label(step.get("type"))


def path_words(step_type, number: int, entry=None) -> str:
    """ "Branch 1: Plan is Pro", "Rule entry 2: Tags contains VIP", "Button “Yes”"."""
    label = PATH_LABELS.get(step_type, "Path") if isinstance(step_type, str) else "Path"
    entry = entry if isinstance(entry, dict) else {}
    if step_type == "reply_buttons":
        return f"{label} {quoted(entry.get('label', ''))}"
    if step_type == "http_request":
        return label
    return f"{label} {number}: {group_words(entry.get('when'), nested=True)}"


# --- runs: outcomes and what the test run says -------------------------------------------

RUN_STATUS_WORDS = {
    "running": "Running",
    "waiting": "Waiting",
    "completed": "Completed",
    "interrupted": "Interrupted",
    "failed": "Failed",
}
REPORT_SERIES_WORDS = {
    "started": "Started",
    "completed": "Completed",
    "interrupted": "Interrupted",
    "failed": "Failed",
    "skipped": "Skipped",
}
WOULD_START_BECAUSE = "the targeting rules match"
NOT_LIVE = "it is {status}, not live"
RAN_ONCE_ALREADY = "it runs once per conversation and already ran on this one"
# Replay (workflows/replay.py): what the builder's Replay panel says.
REPLAY_CHAIN_CUT = "{depth} workflow changes in a row led to it (the limit is {limit})"
REPLAY_SINCE_PROBLEM = 'Say how many days back, e.g. "7d" (1 to {days} days).'
REPLAY_NO_SNAPSHOTS = (
    "No past events of this trigger were kept for replay in that period "
    "(events are kept {days} days)."
)
REPLAY_FAILED = "The replay could not finish. Try a shorter period, or try again later."
REPLAY_DIFFERS_START = "The draft would start; the live version would not"
REPLAY_DIFFERS_SKIP = "The live version would start; the draft would not"
REPLAY_DIFFERS_STEPS = "Both would start, with different steps"
PREVIEW_FORM_ERRORS = "Some fields are not filled in correctly yet."
TEST_BRANCH_CHOSEN = "Branch {number} matches"
TEST_NO_BRANCH = "No branch matches: the otherwise path runs"
TEST_ENTRIES_CHOSEN = "{entries} {verb}"
TEST_NO_ENTRY = "No entry matches: nothing runs"
TEST_BUTTONS = "The customer’s choice picks the path"
TEST_NOT_LIVE_TARGET = "That workflow is not live: its steps are not shown"


def entries_chosen_words(numbers) -> str:
    """Which apply-rules entries match: "Rule entry 2 matches", "Rule entries 1 and 3 match"."""
    numbers = [str(n) for n in numbers]
    if len(numbers) == 1:
        return f"Rule entry {numbers[0]} matches"
    listed = ", ".join(numbers[:-1]) + f" and {numbers[-1]}"
    return f"Rule entries {listed} match"


# --- what a run's log says as it goes (the executor and the step actions) -------------------


def http_waiting_words(method: str, url: str) -> str:
    return f"Calling {method} {url}: waiting for the answer"


def branch_matched_words(number: int) -> str:
    return f"Branch {number} matched"


NO_BRANCH_MATCHED = "No branch matched: took the otherwise path"


def entries_matched_words(numbers) -> str:
    numbers = list(numbers)
    if not numbers:
        return "Apply rules: no rule entry matched"
    listed = ", ".join(str(n) for n in numbers[:-1])
    listed = f"{listed} and {numbers[-1]}" if listed else str(numbers[0])
    return f"Apply rules: rule {'entry' if len(numbers) == 1 else 'entries'} {listed} matched"


def waiting_words(duration, until_reply=None) -> str:
    said = f"Waiting {duration_words(duration)}"
    if until_reply in REPLY_KIND_WORDS:
        said += f", or until {REPLY_KIND_WORDS[until_reply]}"
    return said


def step_place_words(place: str) -> str:
    """ "steps[1].paths[0].steps[2]" → "step 2 › path 1 › step 3" (numbers from 1)."""
    said = []
    for name, number in re.findall(r"(steps|paths|else)(?:\[(\d+)\])?", place):
        if name == "else":
            said.append(OTHERWISE.lower())
            if number:
                said.append(f"step {int(number) + 1}")
        elif number:
            said.append(f"{'step' if name == 'steps' else 'path'} {int(number) + 1}")
    return " › ".join(said) or place


def step_failed_words(place: str, step_type, error) -> str:
    return f"{step_place_words(place)} ({step_label(step_type)}): {error}"


# --- Builder: attribute picker, value widgets and error words (added for issue 13) -----
# The engine declares each attribute's type (workflows.engine.rules.ATTRIBUTE_TYPES);
# their labels are ATTRIBUTE_LABELS above. The picker's group is the name's first part.
ATTRIBUTE_GROUP_WORDS = ATTRIBUTE_GROUPS
CUSTOM_ATTRIBUTES_GROUP = "Custom attributes"
CHOOSE_ATTRIBUTE = "Choose an attribute"
YES_NO_WORDS = {"true": "yes", "false": "no"}
WEEKDAY_WORDS = {
    "monday": "Monday",
    "tuesday": "Tuesday",
    "wednesday": "Wednesday",
    "thursday": "Thursday",
    "friday": "Friday",
    "saturday": "Saturday",
    "sunday": "Sunday",
}
# What a rule's value must be, by the value widget the builder shows (editor.value_kind).
VALUE_KIND_WORDS = {
    "number": "a number",
    "days": "a whole number of days",
    "duration": 'a duration such as "2h"',
    "date": "a date",
    "bool": "yes or no",
    "weekday": "a day of the week",
    "list": "one or more values",
    "text": "filled in",
}
# Beside a time rule's duration box ("is more than … ago").
DURATION_HINT = "ago (30m, 2h, 1d)"
# The builder's words for places in a workflow (the error summary).
PLACE_WORDS = {
    "trigger": "Trigger",
    "audience": "Targeting",
    "rule": "rule",
    "group": "group",
    "step": "Step",
    "else": "Else",
}
ERROR_SUMMARY_TITLE = "Fix these before saving:"


def value_problem_words(attribute, value_kind) -> str:
    """A rule's value that does not fit: "Monthly spend must be a number"."""
    return value_problem(attribute, VALUE_KIND_WORDS.get(value_kind, VALUE_KIND_WORDS["text"]))


# --- Builder: a custom attribute absent from the data, typed by its key ---------------
CUSTOM_KEY_LABEL = "Attribute key"
CUSTOM_KEY_HINT = "e.g. seats"
CUSTOM_KEY_PROBLEM = (
    "Type the key of the custom attribute: letters, digits, _ or -, starting with a letter "
    "or _, at most 64 characters."
)


def new_custom_attribute_words(group: str) -> str:
    """The picker's choice that reveals a key box: "Custom contact attribute…"."""
    if group == "event":
        return "Event metadata…"
    return f"Custom {ATTRIBUTE_GROUPS.get(group, group).lower()} attribute…"


def zone_hint(zone_name: str) -> str:
    """Beside a rule's date-and-time box: the clock it is read on ("Europe/Paris time")."""
    return f"{zone_name} time"


# --- The catalog linter (workflows/lint.py): one sentence and one fix per code ------------
# Each message is said from the finding's plain details; "{fix}" is the one-line fix.
LINT_WORDS = {
    "negative_rule_in_any": (
        "“{rule}” is inside an “any of” group: nearly every conversation passes a "
        "negative rule, so the whole group matches nearly everyone.",
        "Move the rule into an “all of” group, or make this group match all.",
    ),
    "background_conflict": (
        "“{other}” runs on the same trigger and {other_sets}, while this one {this_sets}: "
        "“{winner}” wins, because it is lower in the list and runs last.",
        "Give them different targeting, or drop one of the two steps.",
    ),
    "shadowed_customer_facing": (
        "“{other}” is higher in the list, customer-facing and targets everyone this one "
        "targets: it always starts first, so this one never starts.",
        "Move this workflow above “{other}”, or narrow “{other}”’s targeting.",
    ),
    "unreachable_branch": (
        "{path} can never run: {reason}.",
        "Give the earlier branch rules, or move this path before it.",
    ),
    "rule_never_true": (
        "“{rule}” is {outcome} on “{trigger}”: that trigger has no {what}.",
        "Remove the rule, or choose a trigger that has a {what}.",
    ),
    "frequency_not_repeatable": (
        FREQUENCY_NOT_REPEATABLE,
        "Choose “Once per conversation”.",
    ),
    "workflow_loop": (
        "Its steps set off {chain}: workflow-caused events go {limit} deep at most, then the "
        "chain is cut and the rest does not run.",
        "Change a step so it does not fire another workflow’s trigger, or add a rule that "
        "stops the repeat.",
    ),
}
LINT_ALWAYS_MATCHING = "an earlier branch always matches"
LINT_NEVER_MATCHING = "its rules are an empty “any of” group, which matches nothing"
LINT_OUTCOMES = {True: "always true", False: "never true"}
LINT_FACT_WORDS = {"message": "triggering message", "event": "custom event"}
LINT_EFFECT_WORDS = {
    "tag_added": "adds the tag “{value}”",
    "tag_removed": "removes the tag “{value}”",
    "team": "assigns to the team “{value}”",
    "assignee": "assigns to “{value}”",
    "data": "sets “{key}” to {value}",
    "priority": "sets priority to {value}",
    "state": "makes it {value}",
    "sla": "applies the SLA “{value}”",
}


def lint_message(code: str, details: dict) -> str:
    """A finding's sentence and its fix: "… Fix: …"."""
    sentence, fix = LINT_WORDS[code]
    return f"{sentence.format(**details)} Fix: {fix.format(**details)}"


def lint_effect_words(thing: str, value, key: str = "") -> str:
    if thing == "state":
        value = STATE_OPTION_WORDS.get(value, value)
    elif not isinstance(value, str):
        value = value_words(value)
    return LINT_EFFECT_WORDS[thing].format(value=value, key=key)


def lint_place_words(place: str) -> str:
    """ "audience.rules[1]" → "Targeting › rule 2"; "steps[1].branches[0].when" →
    "step 2 › path 1 › rules"."""
    if place.startswith("audience"):
        rest = re.findall(r"rules\[(\d+)\]", place)
        return " › ".join([PLACE_WORDS["audience"], *(f"rule {int(n) + 1}" for n in rest)])
    if place in ("frequency", "trigger"):
        return {"frequency": "Frequency", "trigger": PLACE_WORDS["trigger"]}[place]
    head, _, rules = place.partition(".when")
    said = step_place_words(head.replace(".branches[", ".paths[").replace(".rules[", ".paths["))
    return f"{said} › rules" if rules else said


# --- webhooks ------------------------------------------------------------------------------

# Event types as the webhooks page lists them (API.md's names stay in the API).
WEBHOOK_EVENT_LABELS = {
    "conversation.opened": "Conversation opened",
    "conversation.customer_message": "Customer message",
    "conversation.teammate_reply": "Teammate reply",
    "conversation.note": "Note added",
    "conversation.assigned": "Conversation assigned",
    "conversation.state_changed": "State changed (closed, snoozed, reopened)",
    "conversation.tag_added": "Tag added",
    "conversation.tag_removed": "Tag removed",
    "conversation.sla_missed": "SLA target missed",
    "workflow.run_started": "Workflow run started",
    "workflow.run_ended": "Workflow run ended",
    "webhook.test": "Test event",
}
WEBHOOK_ALL_EVENTS = "All events"
WEBHOOK_DELIVERY_STATUS_WORDS = {
    "pending": "Pending",
    "delivered": "Delivered",
    "failed": "Failed",
}


def webhook_event_label(event_type) -> str:
    return WEBHOOK_EVENT_LABELS.get(event_type, str(event_type))


def webhook_events_words(events) -> str:
    if "*" in (events or []):
        return WEBHOOK_ALL_EVENTS
    return ", ".join(webhook_event_label(name) for name in events or []) or "None"


def webhook_disabled_words(reason) -> str:
    """Why an endpoint was switched off, from its record (webhooks/events.disable_decision)."""
    if not reason:
        return ""
    if reason.get("kind") == "failing":
        since = reason.get("since", "")[:16].replace("T", " ")
        words = (
            f"Switched off: every delivery failed for {reason.get('hours', 24)} hours "
            f"(since {since} UTC)."
        )
        if reason.get("last_error"):
            words += f" Last error: {reason['last_error']}"
        return words
    return "Switched off."


# --- versions -----------------------------------------------------------------------------

# A run whose cursor no longer points at a step: its steps are pinned to the versions it
# started on, so only when such a version is gone.
CURSOR_LOST = "the steps it was waiting in changed while it waited"
VERSION_WORDS = "Version {number}"
DRAFT_CHOICE = "the draft"
DRAFT_PENDING = "{status} · draft pending"


def workflow_status_words(status, has_draft: bool) -> str:
    """The list's badge: "Live", "Live · draft pending"."""
    said = STATUS_WORDS.get(status, str(status))
    return DRAFT_PENDING.format(status=said) if has_draft else said


DRAFT_SAVED = "Draft saved. Version {version} stays live until you publish."
EDITING_DRAFT = (
    "You are editing a draft (saved {saved}). Version {version} is live: it runs until you publish."
)
EDITING_LIVE = "Version {version} is live: saving keeps your changes as a draft until you publish."
PUBLISH_FAILED = "The draft cannot be published: {problems}"
PUBLISHED = "Published version {version} of “{name}”."
DRAFT_DISCARDED = "Draft discarded: version {version} is still live."
RESTORED = "Restored version {restored} as version {version}."
NO_DIFFERENCES = "No differences."
AUTHOR_UNKNOWN = "unknown"

# One change between two versions (workflows/version_diff.py's records), as the builder
# says it.
VERSION_CHANGE_WORDS = {
    "name": "Renamed: {before} → {after}",
    "trigger": "Trigger changed: {before} → {after}",
    "frequency": "How often changed: {before} → {after}",
    "match": "Targeting changed: {before} → {after}",
    "rule_added": "Rule added: {rule}",
    "rule_removed": "Rule removed: {rule}",
    "step_added": "{place} added: {step}",
    "step_removed": "{place} removed: {step}",
    "step_changed": "{place} changed: {before} → {after}",
    "path_added": "{place} added: {path}",
    "path_removed": "{place} removed: {path}",
    "path_changed": "{place} changed: {before} → {after}",
}
MATCH_CHANGE_WORDS = {"all": "all of the rules", "any": "any of the rules"}
STEP_PLACE = "Step {number}"
PLACE_JOINER = " › "


def place_words(place) -> str:
    """A place in the steps, from version_diff's parts: 'Step 2 › Branch 1 › Step 1'."""
    said = []
    for part in place:
        if part[0] == "step":
            said.append(STEP_PLACE.format(number=part[1]))
        elif part[0] == "else":
            said.append(OTHERWISE)
        else:  # ("path", step type, number)
            said.append(f"{PATH_LABELS.get(part[1], 'Path')} {part[2]}")
    return PLACE_JOINER.join(said)


def version_change_words(change: dict) -> str:
    """One record of workflows/version_diff.py in words."""
    kind = change["kind"]
    template = VERSION_CHANGE_WORDS[kind]
    place = place_words(change.get("place", ()))
    if kind == "name":
        return template.format(before=quoted(change["before"]), after=quoted(change["after"]))
    if kind == "trigger":
        return template.format(
            before=trigger_words(*change["before"]), after=trigger_words(*change["after"])
        )
    if kind == "frequency":
        return template.format(
            before=frequency_words(change["before"]), after=frequency_words(change["after"])
        )
    if kind == "match":
        return template.format(
            before=MATCH_CHANGE_WORDS.get(change["before"], change["before"]),
            after=MATCH_CHANGE_WORDS.get(change["after"], change["after"]),
        )
    if kind in ("rule_added", "rule_removed"):
        return template.format(rule=_rule_or_group(change["rule"]))
    if kind in ("step_added", "step_removed"):
        return template.format(place=place, step=step_words(change["step"]))
    if kind == "step_changed":
        return template.format(
            place=place, before=step_words(change["before"]), after=step_words(change["after"])
        )
    if kind in ("path_added", "path_removed"):
        return template.format(place=place, path=_path(change["step_type"], change["path"]))
    # path_changed: a path's condition or label
    return template.format(
        place=place,
        before=_path(change["step_type"], change["before"]),
        after=_path(change["step_type"], change["after"]),
    )


def _rule_or_group(rule) -> str:
    if isinstance(rule, dict) and "rules" in rule:
        return group_words(rule, nested=True)
    if isinstance(rule, dict):
        return rule_words(rule.get("attribute"), rule.get("operator"), rule.get("value"))
    return str(rule)


def _path(step_type, entry) -> str:
    """A path's condition (or button label) without its number."""
    if not isinstance(entry, dict):
        return ""
    if "label" in entry:
        return quoted(entry.get("label") or "")
    return group_words(entry.get("when"))


# --- macros (workflows/macros.py) ------------------------------------------------------

NO_CONVERSATION = "no such conversation"
MACRO_STEP_FAILED = "{step}: {problem}"


def macro_failure_words(step_doc, problem: str) -> str:
    """Why a macro stopped on a conversation: the step in words, then the problem."""
    return MACRO_STEP_FAILED.format(step=step_words(step_doc), problem=problem)


# The macros page's simple step rows (workflows/macros.py ROW_STEPS): what each row does,
# and what its one value is.
MACRO_ROW_LABELS = {
    "add_tag": "Add tag",
    "remove_tag": "Remove tag",
    "assign_team": "Assign to team",
    "assign_teammate": "Assign to teammate",
    "unassign": "Unassign",
    "close": "Close",
    "reopen": "Reopen",
    "snooze": "Snooze for",
    "priority": "Mark priority",
    "no_priority": "Remove priority",
    "apply_sla": "Apply SLA",
    "add_note": "Add note",
}
MACRO_ROW_VALUE_HELP = (
    "The tag, team, teammate's username, SLA policy, note, or how long to snooze "
    f"({', '.join(('30m', '2h', '1d'))})."
)
MACRO_NOT_YOURS = "Only its owner or a workspace admin may change this macro."
MACRO_ROW_NEEDS_NO_VALUE = "This step takes no value."
MACRO_HAS_OTHER_STEPS = (
    "This macro has steps this form does not show (made over the API): edit it over the API."
)
MACRO_NEEDS_SOMETHING = "Add a reply or at least one step."
MACRO_RUN_FAILED = "#{conversation}: {error}"
BULK_DONE = "{action}: {count}."
BULK_ACTION_WORDS = {
    "close": "Closed",
    "reopen": "Reopened",
    "assign": "Assigned",
    "snooze": "Snoozed",
    "add_tag": "Tagged",
    "remove_tag": "Untagged",
    "macro": "Ran the macro",
}


def conversation_count_words(count: int) -> str:
    return f"{count} conversation" + ("" if count == 1 else "s")


def result_words(results: list[dict], done: str) -> tuple[str, list[str]]:
    """A bulk action's or macro run's results for the page: what succeeded in one line,
    then each failure by conversation ("#42: already closed")."""
    succeeded = sum(1 for result in results if result["ok"])
    failures = [
        MACRO_RUN_FAILED.format(conversation=r["conversation"], error=r["error"])
        for r in results
        if not r["ok"]
    ]
    return BULK_DONE.format(action=done, count=conversation_count_words(succeeded)), failures


# --- notifications (the inbox's bell and its e-mails) ----------------------------------------

NOTIFICATION_SENTENCES = {
    "assigned": "{actor} assigned you {conversation}",
    "mentioned": "{actor} mentioned you in {conversation}",
    "sla_warning": "An SLA target is about to be missed in {conversation}",
}
NOTIFICATION_SOMEONE = "A workflow"
NOTIFICATIONS_HEADING = "Notifications"
NO_NOTIFICATIONS = "Nothing new. You will hear here when you are assigned or mentioned."
MARK_ALL_READ = "Mark all read"
SEE_ALL_NOTIFICATIONS = "See all notifications"
NOTIFICATION_EMAIL_FOOTER = (
    "You get this e-mail because your inbox was not open. Open the conversation: {url}"
)


def notification_words(kind, actor_name, conversation) -> str:
    """One notification as a sentence: "Ada assigned you Maya Okafor"."""
    sentence = NOTIFICATION_SENTENCES.get(kind, "{actor}: {conversation}")
    return sentence.format(actor=actor_name or NOTIFICATION_SOMEONE, conversation=conversation)


def unread_words(count: int) -> str:
    """The bell's label for screen readers."""
    if count == 0:
        return "Notifications, none unread"
    return f"Notifications, {count} unread"
