"""Replay: what a workflow — or a draft document of it — would have done over the past
N days (API.md "Versions, replay and lint"). The imperative shell: it reads the kept
snapshots (models.ReplaySnapshot) and the runs that really happened, hands plain data
to the judgement (workflows/engine/replay.py, which calls the planner), and describes the
steps with the dry run's walk (workflows/dry_run.py). Reads only: nothing is written to
conversations, no run starts.

Over more than REPLAY_SYNC_EVENTS events the API hands the work to the
`workflows.replay_workflow` task (a ReplayJob row holds its progress and result).
"""

import re
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from workflows import log_words, vocabulary
from workflows.catalog import current_catalog
from workflows.dry_run import _Describer
from workflows.engine import replay as judgement
from workflows.engine.definitions import compile_definition
from workflows.engine.planner import EventInfo
from workflows.engine.snapshot import facts_from_snapshot
from workflows.models import ReplaySnapshot, Workflow, WorkflowRun
from workflows.services import references_from_db

# Rows (one per event judged) in an answer at most: the counts cover every event.
MAX_ROWS = 200
# Events read from the database at a time (and between two progress reports).
CHUNK = 2000
SINCE_PATTERN = re.compile(r"^([1-9][0-9]{0,3})d$")


def parse_since(value) -> int:
    """The number of days of "7d", from 1 to REPLAY_RETENTION_DAYS; ValueError else."""
    days = settings.REPLAY_RETENTION_DAYS
    found = SINCE_PATTERN.match(value.strip()) if isinstance(value, str) else None
    if found is None or not 1 <= int(found.group(1)) <= days:
        raise ValueError(vocabulary.REPLAY_SINCE_PROBLEM.format(days=days))
    return int(found.group(1))


def compiled_for(workflow: Workflow, document: dict | None):
    """The workflow to replay: the document given (validated like a save: raises
    DefinitionError naming each place), else the stored one."""
    if document is None:
        compiled = current_catalog().by_id.get(workflow.pk)
        if compiled is not None:
            return compiled
        document = workflow.document()
    return compile_definition(
        document,
        references_from_db(exclude_workflow_id=workflow.pk),
        workflow_id=workflow.pk,
        priority=workflow.priority,
    )


def snapshots_of(trigger: str, since):
    return ReplaySnapshot.objects.filter(created_at__gte=since, triggers__contains=f",{trigger},")


def count_events(workflow: Workflow, compiled, days: int) -> int:
    """The kept events of the trigger(s) a replay reads (the async threshold)."""
    since = timezone.now() - timedelta(days=days)
    triggers = {compiled.trigger}
    if workflow.status == Workflow.Status.LIVE:
        triggers.add(workflow.trigger)
    return sum(snapshots_of(trigger, since).count() for trigger in triggers)


def past_events(workflow_id: int, trigger: str, since, on_chunk=None):
    """The kept events of a trigger since `since`, as the judgement's plain data, in
    event order; `on_chunk(done)` after each CHUNK read."""
    snapshots = snapshots_of(trigger, since)
    rows = list(
        snapshots.order_by("event_id").values_list(
            "event_id",
            "event__conversation_id",
            "event__event_type",
            "event__actor_type",
            "event__actor_id",
            "event__actor_name",
            "event__depth",
            "event__payload",
            "event__created_at",
            "facts",
            "active_customer_facing",
        )
    )
    examined = {row[0] for row in rows}
    # Frequency: the earliest event outside the replay a run of this workflow started on
    # (0: an event no longer kept).
    earliest_outside = {}
    for conversation, event in WorkflowRun.objects.filter(
        workflow_id=workflow_id, conversation_id__in=snapshots.values("event__conversation_id")
    ).values_list("conversation_id", "event_id"):
        if event is None or event not in examined:
            mark = event or 0
            earliest_outside[conversation] = min(earliest_outside.get(conversation, mark), mark)
    # §6.3: the customer-facing runs of other workflows that started on these events.
    facing = defaultdict(list)
    for event, other in (
        WorkflowRun.objects.filter(
            is_customer_facing=True, event_id__in=snapshots.values("event_id")
        )
        .exclude(workflow_id=workflow_id)
        .values_list("event_id", "workflow_id")
    ):
        facing[event].append(other)
    other_ids = {pk for found in facing.values() for pk in found}
    names_needed = other_ids | {row[10] for row in rows if row[10] is not None}
    workflows = {
        pk: (name, trigger_, priority)
        for pk, name, trigger_, priority in Workflow.all_objects.filter(
            pk__in=names_needed
        ).values_list("pk", "name", "trigger", "priority")
    }
    for number, row in enumerate(rows, start=1):
        (event_id, conversation, kind, actor, actor_id, actor_name, depth, payload, at) = row[:9]
        active = row[10]
        outside = earliest_outside.get(conversation)
        yield judgement.PastEvent(
            conversation=conversation,
            event=EventInfo(event_id, kind, actor, actor_id, actor_name, depth, payload, at),
            facts=facts_from_snapshot(row[9]),
            active_customer_facing=workflows.get(active, (f"workflow {active}",))[0]
            if active is not None
            else None,
            ran_before=outside is not None and outside < event_id,
            facing_started=tuple(
                judgement.OtherStart(pk, *workflows[pk])
                for pk in facing.get(event_id, ())
                if pk in workflows
            ),
        )
        if on_chunk is not None and number % CHUNK == 0:
            on_chunk(number)


