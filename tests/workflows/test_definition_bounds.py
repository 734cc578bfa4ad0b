"""The validator bounds every workflow document (issue 11): nesting, strings, numbers,
dates and set_data values are refused with the place named, never a 500 or a run-time
failure; the API answers 400 and saves nothing."""

import pytest

from conversations import validation
from workflows.engine.definitions import MAX_STEP_DEPTH, References, compile_definition
from workflows.engine.errors import DefinitionError
from workflows.engine.rules import MAX_GROUP_DEPTH

REFS = References(teams={"Support"}, slas={"Premium Support"})


def document(*steps, audience=None):
    return {
        "name": "W",
        "status": "live",
        "trigger": "customer_any_message",
        "audience": audience or {"match": "all", "rules": []},
        "steps": list(steps),
    }


def errors_of(doc) -> dict:
    with pytest.raises(DefinitionError) as error:
        compile_definition(doc, REFS)
    return error.value.errors


def nested_groups(depth: int) -> dict:
    group = {"attribute": "contact.plan", "operator": "is", "value": "Pro"}
    for _ in range(depth):
        group = {"match": "all", "rules": [group]}
    return group


def nested_steps(depth: int) -> list:
    steps = [{"type": "close"}]
    for _ in range(depth):
        steps = [{"type": "apply_rules", "rules": [{"when": None, "steps": steps}]}]
    return steps


class TestNesting:
    def test_it_refuses_rule_groups_nested_500_deep_naming_the_place(self):
        errors = errors_of(document({"type": "close"}, audience=nested_groups(500)))

        place = "audience" + ".rules[0]" * (MAX_GROUP_DEPTH + 1)
        assert any("nest" in message for message in errors[place])

    def test_it_refuses_steps_nested_190_deep_naming_the_place(self):
        errors = errors_of(document(*nested_steps(190)))

        place = "steps[0]" + ".rules[0].steps[0]" * MAX_STEP_DEPTH + ".rules[0].steps"
        assert place in errors
        assert "nest" in errors[place][0]

    def test_steps_nested_to_the_bound_are_fine(self):
        compile_definition(document(*nested_steps(MAX_STEP_DEPTH)), REFS)


class TestStrings:
    @pytest.mark.parametrize(
        "step, place",
        [
            ({"type": "add_tag", "tag": "a\x00b"}, "steps[0].tag"),
            ({"type": "add_note", "body": "hi \ud800"}, "steps[0].body"),
            ({"type": "set_data", "key": "k", "value": "x\x00"}, "steps[0].value"),
            ({"type": "add_tag", "tag": "ok", "x\x00": 1}, "steps[0]"),
        ],
    )
    def test_nul_and_unpaired_surrogates_are_refused_by_place(self, step, place):
        assert place in errors_of(document(step))

    def test_an_over_long_string_anywhere_is_refused_by_place(self):
        rule = {"attribute": "contact.plan", "operator": "is", "value": "x" * 20_000}

        errors = errors_of(document({"type": "close"}, audience={"match": "all", "rules": [rule]}))

        assert "audience.rules[0].value" in errors


class TestNumbers:
    @pytest.mark.parametrize("value", [1e308, 2**64, -(2**70), float("nan"), float("inf")])
    def test_huge_or_non_finite_rule_values_are_refused(self, value):
        rule = {"attribute": "contact.monthly_spend", "operator": "gt", "value": value}

        errors = errors_of(document({"type": "close"}, audience={"match": "all", "rules": [rule]}))

        assert "audience.rules[0].value" in errors


class TestDates:
    @pytest.mark.parametrize(
        "until",
        ["9999-12-31T23:59:59-12:00", "9999-06-01T00:00:00+00:00", "0001-01-01T00:00:00+01:00"],
    )
    def test_a_snooze_until_beyond_the_years_1_to_9998_is_refused(self, until):
        errors = errors_of(document({"type": "snooze", "until": until}))

        assert errors["steps[0].until"] == [validation.DATE_OUT_OF_RANGE]

    @pytest.mark.parametrize("operator", ["before", "after"])
    def test_a_rule_date_beyond_the_years_1_to_9998_is_refused(self, operator):
        rule = {
            "attribute": "contact.created_at",
            "operator": operator,
            "value": "9999-12-31T23:59:59-12:00",
        }

        errors = errors_of(document({"type": "close"}, audience={"match": "all", "rules": [rule]}))

        assert "audience.rules[0].value" in errors


class TestSetData:
    def test_a_value_over_the_services_limit_is_refused_on_save_not_at_run_time(self):
        step = {
            "type": "set_data",
            "key": "k",
            "value": "x" * (validation.MAX_ATTRIBUTE_VALUE_LENGTH + 1),
        }

        errors = errors_of(document(step))

        assert errors["steps[0].value"] == [validation.DATA_VALUE_TOO_LONG]

    def test_a_value_at_the_limit_is_fine(self):
        step = {
            "type": "set_data",
            "key": "k",
            "value": "x" * validation.MAX_ATTRIBUTE_VALUE_LENGTH,
        }

        compile_definition(document(step), REFS)
