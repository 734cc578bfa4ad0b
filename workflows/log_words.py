"""The engine's log records in words: the one place that writes them.

A record is a `WorkflowLog.kind` and its `details` (plain JSON, see
`workflows/engine/planner.py`). `words(kind, details)` fills `WorkflowLog.message` when
a log is saved; `timeline_words` is the sentence the inbox timeline shows. Step logs
the executor writes carry their own words (`details={"type": ...}`): for those, and for
rows saved before records existed, `words` returns None and callers show the message.
"""

from workflows import vocabulary
from workflows.vocabulary import REPLY_KIND_WORDS, STATE_OPTION_WORDS

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


def replay_reason(record: dict) -> str:
    """Why a replay says a workflow would or would not have started on a past event
    (workflows/engine/replay.py's reason records)."""
    rule = record.get("rule")
    if rule == "started":
        return vocabulary.WOULD_START_BECAUSE
    if rule == "chain_cut":
        return vocabulary.REPLAY_CHAIN_CUT.format(depth=record["depth"], limit=record["limit"])
    return skip_reason(record)


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
    if why == "http_response":
        return http_answer_words(details)
    return "The wait ended"


def http_answer_words(details: dict) -> str:
    """'POST https://crm.example/x answered 200 in 35 ms; saved conversation.custom.plan'
    or '… failed (No answer within 10 s) after 10003 ms: the on-failure steps run'."""
    call = f"{details.get('method', '')} {details.get('url', '')}".strip() or "The HTTP request"
    took = details.get("duration_ms")
    took = f" in {took} ms" if isinstance(took, int) else ""
    if not details.get("ok"):
        return (
            f"{call} failed ({details.get('error') or 'no answer'}){took}: the on-failure steps run"
        )
    said = f"{call} answered {details.get('status_code')}{took}"
    if details.get("saved"):
        said += "; saved " + ", ".join(details["saved"])
    if details.get("missing"):
        said += "; not in the answer: " + ", ".join(details["missing"])
    if details.get("refused"):
        said += "; refused: " + "; ".join(f"{k} ({v})" for k, v in details["refused"].items())
    return said


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
        if kind == "waiting" and details.get("cause") == "http_request":
            return vocabulary.http_waiting_words(details["method"], details["url"])
        if kind == "waiting" and details.get("cause") == "http_requeued":
            return "No answer was recorded in time: the HTTP request is sent again"
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


# --- the inbox timeline: one line per run, one per group of skips -------------------------
#
# A run's records of one go (from its start or a resume to its end or wait) make one line:
# its name and what it changed, from the records' data (`details`), never from their
# messages; expanded, each record in order. The workflows that did not start on one event
# make one line; expanded, each with its reason.

# What a step did, said after the workflow's name ("Route: tagged VIP, …").
DONE_WORDS = {
    "add_tag": "tagged {tag}",
    "remove_tag": "removed the tag {tag}",
    "assign": "assigned to {target}",
    "unassign": "unassigned the conversation",
    "close": "closed the conversation",
    "reopen": "reopened the conversation",
    "snooze": "snoozed until {until}",
    "set_priority": "marked as priority",
    "unset_priority": "removed priority",
    "apply_sla": "applied the SLA {sla}",
    "set_data": "set {key} to {value}",
    "add_note": "added a note",
    "send_message": "sent a message",
    "reply_buttons": "asked the customer to choose: {labels}",
    "collect_data": "asked the customer for {attribute}",
    "handover": "handed over to {target}",
    "handover_inbox": "handed over to the inbox",
    "run_workflow": "continued in {workflow}",
}
# What a step found already done: it changed nothing.
ALREADY_WORDS = {
    "add_tag": "already tagged {tag}",
    "remove_tag": "no tag {tag} to remove",
    "assign": "already assigned to {target}",
    "unassign": "already unassigned",
    "close": "already closed",
    "reopen": "already open",
    "set_priority": "already marked as priority",
    "unset_priority": "already without priority",
    "apply_sla": "the SLA {sla} already applied",
    "set_data": "{key} already {value}",
    "handover": "already with {target}",
    "handover_inbox": "already out of the bot inbox",
}
NOTHING_CHANGED = "changed nothing"
RAN_CHANGED_NOTHING = "ran, changed nothing"
HELD_WORDS = "assignment to {target} held until the bot finished"
HELD_STEP_WORDS = "Assignment to {target} held until the bot finishes"
WAIT_WORDS = "waiting until {until}"
WAIT_OR_WORDS = " or until {who}"
STARTED_STEP_WORDS = "Started: {trigger}"
FINISHED_STEP_WORDS = "Finished"
BRANCH_WORDS = "Branch {number} matched"
ELSE_WORDS = "No branch matched: took the else path"
ENTRIES_WORDS = "Apply rules: entries matched: {entries}"
NO_ENTRY = "none"
DID_NOT_START_ONE = 'Workflow "{name}" did not start'
DID_NOT_START_MANY = "{count} workflows did not start"
SKIP_ENTRY_WORDS = "{name}: {reason}"
NOT_LISTED_WORDS = "{count} more whose targeting did not match"
FAILURE_WORDS = "{rule} — was {actual}"
FAILURE_NOTE = " ({note})"
RULES_JOINER = "; "
EFFECTS_JOINER = ", "
RUN_LINE = "{name}: {summary}"
# A run's line names the version it ran on once there is more than one: a plain name is
# the first version (and records from before versions).
VERSIONED_NAME = "{name} (version {version})"
A_WORKFLOW = "A workflow"
YES, NO, UNKNOWN, NOTHING = "yes", "no", "unknown", "nothing"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower(text: str) -> str:
    """A sentence continued after a comma: 'The customer chose …' → 'the customer …'."""
    return text[:1].lower() + text[1:]


