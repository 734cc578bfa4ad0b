"""Replay's judgement over plain data (no database): the planner's decisions on kept
facts, with frequency and the one-customer-facing rule fed from what really happened,
and the snapshot that keeps those facts, bounded."""

import json
from datetime import UTC, datetime
from decimal import Decimal

from workflows import log_words
from workflows.engine import replay, snapshot
from workflows.engine.definitions import References, compile_definition
from workflows.engine.planner import EventInfo

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
PRO = {"match": "all", "rules": [{"attribute": "contact.plan", "operator": "is", "value": "Pro"}]}


def workflow(*, trigger="customer_any_message", frequency="every_time", audience=None,
             talks=False, priority=0, workflow_id=7, options=None):  # fmt: skip
    steps = [{"type": "add_tag", "tag": "Seen"}]
    if talks:
        steps.append({"type": "send_message", "body": "Hello"})
    document = {
        "name": "Greeter",
        "status": "live",
        "trigger": trigger,
        "trigger_options": options or {},
        "frequency": frequency,
        "audience": audience or {"match": "all", "rules": []},
        "steps": steps,
    }
    return compile_definition(
        document, References(lenient=True), workflow_id=workflow_id, priority=priority
    )


def facts(plan="Pro", body="Hi", **more):
    return {
        "contact.plan": plan,
        "message.body": body,
        "message.author_type": "contact",
        "time.now": NOW,
        "conversation.tags": set(),
        **more,
    }


def past(event_id, conversation=1, *, kind="customer_message", actor="contact", depth=0,
         payload=None, **fields):  # fmt: skip
    info = EventInfo(event_id, kind, actor, None, "", depth, payload or {"body": "Hi"}, NOW)
    fields.setdefault("facts", facts())
    return replay.PastEvent(conversation=conversation, event=info, **fields)


def words(judgement):
    return log_words.replay_reason(judgement.reason)


def test_a_workflow_whose_targeting_matches_would_start_and_one_that_fails_says_which_rule():
    judged = replay.judge(
        workflow(audience=PRO),
        [past(1, facts=facts(plan="Pro")), past(2, conversation=2, facts=facts(plan="Free"))],
    )
    assert [j.would_start for j in judged] == [True, False]
    assert words(judged[0]) == "the targeting rules match"
    assert "Plan" in words(judged[1]) and "Free" in words(judged[1])


def test_once_per_conversation_counts_the_starts_the_replay_would_have_made():
    judged = replay.judge(workflow(frequency="once"), [past(1), past(2), past(3, conversation=2)])
    assert [j.would_start for j in judged] == [True, False, True]
    assert words(judged[1]) == "it runs once per conversation and already ran on this one"


def test_once_per_conversation_counts_a_run_that_really_started_before_the_window():
    judged = replay.judge(workflow(frequency="once"), [past(5, ran_before=True)])
    assert judged[0].would_start is False
    assert judged[0].reason["rule"] == "frequency"


def test_a_customer_facing_workflow_waits_for_the_one_that_was_active_then():
    judged = replay.judge(workflow(talks=True), [past(1, active_customer_facing="Onboarding")])
    assert judged[0].would_start is False
    assert words(judged[0]) == 'another customer-facing workflow, "Onboarding", was active'
    # A background workflow is not held back by it.
    assert replay.judge(workflow(), [past(1, active_customer_facing="Onboarding")])[0].would_start


def test_a_higher_priority_customer_facing_start_on_the_same_event_holds_it_back_a_lower_one_not():
    ahead = replay.OtherStart(3, "Urgent", "customer_any_message", priority=0)
    behind = replay.OtherStart(4, "Later", "customer_any_message", priority=9)
    mine = workflow(talks=True, priority=5)
    held = replay.judge(mine, [past(1, facing_started=(ahead,))])[0]
    assert held.would_start is False
    assert words(held) == 'lower priority than "Urgent", which started'
    assert replay.judge(mine, [past(1, facing_started=(behind,))])[0].would_start is True


