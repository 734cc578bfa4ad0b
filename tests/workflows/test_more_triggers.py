"""Issue 17 items 1–2, pure: the triggers from recorded changes and custom events, their
options, the chain rule for workflow causes (DESIGN.md §6.7), and the time rules at a
fixed NOW. No database."""

from datetime import timedelta

import pytest

from tests.workflows.test_planner_rules import NOW, catalog, facts, workflow
from workflows import lint, vocabulary
from workflows.engine.definitions import (
    REPEATABLE_TRIGGERS,
    TRIGGERS,
    References,
    compile_definition,
)
from workflows.engine.errors import DefinitionError, ErrorCollector
from workflows.engine.planner import (
    MAX_WORKFLOW_CHAIN_DEPTH,
    ChainCut,
    ConversationState,
    EventInfo,
    Start,
    plan,
    triggers_for,
)
from workflows.engine.rules import compile_group
from workflows.facts import event_facts
from workflows.log_words import words

NEW_TRIGGERS = (
    "tag_added",
    "tag_removed",
    "priority_changed",
    "conversation_data_changed",
    "customer_reopened",
    "custom_event",
)


def event(kind, actor="teammate", depth=0, **payload):
    return EventInfo(30, kind, actor, 7, "Ben", depth=depth, payload=payload, created_at=NOW)


def started(event_info, *workflows, **fact_values):
    state = ConversationState(facts(**fact_values), [], ran_before=frozenset())
    result = plan(state, event_info, catalog(*workflows), NOW)
    return [effect.workflow.name for effect in result.starts], result


def test_each_new_trigger_is_declared_repeatable_and_named_in_words():
    for trigger in NEW_TRIGGERS:
        assert trigger in TRIGGERS and trigger in REPEATABLE_TRIGGERS
        assert vocabulary.trigger_label(trigger) != trigger.replace("_", " ")


@pytest.mark.parametrize("actor", ["teammate", "contact", "workflow", "system"])
@pytest.mark.parametrize(
    ("kind", "trigger", "payload"),
    [
        ("tag_added", "tag_added", {"tag": "VIP"}),
        ("tag_removed", "tag_removed", {"tag": "VIP"}),
        ("priority_changed", "priority_changed", {"priority": True}),
        ("data_set", "conversation_data_changed", {"key": "order", "value": 1}),
        ("custom_event", "custom_event", {"name": "order_refunded", "metadata": {}}),
    ],
)
def test_changes_fire_their_trigger_whoever_made_them(actor, kind, trigger, payload):
    assert triggers_for(event(kind, actor, **payload)) == [trigger]


def test_customer_reopened_fires_only_when_the_customer_writes_in_a_closed_conversation():
    reopened = {"state": "open", "previous": "closed"}
    assert triggers_for(event("state_changed", "contact", **reopened)) == ["customer_reopened"]
    unsnoozed = {"state": "open", "previous": "snoozed"}
    assert triggers_for(event("state_changed", "contact", **unsnoozed)) == []
    # A teammate reopening is "teammate changes the state", not the customer's.
    assert triggers_for(event("state_changed", "teammate", **reopened)) == [
        "teammate_changed_state"
    ]


def test_tag_trigger_with_a_tag_starts_only_for_that_tag_ignoring_case():
    any_tag = workflow(1, "Any tag", "tag_added")
    vip = workflow(2, "VIP tag", "tag_added", trigger_options={"tag": "VIP"})
    names, _ = started(event("tag_added", tag="vip", tag_id=3), any_tag, vip)
    assert names == ["Any tag", "VIP tag"]
    names, _ = started(event("tag_added", tag="billing", tag_id=4), any_tag, vip)
    assert names == ["Any tag"]
    # Removing the tag is another trigger.
    names, _ = started(event("tag_removed", tag="VIP", tag_id=3), any_tag, vip)
    assert names == []