def judge_over(events, compiled):
    """The judgements of the events that fire the compiled workflow's trigger, and each
    event's facts (for the steps of the rows shown)."""
    judge = judgement.Judge(compiled)
    judged, facts = [], {}
    for past in events:
        found = judge.one(past)
        if found is not None:
            judged.append(found)
            facts[found.event] = past.facts
    return judged, facts


def replay(workflow: Workflow, *, days: int, document: dict | None = None, progress=None):
    """The answer of POST /api/workflows/{id}/replay/. `progress(done)` is told the
    number of events read so far."""
    compiled = compiled_for(workflow, document)
    since = timezone.now() - timedelta(days=days)
    events = list(past_events(workflow.pk, compiled.trigger, since, progress))
    judged, facts = judge_over(events, compiled)
    compare = document is not None and workflow.status == Workflow.Status.LIVE
    live_judged, live_facts = [], {}
    if compare:
        live = compiled_for(workflow, None)
        if live.trigger != compiled.trigger:
            events = list(past_events(workflow.pk, live.trigger, since))
        live_judged, live_facts = judge_over(events, live)
    steps_cache = {}
    catalog = current_catalog()

    def steps(workflow_compiled, judged_one, facts_of) -> list:
        if judged_one is None or not judged_one.would_start:
            return []
        key = (id(workflow_compiled), judged_one.event)
        if key not in steps_cache:
            describer = _Describer(facts_of[judged_one.event], catalog)
            steps_cache[key] = describer.path(workflow_compiled, workflow_compiled.steps, "steps")
        return steps_cache[key]

    starting = sum(1 for j in judged if j.would_start)
    answer = {
        "events_examined": len(judged),
        "would_start": starting,
        "would_skip": len(judged) - starting,
        "conversations": [
            {**row(j), "steps": steps(compiled, j, facts)} for j in judged[:MAX_ROWS]
        ],
        "truncated": len(judged) > MAX_ROWS,
        "since_days": days,
        "trigger": compiled.trigger,
        "message": ""
        if judged
        else vocabulary.REPLAY_NO_SNAPSHOTS.format(days=settings.REPLAY_RETENTION_DAYS),
        "compared_with_live": None,
    }
    if compare:
        answer["compared_with_live"] = compared(
            judgement.paired(judged, live_judged),
            lambda j: steps(compiled, j, facts),
            lambda j: steps(live, j, live_facts),
            live_would_start=sum(1 for j in live_judged if j.would_start),
        )
    return answer


def row(judged: judgement.Judgement) -> dict:
    return {
        "conversation": judged.conversation,
        "event": judged.event,
        "would_start": judged.would_start,
        "reason": log_words.replay_reason(judged.reason),
        "reason_record": judged.reason,
    }


def compared(pairs, draft_steps, live_steps, *, live_would_start: int) -> dict:
    """Where the draft and the live version differ: would start vs not, or both start
    with different steps."""
    differences = []
    for event, draft, live in pairs:
        kind = None
        if judgement.starts(draft) != judgement.starts(live):
            kind = "draft_starts" if judgement.starts(draft) else "live_starts"
        elif judgement.starts(draft) and judgement.step_outline(
            draft_steps(draft)
        ) != judgement.step_outline(live_steps(live)):
            kind = "steps"
        if kind is None:
            continue
        either = draft or live
        differences.append(
            {
                "conversation": either.conversation,
                "event": event,
                "difference": kind,
                "words": {
                    "draft_starts": vocabulary.REPLAY_DIFFERS_START,
                    "live_starts": vocabulary.REPLAY_DIFFERS_SKIP,
                    "steps": vocabulary.REPLAY_DIFFERS_STEPS,
                }[kind],
                "draft": {**row(draft), "steps": draft_steps(draft)} if draft else None,
                "live": {**row(live), "steps": live_steps(live)} if live else None,
            }
        )
        if len(differences) >= MAX_ROWS:
            break
    return {
        "live_would_start": live_would_start,
        "differences": differences,
        "truncated": len(differences) >= MAX_ROWS,
    }