def moment_words(value) -> str:
    """A moment in a record (ISO text) as the inbox says it: 'tomorrow 09:00'."""
    from conversations import human_dates

    return human_dates.moment_words(value)


def value_words(value) -> str:
    """A rule's expected or actual value (JSON) as a sentence says it."""
    from conversations import human_dates

    if value is None or value == "":
        return UNKNOWN
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, list):
        return EFFECTS_JOINER.join(value_words(item) for item in value) if value else NOTHING
    if isinstance(value, str) and len(value) >= 10 and value[:4].isdigit() and value[4] == "-":
        # A date or a moment, as the facts hold them (ISO text).
        moment = human_dates.parse_moment(value)
        if moment is not None and len(value) == 10:
            return human_dates.exact_words(moment.date())
        if moment is not None:
            return human_dates.exact_words(moment)
    return str(value)


def target_words(details: dict) -> str:
    """'Ben in Support', 'Support', 'Ben'."""
    return " in ".join(str(n) for n in (details.get("assignee"), details.get("team")) if n)


def rule_failure_words(failure: dict) -> str:
    """A failing targeting rule and what the conversation had: 'Plan is Pro — was Free'."""
    from workflows import vocabulary

    expected = "" if failure.get("expected") is None else value_words(failure["expected"])
    rule = vocabulary.rule_words(failure.get("attribute"), failure.get("operator"), expected)
    said = FAILURE_WORDS.format(rule=rule, actual=value_words(failure.get("actual")))
    return said + (FAILURE_NOTE.format(note=failure["note"]) if failure.get("note") else "")


def skip_entry_words(name: str, details: dict) -> str:
    """One workflow that did not start, with its reason: '"Pro routing": Plan is Pro — was
    Free'."""
    if details.get("rule", "targeting") == "targeting":
        reason = RULES_JOINER.join(rule_failure_words(f) for f in details.get("failures", []))
    else:
        reason = skip_reason(details)
    return SKIP_ENTRY_WORDS.format(name=f'"{name}"', reason=reason)


def skipped_line(count: int, names: list) -> str:
    """'3 workflows did not start'; one: 'Workflow "B" did not start'."""
    if count == 1 and len(names) == 1:
        return DID_NOT_START_ONE.format(name=names[0])
    return DID_NOT_START_MANY.format(count=count)


def not_listed_words(count: int) -> str:
    return NOT_LISTED_WORDS.format(count=count)


def _step_key(details: dict) -> str:
    kind = details.get("type", "")
    if kind == "set_priority" and not details.get("priority"):
        return "unset_priority"
    if kind == "handover" and not target_words(details):
        return "handover_inbox"
    return kind


def _step_values(details: dict) -> dict:
    values = {key: "" if value is None else value for key, value in details.items()}
    values["target"] = target_words(details)
    if details.get("until"):
        values["until"] = moment_words(details["until"])
    if "labels" in details:
        values["labels"] = EFFECTS_JOINER.join(str(label) for label in details["labels"])
    if "value" in details:
        values["value"] = value_words(details["value"])
    return values