def test_data_trigger_key_and_custom_event_name_select_their_workflows():
    order = workflow(
        1, "Order changed", "conversation_data_changed", trigger_options={"key": "order"}
    )
    refunded = workflow(2, "Refunded", "custom_event", trigger_options={"name": "order_refunded"})
    assert started(event("data_set", key="order", value=2), order)[0] == ["Order changed"]
    assert started(event("data_set", key="Order", value=2), order)[0] == []
    assert started(event("custom_event", name="order_refunded"), refunded)[0] == ["Refunded"]
    assert started(event("custom_event", name="order_paid"), refunded)[0] == []


def test_workflow_caused_tag_added_starts_within_the_chain_limit_then_is_cut_with_a_record():
    escalate = workflow(1, "Escalate", "tag_added")
    below = event("tag_added", "workflow", depth=MAX_WORKFLOW_CHAIN_DEPTH - 1, tag="x")
    assert started(below, escalate)[0] == ["Escalate"]
    at_limit = event("tag_added", "workflow", depth=MAX_WORKFLOW_CHAIN_DEPTH, tag="x")
    names, result = started(at_limit, escalate)
    assert names == []
    assert result.effects == [ChainCut(MAX_WORKFLOW_CHAIN_DEPTH)]
    assert result.effects[0].details == {"depth": 3, "limit": 3}
    assert words("chain_cut", result.effects[0].details) == (
        "No workflow started: 3 workflow changes in a row (the limit is 3)"
    )


def test_event_rules_read_the_custom_events_name_and_metadata():
    refunds = workflow(
        1,
        "Big refunds",
        "custom_event",
        trigger_options={"name": "order_refunded"},
        audience={
            "match": "all",
            "rules": [
                {"attribute": "event.name", "operator": "is", "value": "order_refunded"},
                {"attribute": "event.metadata.amount", "operator": "gt", "value": 100},
            ],
        },
    )
    payload = {"name": "order_refunded", "metadata": {"amount": 250}}
    big = event_facts("custom_event", payload)
    assert started(event("custom_event", **payload), refunds, **_dotted(big))[0] == ["Big refunds"]
    small = event_facts("custom_event", {**payload, "metadata": {"amount": 20}})
    assert started(event("custom_event", **payload), refunds, **_dotted(small))[0] == []
    # On any other event the event facts are unknown.
    assert event_facts("tag_added", {"tag": "x"}) == {"event.name": None, "event.metadata": {}}


def _dotted(values):
    return {key.replace(".", "__"): value for key, value in values.items()}


@pytest.mark.parametrize(
    ("options", "place", "message"),
    [
        ({}, "trigger_options.name", "This field is required."),
        ({"name": "x" * 101}, "trigger_options.name", "At most 100 characters."),
        ({"name": "ok", "tag": "VIP"}, "trigger_options.tag", "custom_event has no option 'tag'."),
    ],
)
def test_custom_event_trigger_options_are_checked_and_named(options, place, message):
    document = {
        "name": "E",
        "trigger": "custom_event",
        "trigger_options": options,
        "steps": [{"type": "add_tag", "tag": "x"}],
    }
    with pytest.raises(DefinitionError) as raised:
        compile_definition(document, References(lenient=True))
    assert message in raised.value.errors[place]


def test_a_data_key_option_must_be_a_data_key():
    document = {
        "name": "D",
        "trigger": "conversation_data_changed",
        "trigger_options": {"key": "no spaces please"},
        "steps": [{"type": "add_tag", "tag": "x"}],
    }
    with pytest.raises(DefinitionError) as raised:
        compile_definition(document, References(lenient=True))
    assert "trigger_options.key" in raised.value.errors


# --- time rules at a fixed NOW ---------------------------------------------------------


def time_rule(attribute, operator, value):
    errors = ErrorCollector()
    group = compile_group(
        {"match": "all", "rules": [{"attribute": attribute, "operator": operator, "value": value}]},
        "audience",
        errors,
    )
    return group, errors.errors


@pytest.mark.parametrize(
    ("waited", "more_than_2h", "less_than_2h"),
    [
        (timedelta(hours=3), True, False),
        (timedelta(minutes=30), False, True),
        (timedelta(hours=2), False, False),  # exactly 2h ago: neither
    ],
)
def test_more_than_and_less_than_ago_compare_the_moment_with_now(
    waited, more_than_2h, less_than_2h
):
    more, _ = time_rule("conversation.waiting_since", "more_than_ago", "2h")
    less, _ = time_rule("conversation.waiting_since", "less_than_ago", "2h")
    known = facts(conversation__waiting_since=NOW - waited)
    assert more.evaluate(known) is more_than_2h
    assert less.evaluate(known) is less_than_2h


