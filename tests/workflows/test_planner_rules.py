"""DESIGN.md §6, one rule at a time, against the pure planner: plain data in, a plan out.

No database: workflows are compiled from documents, the conversation is a facts
mapping, runs are RunViews. The database tests (test_orchestration_rules.py) check the
same rules end to end through the processor.
"""

from datetime import UTC, datetime, timedelta

from workflows.catalog import Catalog
from workflows.engine import executor
from workflows.engine.definitions import References, compile_definition
from workflows.engine.executor import FakePort, RunState
from workflows.engine.index import TriggerIndex
from workflows.engine.planner import (
    CUSTOMER_FACING,
    FREQUENCY,
    MAX_WORKFLOW_CHAIN_DEPTH,
    TARGETING,
    WAITING,
    ChainCut,
    ConversationState,
    EventInfo,
    Interrupt,
    NotMatched,
    Resume,
    RunView,
    SetTimer,
    Skip,
    Start,
    plan,
    resume_or_end,
    wait_ended,
)
from workflows.log_words import timeline_words, words

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
TAG = [{"type": "add_tag", "tag": "x"}]
TALK = [{"type": "send_message", "body": "Hi"}]
PRO = {"match": "all", "rules": [{"attribute": "contact.plan", "operator": "is", "value": "Pro"}]}


def workflow(id, name, trigger="customer_any_message", steps=TAG, **fields):
    document = {"name": name, "status": "live", "trigger": trigger, "steps": steps, **fields}
    return compile_definition(
        document, References(lenient=True), workflow_id=id, priority=fields.get("priority", id)
    )


def catalog(*workflows):
    built = Catalog(version=1, by_id={w.id: w for w in workflows})
    for compiled in sorted(workflows, key=lambda w: (w.priority, w.id)):
        if compiled.status == "live" and compiled.trigger != "reusable":
            built.live_by_trigger.setdefault(compiled.trigger, []).append(compiled)
    built.indexes = {t: TriggerIndex.build(ws) for t, ws in built.live_by_trigger.items()}
    return built


def facts(**values):
    base = {
        "contact.plan": "Free",
        "conversation.state": "open",
        "conversation.tags": set(),
        "conversation.in_bot_inbox": False,
        "message.body": None,
        "time.now": NOW,
    }
    base.update({key.replace("__", "."): value for key, value in values.items()})
    return base


def message(body="Hi", *, first=False, id=10, actor="contact", depth=0):
    return EventInfo(
        id, "customer_message", actor, depth=depth, payload={"body": body, "first": first},
        created_at=NOW,
    )  # fmt: skip


def teammate(kind, id=20, name="Ben", **payload):
    return EventInfo(id, kind, "teammate", 7, name, payload=payload, created_at=NOW)


def facing_run(workflow_id, id=1, **fields):
    return RunView(id, workflow_id, True, **fields)


def planned(event, *workflows, runs=(), ran_before=(), **fact_values):
    state = ConversationState(facts(**fact_values), list(runs), ran_before=frozenset(ran_before))
    return plan(state, event, catalog(*workflows), NOW)


def started(result):
    return [effect.workflow.name for effect in result.of(Start)]


# --- §6.1 candidates -------------------------------------------------------------------


def test_rule_1_only_live_workflows_of_the_events_trigger_are_candidates():
    result = planned(
        message(),
        workflow(1, "Any message"),
        workflow(2, "Teammate replies", trigger="teammate_replied"),
        workflow(3, "Paused", status="paused"),
    )
    assert started(result) == ["Any message"]
    assert result.of(Skip, NotMatched) == []


def test_rule_1_targeting_is_read_as_the_conversation_is_and_its_failure_is_recorded():
    result = planned(message(), workflow(1, "Pro only", audience=PRO), contact__plan="Free")

    assert started(result) == []
    [line] = result.of(NotMatched)
    assert line.total == 1
    assert line.details["workflows"][0]["failures"] == [
        {
            "place": "audience.rules[0]",
            "attribute": "contact.plan",
            "operator": "is",
            "expected": "Pro",
            "actual": "Free",
            "expected_shown": '"Pro"',
            "actual_shown": '"Free"',
            "note": "",
        }
    ]
    assert words(line.log_kind, line.details) == (
        'Did not start: targeting rule did not match: Plan is "Pro" — actual value "Free"'
    )


