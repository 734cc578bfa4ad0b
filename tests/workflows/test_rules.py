"""Unit tests of the targeting rule engine: pure Python, no database."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from workflows.engine.errors import DefinitionError, ErrorCollector
from workflows.engine.rules import (
    ALL_OPERATORS,
    MATCH_EVERYTHING,
    Failure,
    Group,
    Rule,
    compile_group,
)
from workflows.vocabulary import attribute_label

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
NO_VALUE = object()


def rule(attribute, operator, value=NO_VALUE):
    document = {"attribute": attribute, "operator": operator}
    if value is not NO_VALUE:
        document["value"] = value
    return document


def compile_errors(document, place="audience"):
    errors = ErrorCollector()
    compile_group(document, place, errors)
    return errors.errors


def compile_ok(*rules, match="all"):
    errors = ErrorCollector()
    group = compile_group({"match": match, "rules": list(rules)}, "audience", errors)
    assert errors.errors == {}
    return group


def facts_with(attribute, actual, **more):
    facts = {"time.now": NOW}
    for prefix in ("contact.custom.", "company.custom.", "conversation.custom."):
        if attribute.startswith(prefix):
            facts[prefix[:-1]] = {attribute[len(prefix) :]: actual}
            break
    else:
        facts[attribute] = actual
    facts.update(more)
    return facts


def matches(attribute, operator, value, actual):
    group = compile_ok(rule(attribute, operator, value))
    return group.evaluate(facts_with(attribute, actual))


class TestValidation:
    def test_it_accepts_a_valid_group_without_errors(self):
        document = {
            "match": "all",
            "rules": [
                rule("contact.plan", "is", "Pro"),
                rule("contact.monthly_spend", "gt", 500),
            ],
        }
        assert compile_errors(document) == {}

    def test_it_treats_no_audience_as_matching_everything(self):
        errors = ErrorCollector()
        assert compile_group(None, "audience", errors) is MATCH_EVERYTHING
        assert errors.errors == {}
        assert MATCH_EVERYTHING.evaluate({"time.now": NOW})

    def test_it_names_the_place_of_an_unknown_attribute(self):
        errors = compile_errors(
            {"rules": [rule("contact.plan", "is", "Pro"), rule("contact.shoe_size", "is", 9)]}
        )
        assert list(errors) == ["audience.rules[1].attribute"]
        assert "contact.shoe_size" in errors["audience.rules[1].attribute"][0]

    @pytest.mark.parametrize(
        "attribute",
        ["contact", "contact.custom.", "contact.custom.a.b", "team", "message", "", None, 3],
    )
    def test_it_refuses_malformed_attribute_names(self, attribute):
        errors = compile_errors({"rules": [rule(attribute, "is", "x")]})
        assert list(errors) == ["audience.rules[0].attribute"]

    def test_it_names_the_place_of_an_operator_not_fitting_the_type(self):
        errors = compile_errors(
            {"rules": [rule("contact.name", "is", "Maya"), rule("contact.plan", "gt", 5)]}
        )
        assert list(errors) == ["audience.rules[1].operator"]
        message = errors["audience.rules[1].operator"][0]
        assert message.startswith("“is greater than” does not fit Plan; choose one of “is”")

    @pytest.mark.parametrize(
        ("attribute", "operator"),
        [
            ("contact.plan", "gt"),
            ("contact.plan", "before"),
            ("contact.monthly_spend", "contains"),
            ("contact.monthly_spend", "starts_with"),
            ("contact.created_at", "is"),
            ("contact.created_at", "gt"),
            ("conversation.priority", "contains"),
            ("conversation.priority", "gt"),
            ("conversation.tags", "is"),
            ("conversation.tags", "starts_with"),
            ("contact.plan", "equals"),
            ("contact.plan", None),
        ],
    )
    def test_it_refuses_operators_that_do_not_fit(self, attribute, operator):
        errors = compile_errors({"rules": [rule(attribute, operator, "x")]})
        assert list(errors) == ["audience.rules[0].operator"]

    def test_it_accepts_every_operator_on_a_custom_attribute(self):
        for operator in sorted(ALL_OPERATORS):
            if operator in ("is_set", "is_unknown"):
                value = NO_VALUE
            elif operator in ("in", "not_in"):
                value = ["a", "b"]
            elif operator in ("gt", "gte", "lt", "lte"):
                value = 5
            elif operator in ("before", "after"):
                value = "2026-01-31"
            elif operator in ("more_than_days_ago", "less_than_days_ago"):
                value = 3
            elif operator in ("more_than_ago", "less_than_ago"):
                value = "2h"
            else:
                value = "abc"
            assert compile_errors({"rules": [rule("contact.custom.x", operator, value)]}) == {}

    @pytest.mark.parametrize(
        ("attribute", "operator", "value"),
        [
            ("contact.monthly_spend", "gt", "lots"),
            ("contact.monthly_spend", "gt", True),
            ("contact.monthly_spend", "gt", "NaN"),
            ("contact.monthly_spend", "gt", "Infinity"),
            ("contact.monthly_spend", "gt", float("nan")),
            ("contact.monthly_spend", "lt", float("-inf")),
            ("contact.custom.x", "contains", 5),
            ("contact.monthly_spend", "is", "ten"),
            ("contact.monthly_spend", "gt", [1, 2]),
            ("contact.created_at", "before", "tomorrow"),
            ("contact.created_at", "after", 20260101),
            ("contact.created_at", "more_than_days_ago", -3),
            ("contact.created_at", "more_than_days_ago", "3"),
            ("contact.created_at", "less_than_days_ago", 2.5),
            ("contact.created_at", "less_than_days_ago", True),
            ("contact.plan", "in", "Pro"),
            ("contact.plan", "in", []),
            ("contact.plan", "not_in", {"Pro": 1}),
            ("contact.plan", "is", ["Pro"]),
            ("contact.plan", "is", 5),
            ("contact.plan", "is", None),
            ("contact.plan", "in", ["Pro", 5]),
            ("conversation.priority", "is", "yes"),
            ("conversation.priority", "is", 1),
            ("conversation.in_bot_inbox", "is_not", "false"),
            ("conversation.tags", "contains", 7),
            ("time.weekday", "is", "funday"),
            ("contact.custom.x", "is", {"a": 1}),
            ("contact.custom.x", "gt", "big"),
        ],
    )
    def test_it_names_the_place_of_a_value_that_does_not_parse(self, attribute, operator, value):
        errors = compile_errors({"rules": [rule(attribute, operator, value)]})
        assert list(errors) == ["audience.rules[0].value"]
        message = errors["audience.rules[0].value"][0]
        # In words: the attribute's label, never its document name or the operator's code.
        assert message.startswith(f"{attribute_label(attribute)} must be ")
        assert attribute not in message and f" {operator} " not in message

    def test_it_names_the_place_of_a_bad_value_inside_a_nested_group(self):
        document = {
            "match": "any",
            "rules": [
                {
                    "match": "all",
                    "rules": [
                        rule("contact.plan", "is", "Pro"),
                        rule("contact.monthly_spend", "gt", 5),
                        rule("contact.monthly_spend", "gt", "lots"),
                    ],
                },
            ],
        }
        assert list(compile_errors(document)) == ["audience.rules[0].rules[2].value"]

    def test_it_names_places_three_groups_deep(self):
        document = {
            "rules": [
                rule("contact.plan", "is", "Pro"),
                {
                    "match": "any",
                    "rules": [
                        {"match": "all", "rules": [rule("contact.plan", "gt", 1)]},
                    ],
                },
            ]
        }
        assert list(compile_errors(document)) == ["audience.rules[1].rules[0].rules[0].operator"]

    @pytest.mark.parametrize("operator", ["is", "gt", "in", "before", "more_than_days_ago"])
    def test_it_names_the_place_of_a_missing_value(self, operator):
        attribute = "contact.custom.x"
        errors = compile_errors(
            {"rules": [rule("contact.plan", "is", "Pro"), rule(attribute, operator)]}
        )
        assert list(errors) == ["audience.rules[1].value"]
        assert errors["audience.rules[1].value"] == [
            "X (contact data) needs a value to compare with."
        ]

    def test_it_needs_no_value_for_is_set_and_is_unknown(self):
        assert compile_errors({"rules": [rule("contact.plan", "is_set")]}) == {}
        assert compile_errors({"rules": [rule("contact.plan", "is_unknown")]}) == {}

    @pytest.mark.parametrize("match", ["some", "ALL", None, 1])
    def test_it_names_the_place_of_a_bad_match(self, match):
        errors = compile_errors({"match": match, "rules": [rule("contact.plan", "is", "Pro")]})
        assert list(errors) == ["audience.match"]

    def test_it_names_the_place_of_a_bad_match_in_a_nested_group(self):
        document = {"rules": [{"match": "either", "rules": [rule("contact.plan", "is", "a")]}]}
        assert list(compile_errors(document)) == ["audience.rules[0].match"]

    def test_it_defaults_match_to_all(self):
        errors = ErrorCollector()
        group = compile_group({"rules": [rule("contact.plan", "is", "Pro")]}, "audience", errors)
        assert errors.errors == {}
        assert group.match == "all"

    def test_it_refuses_a_group_that_is_not_an_object(self):
        assert list(compile_errors(["x"])) == ["audience"]

    def test_it_refuses_rules_that_are_not_a_list(self):
        assert list(compile_errors({"match": "all", "rules": "contact.plan"})) == ["audience.rules"]

    def test_it_refuses_a_rule_that_is_not_an_object(self):
        assert list(compile_errors({"rules": [rule("contact.plan", "is", "a"), "x"]})) == [
            "audience.rules[1]"
        ]

    def test_it_refuses_unknown_keys_on_a_group(self):
        errors = compile_errors({"match": "all", "rules": [], "when": 1})
        assert list(errors) == ["audience"]
        assert "when" in errors["audience"][0]

    def test_it_collects_every_error_rather_than_stopping_at_the_first(self):
        document = {
            "match": "most",
            "rules": [
                rule("contact.nope", "is", "x"),
                rule("contact.plan", "gt", 1),
                rule("contact.monthly_spend", "gt", "lots"),
                rule("contact.plan", "is"),
            ],
        }
        assert set(compile_errors(document)) == {
            "audience.match",
            "audience.rules[0].attribute",
            "audience.rules[1].operator",
            "audience.rules[2].value",
            "audience.rules[3].value",
        }

    def test_it_refuses_groups_nested_too_deep(self):
        document = {"rules": [rule("contact.plan", "is", "Pro")]}
        for _ in range(12):
            document = {"match": "all", "rules": [document]}
        errors = compile_errors(document)
        assert len(errors) == 1
        assert "nest" in next(iter(errors.values()))[0]

    def test_it_refuses_too_many_rules_in_a_group(self):
        errors = compile_errors({"rules": [rule("contact.plan", "is", "a")] * 51})
        assert list(errors) == ["audience.rules"]

    def test_it_uses_the_place_it_is_given(self):
        errors = compile_errors(
            {"rules": [rule("contact.plan", "gt", 1)]}, place="steps[2].branches[0].when"
        )
        assert list(errors) == ["steps[2].branches[0].when.rules[0].operator"]

    def test_it_raises_a_definition_error_carrying_the_places(self):
        errors = ErrorCollector()
        compile_group({"rules": [rule("contact.plan", "gt", 1)]}, "audience", errors)
        with pytest.raises(DefinitionError) as raised:
            errors.raise_if_any()
        assert list(raised.value.errors) == ["audience.rules[0].operator"]


class TestText:
    @pytest.mark.parametrize(
        ("operator", "value", "actual", "expected"),
        [
            ("is", "Pro", "Pro", True),
            ("is", "Pro", "pro", True),
            ("is", "pro", "PRO", True),
            ("is", "Pro", "Premium", False),
            ("is_not", "Pro", "Free", True),
            ("is_not", "Pro", "pRO", False),
            ("contains", "PROJECT", "About my project, please", True),
            ("contains", "project", "Just a question", False),
            ("not_contains", "Refund", "I want a REFUND", False),
            ("not_contains", "refund", "Thanks!", True),
            ("starts_with", "hello", "Hello there", True),
            ("starts_with", "there", "Hello there", False),
            ("ends_with", "THERE", "Hello there", True),
            ("ends_with", "hello", "Hello there", False),
            ("in", ["Pro", "Premium"], "premium", True),
            ("in", ["Pro", "Premium"], "Free", False),
            ("not_in", ["Pro", "Premium"], "Free", True),
            ("not_in", ["Pro", "Premium"], "PRO", False),
        ],
    )
    def test_it_compares_text_ignoring_case(self, operator, value, actual, expected):
        assert matches("contact.plan", operator, value, actual) is expected

    @pytest.mark.parametrize(
        "attribute",
        [
            "contact.name",
            "contact.email",
            "contact.role",
            "company.name",
            "company.plan",
            "conversation.state",
            "conversation.assignee",
            "conversation.team",
            "conversation.channel",
            "message.body",
            "message.author_type",
        ],
    )
    def test_it_treats_every_text_attribute_as_text(self, attribute):
        assert matches(attribute, "is", "Alpha", "ALPHA")
        assert matches(attribute, "contains", "lph", "Alpha")
        assert not matches(attribute, "is", "Alpha", "Beta")

    def test_it_ignores_surrounding_spaces_in_the_rule_value(self):
        assert matches("contact.plan", "is", "  Pro ", "pro")

    @pytest.mark.parametrize(
        ("operator", "value", "actual", "expected"),
        [
            ("is", "Monday", "monday", True),
            ("is", "monday", "Tuesday", False),
            ("in", ["Saturday", "sunday"], "Sunday", True),
            ("not_in", ["Saturday", "sunday"], "friday", True),
        ],
    )
    def test_it_compares_weekdays(self, operator, value, actual, expected):
        assert matches("time.weekday", operator, value, actual) is expected

    @pytest.mark.parametrize(
        ("operator", "value", "expected"),
        [
            ("is", "Pro", False),
            ("is_not", "Pro", True),
            ("contains", "P", False),
            ("not_contains", "P", True),
            ("starts_with", "P", False),
            ("ends_with", "o", False),
            ("in", ["Pro"], False),
            ("not_in", ["Pro"], True),
            ("is_set", NO_VALUE, False),
            ("is_unknown", NO_VALUE, True),
        ],
    )
    @pytest.mark.parametrize("actual", [None, ""])
    def test_it_treats_unknown_text(self, operator, value, expected, actual):
        assert matches("contact.plan", operator, value, actual) is expected

    def test_it_treats_a_missing_key_as_unknown(self):
        group = compile_ok(rule("contact.plan", "is_unknown"))
        assert group.evaluate({"time.now": NOW})
        assert not compile_ok(rule("contact.plan", "is_set")).evaluate({"time.now": NOW})
        assert compile_ok(rule("contact.plan", "is_not", "Pro")).evaluate({"time.now": NOW})
        assert not compile_ok(rule("contact.plan", "is", "Pro")).evaluate({"time.now": NOW})

    def test_it_treats_present_text_as_set(self):
        assert matches("contact.plan", "is_set", NO_VALUE, "Free")
        assert not matches("contact.plan", "is_unknown", NO_VALUE, "Free")

    def test_it_is_false_and_does_not_raise_for_a_non_text_actual_value(self):
        group = compile_ok(rule("message.body", "contains", "x"))
        matched, failures = group.check(facts_with("message.body", ["x"]))
        assert not matched
        assert failures[0].note


class TestNumbers:
    @pytest.mark.parametrize(
        ("operator", "value", "actual", "expected"),
        [
            ("gt", 500, 501, True),
            ("gt", 500, 500, False),
            ("gte", 500, 500, True),
            ("gte", 500, 499.99, False),
            ("lt", 500, 499.99, True),
            ("lt", 500, 500, False),
            ("lte", 500, 500, True),
            ("lte", 500, 500.01, False),
            ("is", 500, 500, True),
            ("is", 500, 501, False),
            ("is_not", 500, 501, True),
            ("is_not", 500, 500, False),
            ("in", [100, 200], 200, True),
            ("in", [100, 200], 300, False),
            ("not_in", [100, 200], 300, True),
            ("not_in", [100, 200], 100, False),
        ],
    )
    def test_it_applies_each_number_operator(self, operator, value, actual, expected):
        assert matches("contact.monthly_spend", operator, value, actual) is expected

    @pytest.mark.parametrize(
        "actual", [600, 600.0, Decimal("600"), Decimal("600.00"), "600", " 600 ", "6e2"]
    )
    @pytest.mark.parametrize("value", [500, 500.0, Decimal("500"), "500", "500.00"])
    def test_it_compares_every_number_form_as_a_number(self, actual, value):
        assert matches("contact.monthly_spend", "gt", value, actual)
        assert not matches("contact.monthly_spend", "lt", value, actual)
        assert matches("contact.monthly_spend", "is", 600, actual)

    def test_it_does_not_compare_numbers_as_text(self):
        # As text, "9" > "10"; as numbers it is not.
        assert not matches("contact.monthly_spend", "gt", "10", "9")
        assert matches("contact.monthly_spend", "gt", 9, "10")

    def test_it_compares_floats_exactly_as_written(self):
        assert matches("contact.monthly_spend", "is", 0.1, 0.1)
        assert matches("contact.monthly_spend", "is", "0.1", Decimal("0.1"))
        assert matches("contact.monthly_spend", "gt", 0.1, 0.2)

    def test_it_compares_company_size_as_a_number(self):
        assert matches("company.size", "gte", 50, 120)
        assert matches("company.monthly_spend", "lt", "1000", Decimal("999.5"))

    @pytest.mark.parametrize(
        ("operator", "value", "expected"),
        [
            ("gt", 0, False),
            ("gte", 0, False),
            ("lt", 0, False),
            ("lte", 0, False),
            ("is", 0, False),
            ("is_not", 0, True),
            ("in", [0], False),
            ("not_in", [0], True),
            ("is_set", NO_VALUE, False),
            ("is_unknown", NO_VALUE, True),
        ],
    )
    def test_it_treats_an_unknown_number(self, operator, value, expected):
        assert matches("contact.monthly_spend", operator, value, None) is expected

    def test_it_treats_zero_as_known(self):
        assert matches("contact.monthly_spend", "is_set", NO_VALUE, 0)
        assert matches("contact.monthly_spend", "is", 0, 0)

    @pytest.mark.parametrize(
        "actual", ["lots", True, [1], float("nan"), float("inf"), Decimal("NaN"), "NaN", "inf"]
    )
    @pytest.mark.parametrize("operator", ["gt", "gte", "lt", "lte", "is", "in"])
    def test_it_is_false_and_does_not_raise_for_a_value_that_is_no_number(self, actual, operator):
        value = [5] if operator == "in" else 5
        group = compile_ok(rule("contact.monthly_spend", operator, value))
        matched, failures = group.check(facts_with("contact.monthly_spend", actual))
        assert not matched
        assert len(failures) == 1
        assert failures[0].note


class TestDates:
    @pytest.mark.parametrize(
        ("operator", "value", "actual", "expected"),
        [
            ("before", "2026-01-31", datetime(2026, 1, 30, tzinfo=UTC), True),
            ("before", "2026-01-31", datetime(2026, 2, 1, tzinfo=UTC), False),
            ("before", "2026-01-31", datetime(2026, 1, 31, tzinfo=UTC), False),
            ("after", "2026-01-31", datetime(2026, 2, 1, tzinfo=UTC), True),
            ("after", "2026-01-31", datetime(2026, 1, 30, tzinfo=UTC), False),
            ("after", "2026-01-31T10:00:00+00:00", datetime(2026, 1, 31, 11, tzinfo=UTC), True),
            ("before", "2026-01-31T10:00:00+02:00", datetime(2026, 1, 31, 9, tzinfo=UTC), False),
            ("before", "2026-01-31T10:00:00+02:00", datetime(2026, 1, 31, 7, tzinfo=UTC), True),
        ],
    )
    def test_it_compares_dates_with_before_and_after(self, operator, value, actual, expected):
        assert matches("contact.created_at", operator, value, actual) is expected

    def test_it_reads_dates_and_text_actual_values(self):
        assert matches("contact.created_at", "before", "2026-01-31", date(2026, 1, 30))
        assert matches("contact.created_at", "after", "2026-01-31", "2026-02-03T08:00:00Z")

    @pytest.mark.parametrize(
        ("operator", "days", "age", "expected"),
        [
            ("more_than_days_ago", 3, timedelta(days=4), True),
            ("more_than_days_ago", 3, timedelta(days=2), False),
            ("more_than_days_ago", 3, timedelta(days=3, seconds=1), True),
            ("more_than_days_ago", 3, timedelta(days=3, seconds=-1), False),
            ("less_than_days_ago", 3, timedelta(days=2), True),
            ("less_than_days_ago", 3, timedelta(days=4), False),
            ("less_than_days_ago", 3, timedelta(days=3, seconds=-1), True),
            ("less_than_days_ago", 3, timedelta(days=3, seconds=1), False),
            ("more_than_days_ago", 0, timedelta(seconds=1), True),
            ("less_than_days_ago", 0, timedelta(seconds=1), False),
        ],
    )
    def test_it_measures_days_ago_from_time_now(self, operator, days, age, expected):
        assert matches("conversation.created_at", operator, days, NOW - age) is expected

    @pytest.mark.parametrize("days", [10**6, 10**12])
    def test_it_handles_more_days_than_the_calendar_holds(self, days):
        created = datetime(1, 1, 2, tzinfo=UTC)
        assert not matches("contact.created_at", "more_than_days_ago", days, created)
        assert matches("contact.created_at", "less_than_days_ago", days, created)

    def test_it_uses_the_facts_time_now_rather_than_the_clock(self):
        group = compile_ok(rule("contact.created_at", "less_than_days_ago", 3))
        created = datetime(2020, 1, 1, tzinfo=UTC)
        assert group.evaluate(
            {"time.now": datetime(2020, 1, 2, tzinfo=UTC), "contact.created_at": created}
        )
        assert not group.evaluate({"time.now": NOW, "contact.created_at": created})

    @pytest.mark.parametrize(
        ("operator", "value", "expected"),
        [
            ("before", "2026-01-31", False),
            ("after", "2026-01-31", False),
            ("more_than_days_ago", 3, False),
            ("less_than_days_ago", 3, False),
            ("is_set", NO_VALUE, False),
            ("is_unknown", NO_VALUE, True),
        ],
    )
    def test_it_treats_an_unknown_date(self, operator, value, expected):
        assert matches("contact.created_at", operator, value, None) is expected

    @pytest.mark.parametrize("actual", [12, "someday", True, {"a"}])
    def test_it_is_false_and_does_not_raise_for_a_value_that_is_no_date(self, actual):
        group = compile_ok(rule("contact.created_at", "before", "2026-01-31"))
        matched, failures = group.check(facts_with("contact.created_at", actual))
        assert not matched
        assert failures[0].note


class TestTags:
    @pytest.mark.parametrize(
        ("operator", "value", "tags", "expected"),
        [
            ("contains", "VIP", {"vip", "billing"}, True),
            ("contains", "vip", {"billing"}, False),
            ("not_contains", "VIP", {"billing"}, True),
            ("not_contains", "Vip", {"vip"}, False),
            ("in", ["VIP", "Urgent"], {"urgent", "billing"}, True),
            ("in", ["VIP", "Urgent"], {"billing"}, False),
            ("not_in", ["VIP", "Urgent"], {"billing"}, True),
            ("not_in", ["VIP", "Urgent"], {"vip"}, False),
            ("is_set", NO_VALUE, {"vip"}, True),
            ("is_unknown", NO_VALUE, {"vip"}, False),
        ],
    )
    def test_it_checks_tags(self, operator, value, tags, expected):
        assert matches("conversation.tags", operator, value, tags) is expected

    def test_it_means_has_the_tag_not_a_substring(self):
        assert not matches("conversation.tags", "contains", "vip", {"vip-lead"})
        assert not matches("conversation.tags", "contains", "bill", {"billing"})

    def test_it_accepts_tags_as_a_list_or_frozenset(self):
        assert matches("conversation.tags", "contains", "VIP", ["VIP"])
        assert matches("conversation.tags", "contains", "VIP", frozenset({"vip"}))

    @pytest.mark.parametrize("tags", [set(), None])
    @pytest.mark.parametrize(
        ("operator", "value", "expected"),
        [
            ("contains", "vip", False),
            ("not_contains", "vip", True),
            ("in", ["vip"], False),
            ("not_in", ["vip"], True),
            ("is_set", NO_VALUE, False),
            ("is_unknown", NO_VALUE, True),
        ],
    )
    def test_it_treats_no_tags_as_unknown(self, tags, operator, value, expected):
        assert matches("conversation.tags", operator, value, tags) is expected

    def test_it_is_false_and_does_not_raise_for_tags_that_are_no_collection(self):
        group = compile_ok(rule("conversation.tags", "contains", "vip"))
        matched, failures = group.check(facts_with("conversation.tags", 5))
        assert not matched
        assert failures[0].note


class TestBooleans:
    @pytest.mark.parametrize("attribute", ["conversation.priority", "conversation.in_bot_inbox"])
    @pytest.mark.parametrize(
        ("operator", "value", "actual", "expected"),
        [
            ("is", True, True, True),
            ("is", True, False, False),
            ("is", False, False, True),
            ("is_not", True, False, True),
            ("is_not", False, False, False),
            ("is", True, None, False),
            ("is_not", True, None, True),
            ("is_set", NO_VALUE, False, True),
            ("is_unknown", NO_VALUE, False, False),
            ("is_unknown", NO_VALUE, None, True),
        ],
    )
    def test_it_compares_booleans(self, attribute, operator, value, actual, expected):
        assert matches(attribute, operator, value, actual) is expected

    def test_it_checks_office_hours(self):
        assert matches("time.office_hours", "is", True, True)
        assert not matches("time.office_hours", "is", True, False)

    @pytest.mark.parametrize("actual", [1, 0, "true", "yes"])
    def test_it_does_not_treat_other_values_as_booleans(self, actual):
        group = compile_ok(rule("conversation.priority", "is", True))
        matched, failures = group.check(facts_with("conversation.priority", actual))
        assert not matched
        assert failures[0].note


class TestCustomAttributes:
    @pytest.mark.parametrize("scope", ["contact", "company", "conversation"])
    def test_it_reads_custom_attributes_from_the_scope_dict(self, scope):
        attribute = f"{scope}.custom.tier"
        group = compile_ok(rule(attribute, "is", "Gold"))
        assert group.evaluate({"time.now": NOW, f"{scope}.custom": {"tier": "gold"}})
        assert not group.evaluate({"time.now": NOW, f"{scope}.custom": {"tier": "silver"}})

    def test_it_does_not_read_a_flat_fact_for_a_custom_attribute(self):
        group = compile_ok(rule("contact.custom.tier", "is_set"))
        assert not group.evaluate({"time.now": NOW, "contact.custom.tier": "gold"})

    @pytest.mark.parametrize("custom", [None, {}, {"other": 1}])
    def test_it_treats_a_missing_custom_attribute_as_unknown(self, custom):
        facts = {"time.now": NOW, "contact.custom": custom}
        assert compile_ok(rule("contact.custom.tier", "is_unknown")).evaluate(facts)
        assert not compile_ok(rule("contact.custom.tier", "is_set")).evaluate(facts)
        assert compile_ok(rule("contact.custom.tier", "is_not", "x")).evaluate(facts)
        assert compile_ok(rule("contact.custom.tier", "not_in", ["x"])).evaluate(facts)
        assert compile_ok(rule("contact.custom.tier", "not_contains", "x")).evaluate(facts)
        assert not compile_ok(rule("contact.custom.tier", "is", "x")).evaluate(facts)
        assert not compile_ok(rule("contact.custom.tier", "gt", 1)).evaluate(facts)
        assert not compile_ok(rule("contact.custom.tier", "contains", "x")).evaluate(facts)

    def test_it_treats_a_missing_custom_dict_as_unknown(self):
        assert compile_ok(rule("company.custom.seats", "is_unknown")).evaluate({"time.now": NOW})

    @pytest.mark.parametrize(
        ("operator", "value", "actual", "expected"),
        [
            ("is", "Gold", "GOLD", True),
            ("is_not", "Gold", "silver", True),
            ("contains", "old", "Gold", True),
            ("not_contains", "old", "Silver", True),
            ("starts_with", "GO", "gold", True),
            ("ends_with", "LD", "gold", True),
            ("in", ["gold", "silver"], "Silver", True),
            ("not_in", ["gold", "silver"], "Bronze", True),
            ("gt", 10, 11, True),
            ("gt", 10, "11", True),
            ("lte", "10", 10.0, True),
            ("is", 10, "10", True),
            ("is", 10, Decimal("10.0"), True),
            ("is", True, True, True),
            ("is", False, True, False),
            ("is_not", False, True, True),
            ("in", [1, 2], 2, True),
            ("before", "2026-01-31", "2026-01-01", True),
            ("after", "2026-01-31", datetime(2026, 2, 1, tzinfo=UTC), True),
            ("more_than_days_ago", 3, NOW - timedelta(days=5), True),
            ("less_than_days_ago", 3, NOW - timedelta(days=5), False),
        ],
    )
    def test_it_applies_operators_to_custom_values(self, operator, value, actual, expected):
        assert matches("contact.custom.k", operator, value, actual) is expected

    @pytest.mark.parametrize(
        ("operator", "value", "actual"),
        [
            ("gt", 5, "lots"),
            ("gte", 5, "lots"),
            ("lt", 5, True),
            ("is", 5, "lots"),
            ("is", True, "true"),
            ("is", "yes", True),
            ("contains", "a", 12),
            ("starts_with", "a", ["a"]),
            ("before", "2026-01-31", "soon"),
            ("more_than_days_ago", 3, 17),
            ("in", [1, 2], "one"),
        ],
    )
    def test_it_is_false_with_a_note_on_a_type_mismatch(self, operator, value, actual):
        group = compile_ok(rule("contact.custom.k", operator, value))
        matched, failures = group.check(facts_with("contact.custom.k", actual))
        assert matched is False
        assert len(failures) == 1
        failure = failures[0]
        assert failure.attribute == "contact.custom.k"
        assert failure.actual == actual
        assert failure.note
        assert failure.note in failure.describe()

    def test_it_keeps_evaluating_other_rules_after_a_mismatch(self):
        group = compile_ok(
            rule("contact.custom.k", "gt", 5),
            rule("contact.plan", "is", "Pro"),
            match="any",
        )
        facts = {"time.now": NOW, "contact.custom": {"k": "lots"}, "contact.plan": "pro"}
        assert group.evaluate(facts)

    @pytest.mark.parametrize("value", [5, True])
    @pytest.mark.parametrize("operator", ["contains", "not_contains", "starts_with", "ends_with"])
    def test_it_refuses_a_non_text_value_for_a_text_operator(self, operator, value):
        errors = compile_errors({"rules": [rule("contact.custom.k", operator, value)]})
        assert list(errors) == ["audience.rules[0].value"]
        assert errors["audience.rules[0].value"] == ["K (contact data) must be text."]

    @pytest.mark.parametrize("actual", ["abc", 5, True])
    def test_it_finds_a_value_in_a_list_of_mixed_types(self, actual):
        group = compile_ok(rule("contact.custom.k", "in", [5, "abc", "x", True, "y"]))
        assert group.evaluate(facts_with("contact.custom.k", actual))
        not_in = compile_ok(rule("contact.custom.k", "not_in", [5, "abc", "x", True, "y"]))
        assert not not_in.evaluate(facts_with("contact.custom.k", actual))

    def test_it_keeps_true_and_one_apart_in_a_list(self):
        assert matches("contact.custom.k", "in", [1, True], True)
        assert matches("contact.custom.k", "in", [True, 1], 1)
        assert not matches("contact.custom.k", "in", [1], True)

    def test_it_does_not_find_a_value_missing_from_a_list_of_mixed_types(self):
        facts = facts_with("contact.custom.k", "zzz")
        assert not compile_ok(rule("contact.custom.k", "in", [5, "abc"])).evaluate(facts)
        assert compile_ok(rule("contact.custom.k", "not_in", [5, "abc"])).evaluate(facts)


def leaf(plan):
    return rule("contact.plan", "is", plan)


class TestGroups:
    FACTS = {"time.now": NOW, "contact.plan": "Pro", "contact.monthly_spend": 800}

    def check(self, document):
        errors = ErrorCollector()
        group = compile_group(document, "audience", errors)
        assert errors.errors == {}
        return group.evaluate(self.FACTS)

    @pytest.mark.parametrize(
        ("plans", "expected"), [(["Pro", "Pro"], True), (["Pro", "Free"], False)]
    )
    def test_it_needs_every_rule_in_an_all_group(self, plans, expected):
        assert self.check({"match": "all", "rules": [leaf(p) for p in plans]}) is expected

    @pytest.mark.parametrize(
        ("plans", "expected"), [(["Free", "Pro"], True), (["Free", "Team"], False)]
    )
    def test_it_needs_one_rule_in_an_any_group(self, plans, expected):
        assert self.check({"match": "any", "rules": [leaf(p) for p in plans]}) is expected

    def test_it_matches_an_empty_all_group_and_not_an_empty_any_group(self):
        assert self.check({"match": "all", "rules": []})
        assert not self.check({"match": "any", "rules": []})

    def test_it_nests_groups_three_deep(self):
        document = {
            "match": "all",
            "rules": [
                rule("contact.monthly_spend", "gt", 500),
                {
                    "match": "any",
                    "rules": [
                        leaf("Free"),
                        {
                            "match": "all",
                            "rules": [
                                leaf("Pro"),
                                {"match": "any", "rules": [leaf("Team"), leaf("pro")]},
                            ],
                        },
                    ],
                },
            ],
        }
        assert self.check(document)
        document["rules"][1]["rules"][1]["rules"][1]["rules"][1] = leaf("Enterprise")
        assert not self.check(document)

    def test_it_nests_groups_to_the_limit(self):
        document = leaf("Pro")
        for depth in range(10):
            document = {"match": "all" if depth % 2 else "any", "rules": [leaf("x"), document]}
        assert not self.check(document)
        document = {"match": "any", "rules": [leaf("x"), document]}
        assert not self.check(document)

    def test_it_negates_nothing_by_nesting(self):
        inner = {"match": "any", "rules": [leaf("Free"), leaf("Team")]}
        assert not self.check({"match": "all", "rules": [inner]})
        assert not self.check({"match": "any", "rules": [{"match": "all", "rules": [inner]}]})

    def test_it_lists_the_attributes_it_reads(self):
        errors = ErrorCollector()
        group = compile_group(
            {
                "rules": [
                    leaf("Pro"),
                    {"match": "any", "rules": [rule("conversation.tags", "contains", "vip")]},
                ]
            },
            "audience",
            errors,
        )
        assert group.attributes == {"contact.plan", "conversation.tags"}

    def test_it_compiles_to_rules_and_groups(self):
        group = compile_ok(leaf("Pro"), {"match": "any", "rules": [leaf("Free")]})
        assert isinstance(group, Group)
        assert isinstance(group.members[0], Rule)
        assert group.members[0].value == "pro"
        assert group.members[0].raw_value == "Pro"
        assert isinstance(group.members[1], Group)
        assert group.members[1].match == "any"


class TestExplanations:
    def test_it_returns_no_failures_on_a_match(self):
        group = compile_ok(leaf("Pro"))
        assert group.check({"time.now": NOW, "contact.plan": "Pro"}) == (True, [])

    def test_it_returns_the_first_failing_rule_of_an_all_group(self):
        group = compile_ok(
            rule("contact.monthly_spend", "gt", 500),
            leaf("Pro"),
            rule("contact.role", "is", "user"),
        )
        facts = {
            "time.now": NOW,
            "contact.monthly_spend": 800,
            "contact.plan": "Free",
            "contact.role": "lead",
        }
        matched, failures = group.check(facts)
        assert matched is False
        assert failures == [Failure("contact.plan", "is", "Pro", "Free")]

    def test_it_describes_a_failure(self):
        group = compile_ok(leaf("Pro"))
        _, failures = group.check({"time.now": NOW, "contact.plan": "Free"})
        assert failures[0].describe() == 'Plan is "Pro" — actual value "Free"'

    def test_it_describes_an_unknown_actual_value(self):
        group = compile_ok(rule("contact.monthly_spend", "gt", 500))
        _, failures = group.check({"time.now": NOW})
        assert failures[0].describe() == "Monthly spend is greater than 500 — actual value unknown"

    def test_it_describes_a_unary_rule_without_a_value(self):
        group = compile_ok(rule("contact.email", "is_set"))
        _, failures = group.check({"time.now": NOW, "contact.email": None})
        assert failures[0].describe() == "Email is known — actual value unknown"

    def test_it_describes_tags_and_lists(self):
        group = compile_ok(rule("conversation.tags", "in", ["VIP", "Urgent"]))
        _, failures = group.check({"time.now": NOW, "conversation.tags": {"billing", "api"}})
        assert failures[0].describe() == (
            "Tags is any of ['VIP', 'Urgent'] — actual value [\"api\", \"billing\"]"
        )

    def test_it_describes_a_mismatch_with_its_note(self):
        group = compile_ok(rule("contact.custom.seats", "gt", 5))
        _, failures = group.check({"time.now": NOW, "contact.custom": {"seats": "many"}})
        text = failures[0].describe()
        assert text.startswith('Seats (contact data) is greater than 5 — actual value "many" (')
        assert "'many' is not a number" in text

    def test_it_returns_every_failure_of_an_any_group(self):
        group = compile_ok(leaf("Pro"), rule("contact.monthly_spend", "gt", 500), match="any")
        _, failures = group.check(
            {"time.now": NOW, "contact.plan": "Free", "contact.monthly_spend": 20}
        )
        assert [f.attribute for f in failures] == ["contact.plan", "contact.monthly_spend"]
        assert [f.actual for f in failures] == ["Free", 20]

    def test_it_explains_a_failure_inside_a_nested_group(self):
        group = compile_ok(
            leaf("Pro"),
            {
                "match": "all",
                "rules": [
                    rule("contact.monthly_spend", "gt", 500),
                    {"match": "all", "rules": [rule("conversation.tags", "contains", "VIP")]},
                ],
            },
        )
        facts = {
            "time.now": NOW,
            "contact.plan": "pro",
            "contact.monthly_spend": "900",
            "conversation.tags": {"billing"},
        }
        matched, failures = group.check(facts)
        assert not matched
        assert failures == [Failure("conversation.tags", "contains", "VIP", {"billing"})]

    def test_it_serialises_a_failure(self):
        failure = Failure("contact.monthly_spend", "gt", 500, Decimal("20.5"))
        assert failure.as_dict() == {
            "attribute": "contact.monthly_spend",
            "operator": "gt",
            "value": 500,
            "actual": 20.5,
            "note": "",
        }
        tags = Failure("conversation.tags", "contains", "vip", {"b", "a"}).as_dict()
        assert tags["actual"] == ["a", "b"]
        moment = Failure("contact.created_at", "before", "2026-01-01", NOW).as_dict()
        assert moment["actual"] == NOW.isoformat()