def test_an_earlier_trigger_of_the_same_event_fires_first_whatever_the_priority():
    first = replay.OtherStart(3, "Welcome", "customer_first_message", priority=50)
    event = {"body": "Hi", "first": True}
    held = replay.judge(
        workflow(talks=True, priority=0), [past(1, payload=event, facing_started=(first,))]
    )[0]
    assert held.would_start is False


def test_events_that_do_not_fire_its_trigger_are_not_examined():
    judged = replay.judge(
        workflow(trigger="teammate_replied"),
        [past(1), past(2, kind="teammate_replied", actor="teammate", payload={"body": "On it"})],
    )
    assert [j.event for j in judged] == [2]


def test_trigger_options_are_the_engines():
    closed = workflow(trigger="teammate_changed_state", options={"state": "closed"})
    judged = replay.judge(
        closed,
        [
            past(1, kind="state_changed", actor="teammate", payload={"state": "snoozed"}),
            past(2, kind="state_changed", actor="teammate", payload={"state": "closed"}),
        ],
    )
    assert [j.event for j in judged] == [2]


def test_a_long_chain_of_workflow_changes_is_cut_as_the_engine_cuts_it():
    judged = replay.judge(
        workflow(trigger="conversation_assigned"),
        [past(1, kind="assigned", actor="workflow", depth=3, payload={})],
    )
    assert judged[0].would_start is False
    assert words(judged[0]) == "3 workflow changes in a row led to it (the limit is 3)"


def test_paired_judgements_show_where_a_draft_and_the_live_version_differ():
    events = [past(1, facts=facts(plan="Pro")), past(2, conversation=2, facts=facts(plan="Free"))]
    draft = replay.judge(workflow(audience=PRO), events)
    live = replay.judge(workflow(), events)
    differ = [
        event for event, a, b in replay.paired(draft, live) if replay.starts(a) != replay.starts(b)
    ]
    assert differ == [2]


# --- the snapshot ------------------------------------------------------------------------


def test_a_snapshot_gives_back_the_facts_the_rules_compare():
    original = facts(
        **{
            "contact.monthly_spend": Decimal("512.50"),
            "contact.created_at": datetime(2025, 1, 2, tzinfo=UTC),
            "conversation.tags": {"vip", "billing"},
            "conversation.priority": True,
            "contact.custom": {"seats": 12, "tier": "gold"},
        }
    )
    audience = {"match": "all", "rules": [
        {"attribute": "contact.monthly_spend", "operator": "gt", "value": 500},
        {"attribute": "contact.created_at", "operator": "more_than_days_ago", "value": 30},
        {"attribute": "conversation.tags", "operator": "contains", "value": "VIP"},
        {"attribute": "conversation.priority", "operator": "is", "value": True},
        {"attribute": "contact.custom.seats", "operator": "gte", "value": 10},
    ]}  # fmt: skip
    compiled = workflow(audience=audience)
    stored = json.loads(json.dumps(snapshot.snapshot(original)))
    again = snapshot.facts_from_snapshot(stored)
    assert compiled.audience.check(original)[0] is True
    assert compiled.audience.check(again)[0] is True
    assert again["contact.monthly_spend"] == Decimal("512.50")
    assert again["time.now"] == NOW


def test_a_snapshot_stays_within_its_bound_whatever_the_conversation_holds():
    huge = "x" * 100_000
    custom = {f"key-{n}-{huge[:200]}": huge for n in range(500)}
    original = facts(
        body=huge,
        **{
            "contact.name": huge,
            "conversation.tags": {f"tag-{n}-{huge[:300]}" for n in range(500)},
            "contact.custom": custom,
            "company.custom": custom,
            "conversation.custom": {**custom, "nested": {"a": [1, 2]}},
        },
    )
    stored = json.dumps(snapshot.snapshot(original))
    assert len(stored.encode()) <= snapshot.MAX_SNAPSHOT_BYTES
    again = snapshot.facts_from_snapshot(json.loads(stored))
    assert len(again["message.body"]) == snapshot.MAX_BODY
    assert len(again["contact.custom"]) == snapshot.MAX_CUSTOM_KEYS