def test_rule_1_frequency_once_holds_back_a_workflow_that_ran_before():
    once = workflow(1, "Once")
    again = workflow(2, "Every time", frequency="every_time")

    result = planned(message(), once, again, ran_before={1, 2})

    assert started(result) == ["Every time"]
    [skip] = result.of(Skip)
    assert (skip.workflow.name, skip.kind) == ("Once", FREQUENCY)
    assert words("skipped", skip.details) == (
        "Did not start: it runs once per conversation and already ran on this one"
    )


def test_rule_1_a_state_trigger_starts_only_on_its_state():
    closing = workflow(1, "On close", trigger="teammate_changed_state",
                       trigger_options={"state": "closed"})  # fmt: skip

    assert started(planned(teammate("state_changed", state="closed"), closing)) == ["On close"]
    assert started(planned(teammate("state_changed", state="snoozed"), closing)) == []


# --- §6.2 background -------------------------------------------------------------------


def test_rule_2_every_background_candidate_starts_in_priority_order():
    result = planned(message(), workflow(2, "Second"), workflow(1, "First"), workflow(3, "Third"))
    assert started(result) == ["First", "Second", "Third"]


def test_rule_2_background_runs_start_beside_an_active_customer_facing_run():
    talk = workflow(1, "Talk", steps=TALK)
    tag = workflow(2, "Tag")
    result = planned(message(), talk, tag, runs=[facing_run(1, status=WAITING)])
    assert started(result) == ["Tag"]


# --- §6.3 one customer-facing run ------------------------------------------------------


def test_rule_3_the_highest_priority_customer_facing_candidate_starts_the_others_are_skipped():
    result = planned(message(), workflow(1, "Greet", steps=TALK), workflow(2, "Ask", steps=TALK))

    assert started(result) == ["Greet"]
    [skip] = result.of(Skip)
    assert (skip.workflow.name, skip.kind, skip.other) == ("Ask", CUSTOMER_FACING, "Greet")
    assert words("skipped", skip.details) == (
        'Did not start: lower priority than "Greet", which started'
    )


def test_rule_3_no_customer_facing_workflow_starts_while_one_is_active():
    active = workflow(1, "Active", steps=TALK)
    result = planned(message(), active, workflow(2, "New", steps=TALK), runs=[facing_run(1)])

    assert started(result) == []
    assert [words("skipped", skip.details) for skip in result.of(Skip)] == [
        'Did not start: another customer-facing workflow, "Active", was active'
    ] * 2


# --- §6.4 interruption -----------------------------------------------------------------


def test_rule_4_a_teammate_reply_interrupts_the_active_customer_facing_run():
    talk = workflow(1, "Talk", steps=TALK)
    result = planned(teammate("teammate_replied"), talk, runs=[facing_run(1, id=41)])

    [interrupt] = result.of(Interrupt)
    assert interrupt.run_id == 41
    assert interrupt.drop_deferred is False
    assert words("interrupted", interrupt.details) == "Interrupted: Ben replied"


def test_rule_4_triggers_are_evaluated_before_the_interruption():
    snoozer = workflow(1, "A snoozes", steps=TALK)
    on_close = workflow(2, "B on close", trigger="teammate_changed_state", steps=TALK)

    result = planned(teammate("state_changed", state="closed"), snoozer, on_close,
                     runs=[facing_run(1, id=5, status=WAITING, waiting_for="unsnooze")])  # fmt: skip

    assert [type(effect) for effect in result.effects] == [Skip, Interrupt]
    assert result.of(Skip)[0].other == "A snoozes"
    assert words("interrupted", result.of(Interrupt)[0].details) == (
        "Interrupted: Ben closed the conversation"
    )


def test_rule_4_a_teammate_who_assigns_drops_the_held_back_assignments():
    result = planned(teammate("assigned"), workflow(1, "Talk", steps=TALK), runs=[facing_run(1)])
    assert result.of(Interrupt)[0].drop_deferred is True