@pytest.mark.parametrize(
    "attribute",
    [
        "conversation.waiting_since",
        "conversation.last_customer_message_at",
        "conversation.last_teammate_reply_at",
        "conversation.snoozed_until",
    ],
)
def test_an_unknown_moment_is_neither_more_nor_less_than_ago(attribute):
    more, _ = time_rule(attribute, "more_than_ago", "1d")
    unknown, _ = time_rule(attribute, "is_unknown", None)
    assert more.evaluate(facts()) is False
    assert unknown.evaluate(facts()) is True


def test_snoozed_until_in_the_future_is_less_than_any_duration_ago():
    less, _ = time_rule("conversation.snoozed_until", "less_than_ago", "1h")
    assert less.evaluate(facts(conversation__snoozed_until=NOW + timedelta(days=2))) is True


@pytest.mark.parametrize("value", ["2 hours", "0h", 5, "", "-1h"])
def test_a_time_rule_needs_a_duration_said_in_words(value):
    _, errors = time_rule("conversation.last_teammate_reply_at", "more_than_ago", value)
    assert errors["audience.rules[0].value"] == [
        'Last teammate reply must be a duration such as "30m", "2h" or "1d".'
    ]


def test_a_time_attribute_refuses_operators_that_do_not_fit():
    _, errors = time_rule("conversation.waiting_since", "contains", "2h")
    assert "audience.rules[0].operator" in errors


def test_time_rules_in_words():
    assert vocabulary.rule_words("conversation.waiting_since", "more_than_ago", "2h") == (
        "Customer waiting since is more than 2 hours ago"
    )
    assert vocabulary.attribute_group("conversation.snoozed_until") == "Time"
    assert vocabulary.attribute_label("event.metadata.amount") == "Amount (event metadata)"


# --- the linter knows the new triggers through the same declarations -------------------


def test_lint_says_message_and_event_rules_are_never_true_on_a_tag_trigger():
    tagged = workflow(
        1,
        "On tag",
        "tag_added",
        audience={
            "match": "all",
            "rules": [
                {"attribute": "message.body", "operator": "contains", "value": "refund"},
                {"attribute": "event.name", "operator": "is", "value": "x"},
            ],
        },
    )
    findings = lint.rules_never_true(tagged)
    assert [f.place for f in findings] == ["audience.rules[0]", "audience.rules[1]"]
    assert "has no triggering message" in findings[0].message
    assert "has no custom event" in findings[1].message
    event_rule = workflow(
        2,
        "On event",
        "custom_event",
        trigger_options={"name": "x"},
        audience={
            "match": "all",
            "rules": [{"attribute": "event.name", "operator": "is", "value": "x"}],
        },
    )
    assert lint.rules_never_true(event_rule) == []


def test_lint_finds_a_tag_loop_and_ignores_a_tag_option_the_steps_never_add():
    def tagger(id, name, listens, adds):
        return workflow(
            id,
            name,
            "tag_added",
            trigger_options={"tag": listens},
            steps=[{"type": "add_tag", "tag": adds}],
        )

    loop = [tagger(1, "A", "a", "b"), tagger(2, "B", "b", "c"), tagger(3, "C", "c", "a")]
    assert {f.workflow for f in lint.workflow_loops(loop)} == {1, 2, 3}
    no_loop = [tagger(1, "A", "a", "b"), tagger(2, "B", "z", "c"), tagger(3, "C", "c", "a")]
    assert lint.workflow_loops(no_loop) == []


def test_start_records_name_the_new_trigger():
    names, result = started(
        event("priority_changed", priority=True), workflow(1, "P", "priority_changed")
    )
    assert names == ["P"]
    assert isinstance(result.starts[0], Start) and result.starts[0].details == {
        "trigger": "priority_changed"
    }