def step_words(details: dict) -> tuple[str, bool] | None:
    """What a step record says (`details` with its type and `changed`), and whether it
    changed the conversation; None for a record without that data (say its message)."""
    key = _step_key(details)
    if key not in DONE_WORDS or ("changed" not in details and key != "run_workflow"):
        return None
    values = _step_values(details)
    try:
        if details.get("changed", False) or key == "run_workflow":
            return DONE_WORDS[key].format(**values), key != "run_workflow"
        if key in ALREADY_WORDS:
            return ALREADY_WORDS[key].format(**values), False
        return f"{DONE_WORDS[key].format(**values)}: {NOTHING_CHANGED}", False
    except (KeyError, IndexError, ValueError):
        return None


def wait_words(details: dict) -> str:
    said = WAIT_WORDS.format(until=moment_words(details.get("until")))
    reply = details.get("until_reply")
    if reply:
        who = REPLY_KIND_WORDS.get(reply, REPLY_KIND_WORDS["any"])
        said += WAIT_OR_WORDS.format(who=who)
    return said


class RunLine:
    """One go of a run in words: `text` (with the workflow's name), `summary` (without),
    `steps` (each record, in order) and whether it `changed` anything."""

    def __init__(self, name: str, summary: str, steps: list[str], changed: bool):
        self.name, self.summary, self.steps, self.changed = name, summary, steps, changed
        self.text = RUN_LINE.format(name=name, summary=summary)


def record_words(kind: str, details: dict, message: str) -> tuple[str | None, str, bool]:
    """One record of a run: (what the line's summary says of it, or None; what its step
    says; whether it changed the conversation)."""
    details = details if isinstance(details, dict) else {}
    if kind == "started":
        from workflows.vocabulary import trigger_label

        trigger = details.get("trigger")
        said = STARTED_STEP_WORDS.format(trigger=trigger_label(trigger)) if trigger else message
        return None, said, False
    if kind == "completed":
        return None, FINISHED_STEP_WORDS, False
    if kind == "step":
        done = step_words(details)
        if done is None:  # a record without data: its message, as written
            return _lower(message), message, True
        said, changed = done
        return (said if changed else None), _sentence(said), changed
    if kind == "branch":
        if details.get("branch") == "else":
            return None, ELSE_WORDS, False
        if isinstance(details.get("branch"), int):
            return None, BRANCH_WORDS.format(number=details["branch"] + 1), False
        if isinstance(details.get("matched"), list):
            entries = EFFECTS_JOINER.join(str(n + 1) for n in details["matched"]) or NO_ENTRY
            return None, ENTRIES_WORDS.format(entries=entries), False
        return None, message, False
    if kind == "deferred":
        if "assignee" in details or "team" in details:
            target = target_words(details)
            return HELD_WORDS.format(target=target), HELD_STEP_WORDS.format(target=target), True
        return _lower(message), message, True
    if kind == "waiting" and details.get("cause") == "wait":
        said = wait_words(details)
        return said, _sentence(said), False
    said = words(kind, details) or message
    if kind == "deferred_applied":
        return _lower(said), said, details.get("outcome") == "applied"
    return _lower(said), said, False


def run_line(name: str | None, records: list) -> RunLine:
    """One go of a run, from its records `(kind, details, message)` in order: 'Route Pro
    customers: tagged VIP, assignment to Support held until the bot finished'; a go that
    changed nothing says so ('ran, changed nothing')."""
    effects, steps, changed = [], [], False
    for kind, details, message in records:
        summary, step, did = record_words(kind, details, message)
        if summary:
            effects.append(summary)
        steps.append(step)
        changed = changed or did
    kinds = {kind for kind, _, _ in records}
    version = next(
        (
            details["version"]
            for kind, details, _ in records
            if kind in ("started", "resumed")
            and isinstance(details, dict)
            and isinstance(details.get("version"), int)
        ),
        None,
    )
    if name and version is not None and version > 1:
        name = VERSIONED_NAME.format(name=name, version=version)
    if not changed and "completed" in kinds:
        # Said first when the run did nothing else; after what woke it otherwise.
        effects = [RAN_CHANGED_NOTHING] if "started" in kinds else [*effects, NOTHING_CHANGED]
    summary = EFFECTS_JOINER.join(effects) or RAN_CHANGED_NOTHING
    return RunLine(name or A_WORKFLOW, summary, steps, changed)