def test_rule_4_a_workflows_own_change_interrupts_nothing():
    event = EventInfo(20, "assigned", "workflow", 9, "Router", depth=1)
    result = planned(event, workflow(1, "Talk", steps=TALK), runs=[facing_run(1)])
    assert result.of(Interrupt) == []


def test_rule_4_a_run_whose_targeting_no_longer_matches_ends_when_its_wait_ends():
    pro_talk = workflow(1, "Pro talk", steps=TALK, audience=PRO)
    run = facing_run(1, id=3, status=WAITING, waiting_for="timer", resume_at=NOW)

    resume = wait_ended(run)
    assert resume_or_end(resume, pro_talk, facts(contact__plan="Pro")) is resume
    ended = resume_or_end(resume, pro_talk, facts(contact__plan="Free"))

    assert isinstance(ended, Interrupt)
    assert words("interrupted", ended.details) == (
        'Interrupted: targeting no longer matches: Plan is "Pro" — actual value "Free"'
    )


# --- §6.5 deferred assignment ----------------------------------------------------------


def test_rule_5_a_background_assign_waits_while_the_bot_is_busy():
    router = workflow(1, "Router", steps=[{"type": "assign", "team": "Support"}])

    busy = FakePort(now=NOW, bot_busy=True)
    outcome = executor.advance(RunState.starting(router), {1: router}, busy)
    free = FakePort(now=NOW)
    executor.advance(RunState.starting(router), {1: router}, free)

    assert outcome.status == executor.COMPLETED
    assert [workflow_id for workflow_id, _ in busy.deferred] == [1]
    assert busy.performed == []
    assert [kind for kind, _, _ in busy.logs] == ["deferred"]
    assert [step for _, step, _ in free.performed] == ["assign"]


# --- §6.6 order ------------------------------------------------------------------------


def test_rule_6_decisions_come_first_then_interruption_resumes_and_starts_in_priority_order():
    first = workflow(1, "First message", trigger="customer_first_message")
    any_ = workflow(2, "Any message")
    asked = workflow(3, "Asks", steps=TALK)
    waiting = facing_run(3, id=8, status=WAITING, waiting_for="collect_data",
                         wait={"attribute": "email", "after_event": 1})  # fmt: skip

    result = planned(message("me@example.com", first=True), first, any_, asked, runs=[waiting])

    assert [type(effect) for effect in result.effects] == [Skip, Resume, Start, Start]
    assert started(result) == ["First message", "Any message"]
    [resume] = result.of(Resume)
    assert (resume.answer, resume.attribute) == ("me@example.com", "email")


# --- §6.7 no loops ---------------------------------------------------------------------


def test_rule_7_customer_triggers_do_not_fire_on_a_workflows_changes():
    result = planned(message(actor="workflow", depth=1), workflow(1, "Any message"))
    assert result.effects == []


def test_rule_7_a_chain_of_workflow_events_is_cut_at_a_fixed_depth_with_a_reason():
    router = workflow(1, "On assign", trigger="conversation_assigned")
    deep = EventInfo(30, "assigned", "workflow", 1, "W", depth=MAX_WORKFLOW_CHAIN_DEPTH)
    shallow = EventInfo(30, "assigned", "workflow", 1, "W", depth=MAX_WORKFLOW_CHAIN_DEPTH - 1)

    cut = planned(deep, router)
    assert cut.effects == [ChainCut(MAX_WORKFLOW_CHAIN_DEPTH)]
    assert words("chain_cut", cut.effects[0].details) == (
        "No workflow started: 3 workflow changes in a row (the limit is 3)"
    )
    assert started(planned(shallow, router)) == ["On assign"]


# --- §6.8 explanations -----------------------------------------------------------------


