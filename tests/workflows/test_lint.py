"""The catalog linter's checks over plain documents: each code fires on the mistake and
stays quiet on its near miss. No database."""

import itertools

import pytest

from workflows.engine.definitions import References, compile_definition
from workflows.lint import LINT_CODES, lint_catalog

_ids = itertools.count(1)


def workflow(name, trigger="customer_any_message", steps=None, audience=None, priority=0, **doc):
    document = {
        "name": name,
        "status": "live",
        "trigger": trigger,
        "steps": steps or [{"type": "add_note", "body": "seen"}],
        **doc,
    }
    if audience is not None:
        document["audience"] = audience
    return compile_definition(
        document, References(lenient=True), workflow_id=next(_ids), priority=priority
    )


def rule(attribute, operator, value=None):
    found = {"attribute": attribute, "operator": operator}
    if value is not None:
        found["value"] = value
    return found


def codes(*workflows, of=None):
    return [
        (f.workflow_name, f.code, f.place)
        for f in lint_catalog(workflows)
        if of is None or f.code == of
    ]


def test_every_code_has_words_and_a_severity():
    from workflows import vocabulary

    assert set(LINT_CODES) == set(vocabulary.LINT_WORDS)
    assert set(LINT_CODES.values()) <= {"warning", "error"}


# --- negative rule in an "any" group ---------------------------------------------------


@pytest.mark.parametrize("operator", ["is_not", "not_contains", "not_in", "is_unknown"])
def test_a_negative_rule_inside_an_any_group_is_flagged_at_its_place(operator):
    value = {"is_not": "Pro", "not_contains": "x", "not_in": ["Pro"], "is_unknown": None}[operator]
    audience = {
        "match": "any",
        "rules": [rule("contact.plan", "is", "Pro"), rule("contact.plan", operator, value)],
    }
    found = lint_catalog([workflow("Any", audience=audience)])
    assert [(f.code, f.place) for f in found] == [("negative_rule_in_any", "audience.rules[1]")]
    assert "any of" in found[0].message and "Fix:" in found[0].message
    assert found[0].place_words == "Targeting › rule 2"


def test_a_negative_rule_in_a_branch_any_group_is_flagged_at_the_branch():
    when = {
        "match": "any",
        "rules": [rule("contact.plan", "is", "Pro"), rule("contact.email", "is_unknown")],
    }
    steps = [{"type": "branches", "branches": [{"when": when, "steps": [{"type": "close"}]}]}]
    assert codes(workflow("Branchy", steps=steps)) == [
        ("Branchy", "negative_rule_in_any", "steps[0].branches[0].when.rules[1]")
    ]


def test_negative_rules_in_an_all_group_are_not_flagged():
    audience = {
        "match": "all",
        "rules": [rule("contact.plan", "is_not", "Pro"), rule("contact.email", "is_unknown")],
    }
    assert codes(workflow("All", audience=audience)) == []


# --- background workflows that set one thing differently -----------------------------


def test_two_background_workflows_tagging_and_untagging_say_the_lower_one_wins():
    first = workflow("Tagger", steps=[{"type": "add_tag", "tag": "VIP"}], priority=0)
    second = workflow("Untagger", steps=[{"type": "remove_tag", "tag": "vip"}], priority=1)
    found = lint_catalog([first, second])
    assert [(f.workflow_name, f.code, f.place) for f in found] == [
        ("Tagger", "background_conflict", "steps[0]"),
        ("Untagger", "background_conflict", "steps[0]"),
    ]
    assert all("“Untagger” wins" in f.message for f in found)
    assert "removes the tag “vip”" in found[0].message


@pytest.mark.parametrize(
    "a, b",
    [
        ({"type": "assign", "team": "Billing"}, {"type": "assign", "team": "Sales"}),
        (
            {"type": "set_data", "key": "tier", "value": "gold"},
            {"type": "set_data", "key": "tier", "value": "silver"},
        ),
    ],
)
def test_different_teams_or_data_values_conflict(a, b):
    found = codes(workflow("A", steps=[a], priority=0), workflow("B", steps=[b], priority=1))
    assert [code for _, code, _ in found] == ["background_conflict"] * 2


def test_same_effect_other_trigger_or_customer_facing_do_not_conflict():
    tag = [{"type": "add_tag", "tag": "vip"}]
    untag = [{"type": "remove_tag", "tag": "vip"}]
    assert codes(workflow("A", steps=tag), workflow("B", steps=tag, priority=1)) == []
    assert codes(workflow("A", steps=tag), workflow("B", "teammate_replied", steps=untag)) == []
    assert codes(workflow("A", steps=tag), workflow("B", steps=untag, status="paused")) == []
    facing = untag + [{"type": "send_message", "body": "hi"}]
    assert codes(workflow("A", steps=tag), workflow("B", steps=facing, priority=1)) == []


# --- customer-facing workflow always shadowed ---------------------------------------------

HELLO = [{"type": "send_message", "body": "Hello"}]
PRO = rule("contact.plan", "is", "Pro")


