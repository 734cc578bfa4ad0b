"""Words for people, written once: triggers, their options, rule operators and matches,
statuses, frequencies, SLA targets.

Every page (the builder, the list, the test run), the outline, the admin and the
timeline read their words here; the engine keeps the machine names (API.md's format).
Pure Python: no Django, so the engine's plain-data code may use it too.
"""

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

OPERATOR_WORDS = {
    "is": "is",
    "is_not": "is not",
    "contains": "contains",
    "not_contains": "does not contain",
    "starts_with": "starts with",
    "ends_with": "ends with",
    "in": "is any of",
    "not_in": "is none of",
    "gt": "greater than",
    "gte": "at least",
    "lt": "less than",
    "lte": "at most",
    "is_set": "is set",
    "is_unknown": "is unknown",
    "before": "before",
    "after": "after",
    "more_than_days_ago": "more than N days ago",
    "less_than_days_ago": "less than N days ago",
}
MATCH_WORDS = {"all": "all of", "any": "any of"}
STATUS_WORDS = {"draft": "Draft", "live": "Live", "paused": "Paused"}
FREQUENCY_WORDS = {"once": "once", "every_time": "every time"}
# Attributes keep their document names on every page (`contact.plan`): the builder
# suggests them as typed (workflows.forms.ATTRIBUTE_SUGGESTIONS, from the engine's list).
SLA_TARGET_WORDS = {
    "first_reply": "First reply",
    "next_reply": "Next reply",
    "time_to_close": "Close",
}


def trigger_label(trigger) -> str:
    return TRIGGER_LABELS.get(trigger, str(trigger))


def operator_words(operator) -> str:
    return OPERATOR_WORDS.get(operator, str(operator))


def trigger_options_words(trigger, options: dict) -> str:
    """`{"state": "closed"}` → "to closed"; `{"after": "30m"}` → "for 30m"; {} → ""."""
    options = options if isinstance(options, dict) else {}
    parts = []
    if options.get("state"):
        parts.append(f"to {STATE_OPTION_WORDS.get(options['state'], options['state'])}")
    if options.get("after"):
        parts.append(f"for {options['after']}")
    return " ".join(parts)


def rule_words(attribute, operator, value_text: str = "") -> str:
    """One rule as the outline and the test run say it: `contact.plan is any of pro, team`."""
    return f"{attribute} {operator_words(operator)} {value_text}".strip()
