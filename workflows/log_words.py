"""The engine's log records in words: the one place that writes them.

A record is a `WorkflowLog.kind` and its `details` (plain JSON, see
`workflows/engine/planner.py`). `words(kind, details)` fills `WorkflowLog.message` when
a log is saved; `timeline_words` is the sentence the inbox timeline shows. Step logs
the executor writes carry their own words (`details={"type": ...}`): for those, and for
rows saved before records existed, `words` returns None and callers show the message.
"""

from workflows import vocabulary
from workflows.vocabulary import STATE_OPTION_WORDS

# Workflows named in the message of a "targeting did not match" line.
NOT_MATCHED_NAMED = 5

CAUSE_WORDS = {
    "teammate_replied": "{who} replied",
    "assigned": "{who} assigned the conversation",
    "unassigned": "{who} unassigned the conversation",
}


def failure_words(failure: dict) -> str:
    """'Plan is "Pro" — actual value "Free"' (the vocabulary's words)."""
    return vocabulary.failure_words(
        failure["attribute"],
        failure["operator"],
        failure.get("expected_shown") or "",
        failure["actual_shown"],
        failure.get("note") or "",
    )


def targeting_words(failures: list) -> str:
    return "targeting rule did not match: " + "; ".join(failure_words(f) for f in failures)


def skip_reason(details: dict, *, now: bool = False) -> str:
    """Why a workflow did not start: 'it runs once per conversation and …'. With `now`,
    as the dry run says it of the conversation as it is ("is active")."""
    rule = details.get("rule", "targeting")
    if rule == "frequency":
        return vocabulary.RAN_ONCE_ALREADY
    if rule == "customer_facing":
        if details.get("other_started"):
            return f'lower priority than "{details["other"]}", which started'
        tense = "is" if now else "was"
        return f'another customer-facing workflow, "{details["other"]}", {tense} active'
    return targeting_words(details.get("failures", []))


def cause_words(details: dict) -> str:
    """Why a run was interrupted: 'Ben replied', 'targeting no longer matches: …'."""
    cause = details.get("cause")
    if cause == "no_longer_matches":
        return "targeting no longer matches: " + "; ".join(
            failure_words(f) for f in details.get("failures", [])
        )
    if cause == "workflow_archived":
        return f'the workflow "{details.get("name", "")}" was archived'
    who = details.get("actor") or "a teammate"
    if cause == "state_changed":
        return f"{who} {STATE_OPTION_WORDS.get(details.get('state'), 'changed')} the conversation"
    return CAUSE_WORDS[cause].format(who=who)


def resume_words(details: dict) -> str:
    why = details["why"]
    if why == "button":
        return f'The customer chose "{details["label"]}"'
    if why == "answer":
        return f"The customer gave {vocabulary.collected_words(details['attribute'])}"
    if why == "reply":
        who = "The customer" if details.get("side") == "customer" else "A teammate"
        return f"{who} replied before the wait ended"
    if why == "unsnoozed":
        return "The conversation unsnoozed"
    return "The wait ended"


def deferred_words(details: dict) -> str:
    target = details["target"]
    outcome = details["outcome"]
    if outcome == "applied":
        return f"Deferred assignment to {target} applied now the bot has finished"
    if outcome == "dropped_by_teammate":
        return f"Deferred assignment to {target} dropped: a teammate assigned the conversation"
    return f"Deferred assignment to {target} dropped: {details.get('error', '')}"


def not_matched_words(details: dict) -> str:
    listed = details.get("workflows", [])
    total = details.get("count", len(listed))
    if total == 1 and len(listed) == 1:
        return "Did not start: " + targeting_words(listed[0].get("failures", []))
    names = ", ".join(f'"{entry["name"]}"' for entry in listed[:NOT_MATCHED_NAMED])
    more = total - min(len(listed), NOT_MATCHED_NAMED)
    return f"Targeting did not match for {total} workflows: {names}" + (
        f" and {more} more" if more > 0 else ""
    )


def words(kind: str, details: dict) -> str | None:
    """The message of an engine record, or None when `details` is not one."""
    details = details if isinstance(details, dict) else {}
    try:
        if kind == "started" and "trigger" in details:
            return f"Started (trigger: {vocabulary.trigger_label(details['trigger'])})"
        if kind == "skipped" and "rule" in details:
            return "Did not start: " + skip_reason(details)
        listed = details.get("workflows")
        if (
            kind == "not_matched"
            and isinstance(listed, list)
            and all(isinstance(entry, dict) and "failures" in entry for entry in listed)
        ):
            return not_matched_words(details)
        if kind == "chain_cut" and "depth" in details:
            return (
                f"No workflow started: {details['depth']} workflow changes in a row "
                f"(the limit is {details['limit']})"
            )
        if kind == "interrupted" and "cause" in details:
            return "Interrupted: " + cause_words(details)
        if kind == "resumed" and "why" in details:
            return resume_words(details)
        if kind == "completed":
            return "Completed"
        if kind == "failed" and "error" in details:
            return f"Failed: {details['error']}"
        if kind == "waiting" and details.get("cause") == "answer_refused":
            return f"The answer was refused ({details['error']}); asked again"
        if kind == "deferred_applied" and "outcome" in details:
            return deferred_words(details)
    except (KeyError, TypeError, AttributeError):
        return None
    return None


def skip_entry_reason(entry: dict) -> str:
    """Why one workflow listed in a not_matched line did not start."""
    return targeting_words(entry.get("failures", []))


def timeline_words(kind: str, details: dict, workflow_name: str | None, message: str) -> str:
    """A workflow decision as the timeline says it: 'Workflow "B" did not start: …'."""
    name = f'Workflow "{workflow_name}"' if workflow_name else "Workflows"
    details = details if isinstance(details, dict) else {}
    said = words(kind, details)
    if kind == "started":
        return f"{name} started"
    if kind == "completed":
        return f"{name} finished"
    if said is None:
        return _said_before_records(kind, name, message)
    if kind == "skipped":
        return f"{name} did not start: {skip_reason(details)}"
    if kind == "not_matched":
        listed = details.get("workflows", [])
        if details.get("count") == 1 and len(listed) == 1:
            return f"{name} did not start: {skip_entry_reason(listed[0])}"
        return said
    if kind == "interrupted":
        return f"{name} was interrupted: {cause_words(details)}"
    if kind == "failed":
        return f"{name} failed: {details['error']}"
    if kind == "chain_cut":
        return said
    return f"{name}: {said}"


# How the timeline said a log saved before records (its message only), as it did then.
_OLD_PREFIXES = {
    "skipped": ("Did not start: ", "did not start: "),
    "not_matched": ("Did not start: ", "did not start: "),
    "interrupted": ("Interrupted: ", "was interrupted: "),
    "failed": ("Failed: ", "failed: "),
}


def _said_before_records(kind: str, name: str, message: str) -> str:
    prefix, verb = _OLD_PREFIXES.get(kind, ("", ""))
    if prefix and message.startswith(prefix):
        return f"{name} {verb}{message[len(prefix) :]}"
    if kind in ("skipped", "not_matched", "chain_cut"):
        return message
    if kind in ("interrupted", "failed"):
        return f"{name} {verb}{message}"
    return f"{name}: {message}"
