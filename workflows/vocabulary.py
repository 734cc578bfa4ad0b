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
# Attribute words: ATTRIBUTE_WORDS below (the builder's picker).
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


# --- Builder: attribute picker, value widgets and error words (added for issue 13) -----
# The engine declares each attribute's type (workflows.engine.rules.ATTRIBUTE_TYPES);
# these are the words for them. The picker's group is the name's first part.
ATTRIBUTE_GROUP_WORDS = {
    "contact": "Contact",
    "company": "Company",
    "conversation": "Conversation",
    "message": "Message",
    "time": "Time",
}
ATTRIBUTE_WORDS = {
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
    "conversation.state": "State",
    "conversation.assignee": "Assigned teammate",
    "conversation.team": "Assigned team",
    "conversation.tags": "Tags",
    "conversation.priority": "Priority",
    "conversation.channel": "Channel",
    "conversation.in_bot_inbox": "In the bot inbox",
    "conversation.created_at": "Started",
    "message.body": "Message text",
    "message.author_type": "Message author",
    "time.office_hours": "Within office hours",
    "time.weekday": "Day of the week",
}
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
    "date": "a date",
    "bool": "yes or no",
    "weekday": "a day of the week",
    "list": "one or more values",
    "text": "filled in",
}
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


def attribute_label(attribute) -> str:
    """`contact.monthly_spend` → "Monthly spend"; a custom one → its key, as typed."""
    attribute = str(attribute or "")
    if attribute in ATTRIBUTE_WORDS:
        return ATTRIBUTE_WORDS[attribute]
    group, _, rest = attribute.partition(".")
    if rest.startswith("custom.") and group in ATTRIBUTE_GROUP_WORDS:
        return f"{ATTRIBUTE_GROUP_WORDS[group]} {rest[len('custom.') :]}"
    return attribute


def value_problem_words(attribute, value_kind) -> str:
    """A rule's value that does not fit: "Monthly spend must be a number"."""
    expected = VALUE_KIND_WORDS.get(value_kind, VALUE_KIND_WORDS["text"])
    return f"{attribute_label(attribute) or 'The value'} must be {expected}"