def test_a_customer_facing_workflow_under_one_for_everyone_is_shadowed():
    high = workflow("Greet all", "customer_first_message", steps=HELLO, priority=0)
    low = workflow("Greet pros", "customer_first_message", steps=HELLO, priority=1,
                   audience={"match": "all", "rules": [PRO]})  # fmt: skip
    found = lint_catalog([high, low])
    assert [(f.workflow_name, f.code, f.place) for f in found] == [
        ("Greet pros", "shadowed_customer_facing", "audience")
    ]
    assert "“Greet all”" in found[0].message


def test_a_subset_of_the_lower_ones_rules_shadows_it_too():
    high = workflow("Pros", steps=HELLO, priority=0, frequency="every_time",
                    audience={"match": "all", "rules": [PRO]})  # fmt: skip
    low = workflow("Big pros", steps=HELLO, priority=1, audience={
        "match": "all", "rules": [PRO, rule("contact.monthly_spend", "gt", 500)]})  # fmt: skip
    assert codes(high, low) == [("Big pros", "shadowed_customer_facing", "audience")]


def test_a_narrower_higher_workflow_or_a_once_one_on_a_repeatable_trigger_does_not_shadow():
    narrow = workflow("Pros", "customer_first_message", steps=HELLO, priority=0,
                      audience={"match": "all", "rules": [PRO]})  # fmt: skip
    low = workflow("All", "customer_first_message", steps=HELLO, priority=1)
    assert codes(narrow, low) == []
    once = workflow("Once", steps=HELLO, priority=0)  # any message: the second one can run
    assert codes(once, workflow("Later", steps=HELLO, priority=1)) == []


# --- unreachable branches -----------------------------------------------------------------


def test_branches_after_one_that_always_matches_are_unreachable():
    steps = [{
        "type": "branches",
        "branches": [
            {"when": {"match": "all", "rules": []}, "steps": [{"type": "close"}]},
            {"when": {"match": "all", "rules": [PRO]}, "steps": [{"type": "close"}]},
        ],
        "else": [{"type": "reopen"}],
    }]  # fmt: skip
    found = lint_catalog([workflow("Branches", steps=steps)])
    assert [(f.code, f.place) for f in found] == [
        ("unreachable_branch", "steps[0].branches[1]"),
        ("unreachable_branch", "steps[0].else"),
    ]
    assert found[0].message.startswith("step 1 › path 2 can never run")


def test_branches_with_rules_are_reachable():
    steps = [{"type": "branches", "branches": [
        {"when": {"match": "all", "rules": [PRO]}, "steps": [{"type": "close"}]},
        {"when": {"match": "all", "rules": []}, "steps": [{"type": "reopen"}]},
    ]}]  # fmt: skip
    assert codes(workflow("Fine", steps=steps)) == []


# --- a rule never true for its trigger ------------------------------------------------


def test_a_message_rule_on_a_time_trigger_is_never_true():
    audience = {"match": "all", "rules": [rule("message.body", "contains", "refund")]}
    found = lint_catalog([workflow("Silent", "customer_unresponsive", audience=audience,
                                   trigger_options={"after": "1h"})])  # fmt: skip
    assert [(f.code, f.place) for f in found] == [("rule_never_true", "audience.rules[0]")]
    assert "never true" in found[0].message


def test_a_message_rule_on_a_message_trigger_is_fine():
    audience = {"match": "all", "rules": [rule("message.body", "contains", "refund")]}
    assert codes(workflow("Refunds", audience=audience)) == []


# --- every time on a trigger that cannot repeat -------------------------------------------


def test_every_time_on_a_trigger_that_happens_once_is_an_error():
    found = lint_catalog(
        [workflow("Opened", "customer_opened_conversation", frequency="every_time")]
    )
    assert [(f.code, f.severity, f.place) for f in found] == [
        ("frequency_not_repeatable", "error", "frequency")
    ]
    assert codes(workflow("Each", frequency="every_time")) == []


# --- a chain of workflow-caused events reaching the loop cut -----------------------------


def test_a_workflow_that_assigns_on_assignment_reaches_the_loop_cut():
    looping = workflow("Reassign", "conversation_assigned",
                       steps=[{"type": "assign", "team": "Tier 2"}], frequency="every_time")  # fmt: skip
    found = lint_catalog([looping])
    assert [(f.code, f.place) for f in found] == [("workflow_loop", "steps")]
    assert "“Reassign” → “Reassign” → “Reassign”" in found[0].message


def test_a_workflow_whose_changes_fire_no_trigger_has_no_loop():
    tagging = workflow(
        "Tag on assign", "conversation_assigned", steps=[{"type": "add_tag", "tag": "x"}]
    )
    assigning = workflow("Assign", steps=[{"type": "assign", "team": "Tier 2"}])
    assert codes(tagging, assigning, of="workflow_loop") == []


def test_three_setters_are_each_told_the_last_one_wins():
    team = lambda name: [{"type": "assign", "team": name}]  # noqa: E731
    found = lint_catalog([
        workflow("Billing", steps=team("Billing"), priority=0),
        workflow("Sales", steps=team("Sales"), priority=1),
        workflow("Support", steps=team("Support"), priority=2),
    ])  # fmt: skip
    assert sorted((f.workflow_name, f.details["other"]) for f in found) == [
        ("Billing", "Support"),
        ("Sales", "Support"),
        ("Support", "Billing"),
        ("Support", "Sales"),
    ]
    assert all("“Support” wins" in f.message for f in found)