def test_rule_8_workflows_that_do_not_match_share_one_line_with_each_reason():
    plans = [workflow(n, f"{plan} only", audience={"match": "all", "rules": [
        {"attribute": "contact.plan", "operator": "is", "value": plan}]})
        for n, plan in enumerate(("Gold", "Silver", "Bronze"), 1)]  # fmt: skip

    [line] = planned(message(), *plans, contact__plan="Pro").of(NotMatched)

    assert line.total == 3 and line.workflow is None
    assert words("not_matched", line.details) == (
        'Targeting did not match for 3 workflows: "Gold only", "Silver only", "Bronze only"'
    )
    assert timeline_words("not_matched", line.details, None, "") == words(
        "not_matched", line.details
    )


def test_rule_8_the_timeline_says_each_decision_from_its_record():
    start = Start(workflow(1, "Tagger"), "customer_any_message")
    assert words("started", start.details) == "Started (trigger: Customer sends any message)"
    assert timeline_words("started", start.details, "Tagger", "") == 'Workflow "Tagger" started'
    skip = Skip(workflow(2, "B"), "customer_any_message", CUSTOMER_FACING, other="A")
    assert timeline_words("skipped", skip.details, "B", "") == (
        'Workflow "B" did not start: another customer-facing workflow, "A", was active'
    )
    assert skip.kind != TARGETING


# --- §6.9 idempotence ------------------------------------------------------------------


def test_rule_9_the_same_inputs_give_the_same_plan():
    workflows = (
        workflow(1, "Tag"),
        workflow(2, "Talk", steps=TALK),
        workflow(3, "Pro", audience=PRO),
    )
    assert planned(message(), *workflows) == planned(message(), *workflows)


def test_rule_9_an_event_written_before_a_wait_began_does_not_end_it():
    run = facing_run(1, status=WAITING, waiting_for="collect_data",
                     wait={"attribute": "email", "after_event": 10})  # fmt: skip
    talk = workflow(1, "Ask", steps=TALK)
    assert planned(message(id=10), talk, runs=[run]).of(Resume) == []
    assert len(planned(message(id=11), talk, runs=[run]).of(Resume)) == 1


# --- resumption ------------------------------------------------------------------------


def buttons_run(**fields):
    wait = {"workflow": 1, "path": [0], "labels": ["Sales", "Support"], "after_event": 0}
    cursor = [{"workflow": 1, "path": [], "index": 1}]
    return facing_run(1, status=WAITING, waiting_for="reply_buttons", wait=wait, cursor=cursor)


def test_a_button_chosen_resumes_on_its_path_ignoring_case():
    talk = workflow(1, "Ask", steps=TALK)
    [resume] = planned(message("  support "), talk, runs=[buttons_run()]).of(Resume)

    assert resume.cursor[-1] == {"workflow": 1, "path": [0, 1], "index": 0}
    assert words("resumed", resume.details) == 'The customer chose "Support"'
    assert planned(message("something else"), talk, runs=[buttons_run()]).of(Resume) == []


def test_a_reply_ends_a_wait_until_reply_and_an_unsnooze_ends_a_snooze():
    talk = workflow(1, "Ask", steps=TALK)
    until_customer = facing_run(1, status=WAITING, waiting_for="timer",
                                wait={"until_reply": "customer"})  # fmt: skip
    snoozed = facing_run(1, status=WAITING, waiting_for="unsnooze")

    [by_customer] = planned(message(), talk, runs=[until_customer]).of(Resume)
    assert by_customer.check_audience is True
    assert words("resumed", by_customer.details) == "The customer replied before the wait ended"
    assert planned(teammate("note_added"), talk, runs=[until_customer]).of(Resume) == []
    unsnooze = EventInfo(30, "unsnoozed", "system")
    assert words("resumed", planned(unsnooze, talk, runs=[snoozed]).of(Resume)[0].details) == (
        "The conversation unsnoozed"
    )


def test_a_teammate_reply_starts_the_customers_silence_clocks():
    quiet = workflow(1, "Nudge", trigger="customer_unresponsive",
                     trigger_options={"after": "1h"})  # fmt: skip
    [timer] = planned(teammate("teammate_replied"), quiet).of(SetTimer)
    assert (timer.kind, timer.key, timer.due_at) == (
        "customer_unresponsive",
        "3600s:20",
        NOW + timedelta(hours=1),
    )
