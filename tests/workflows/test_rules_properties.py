"""Property tests: the rule engine agrees with a small, plain reference implementation."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workflows.engine.errors import ErrorCollector
from workflows.engine.rules import ALL_OPERATORS, compile_group
from workflows.vocabulary import attribute_label, operator_words

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
MISSING = object()  # the fact is not in the mapping at all
NEGATIVE = {"is_not", "not_contains", "not_in"}

TEXT_OPERATORS = [
    "is",
    "is_not",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "in",
    "not_in",
    "is_set",
    "is_unknown",
]
NUMBER_OPERATORS = [
    "is",
    "is_not",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "not_in",
    "is_set",
    "is_unknown",
]
TAG_OPERATORS = ["contains", "not_contains", "in", "not_in", "is_set", "is_unknown"]
DATE_OPERATORS = [
    "before",
    "after",
    "more_than_days_ago",
    "less_than_days_ago",
    "is_set",
    "is_unknown",
]

TEXT_ATTRIBUTE = "contact.plan"
NUMBER_ATTRIBUTE = "contact.monthly_spend"
TAG_ATTRIBUTE = "conversation.tags"
DATE_ATTRIBUTE = "contact.created_at"


# --- the reference: plain Python, one branch per operator --------------------------------


class NotComparable(Exception):
    pass


class Unknown:
    pass


def reference_text(operator, value, actual):
    if actual is MISSING or actual is None or actual == "":
        actual = Unknown
    if operator == "is_unknown":
        return actual is Unknown
    if operator == "is_set":
        return actual is not Unknown
    if actual is Unknown:
        return operator in NEGATIVE
    text = actual.lower()
    if operator == "is":
        return text == value.lower()
    if operator == "is_not":
        return text != value.lower()
    if operator == "contains":
        return value.lower() in text
    if operator == "not_contains":
        return value.lower() not in text
    if operator == "starts_with":
        return text.startswith(value.lower())
    if operator == "ends_with":
        return text.endswith(value.lower())
    if operator == "in":
        return text in [v.lower() for v in value]
    if operator == "not_in":
        return text not in [v.lower() for v in value]
    raise AssertionError(operator)


def as_number(x):
    """An exact number; a float means the number it prints as."""
    if isinstance(x, bool):
        raise NotComparable
    if isinstance(x, int):
        return Fraction(x)
    if isinstance(x, float):
        if x != x or x in (float("inf"), float("-inf")):
            raise NotComparable
        return Fraction(repr(x))
    if isinstance(x, Decimal):
        if not x.is_finite():
            raise NotComparable
        return Fraction(x)
    if isinstance(x, str):
        try:
            return Fraction(x.strip())
        except ValueError:
            raise NotComparable from None
    raise NotComparable


def reference_number(operator, value, actual):
    if actual is MISSING or actual is None or actual == "":
        actual = Unknown
    if operator == "is_unknown":
        return actual is Unknown
    if operator == "is_set":
        return actual is not Unknown
    if actual is Unknown:
        return operator in NEGATIVE
    try:
        number = as_number(actual)
    except NotComparable:
        return False
    if operator == "is":
        return number == as_number(value)
    if operator == "is_not":
        return number != as_number(value)
    if operator == "gt":
        return number > as_number(value)
    if operator == "gte":
        return number >= as_number(value)
    if operator == "lt":
        return number < as_number(value)
    if operator == "lte":
        return number <= as_number(value)
    if operator == "in":
        return number in [as_number(v) for v in value]
    if operator == "not_in":
        return number not in [as_number(v) for v in value]
    raise AssertionError(operator)


def reference_tags(operator, value, actual):
    if actual is MISSING or actual is None or len(actual) == 0:
        actual = Unknown
    if operator == "is_unknown":
        return actual is Unknown
    if operator == "is_set":
        return actual is not Unknown
    if actual is Unknown:
        return operator in NEGATIVE
    tags = {name.lower() for name in actual}
    if operator == "contains":
        return value.lower() in tags
    if operator == "not_contains":
        return value.lower() not in tags
    if operator == "in":
        return any(v.lower() in tags for v in value)
    if operator == "not_in":
        return not any(v.lower() in tags for v in value)
    raise AssertionError(operator)


def reference_date(operator, value, actual):
    if actual is MISSING or actual is None:
        actual = Unknown
    if operator == "is_unknown":
        return actual is Unknown
    if operator == "is_set":
        return actual is not Unknown
    if actual is Unknown:
        return False
    if operator == "before":
        return actual < datetime.fromisoformat(value)
    if operator == "after":
        return actual > datetime.fromisoformat(value)
    if operator == "more_than_days_ago":
        return NOW - actual > timedelta(days=value)
    if operator == "less_than_days_ago":
        return NOW - actual < timedelta(days=value)
    raise AssertionError(operator)


REFERENCES = {
    TEXT_ATTRIBUTE: reference_text,
    NUMBER_ATTRIBUTE: reference_number,
    TAG_ATTRIBUTE: reference_tags,
    DATE_ATTRIBUTE: reference_date,
}


def reference_group(group, facts):
    if "rules" in group:
        results = [reference_group(member, facts) for member in group["rules"]]
        return all(results) if group["match"] == "all" else any(results)
    reference = REFERENCES[group["attribute"]]
    return reference(group["operator"], group.get("value"), facts.get(group["attribute"], MISSING))


# --- strategies ---------------------------------------------------------------------------

# Letters whose case matters, a space, and a few characters that lower() treats specially.
LETTERS = "aAbBcC ßİΣς"
words = st.text(alphabet=LETTERS, max_size=5)
# Rule values are trimmed when compiled; keep generated ones already trimmed.
text_values = words.map(str.strip)
text_actuals = st.one_of(st.just(MISSING), st.none(), st.just(""), words)

integers = st.integers(min_value=-(10**6), max_value=10**6)
small_floats = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
decimals = st.decimals(
    min_value=-(10**6), max_value=10**6, allow_nan=False, allow_infinity=False, places=2
)
numbers = st.one_of(
    integers,
    small_floats,
    decimals,
    st.sampled_from([0, 1, 500, 500.0, Decimal("500.00"), 0.1, 0.2, -0.0]),
)
numeric_strings = st.one_of(integers.map(str), decimals.map(str), small_floats.map(repr))
number_values = st.one_of(numbers, numeric_strings)
number_actuals = st.one_of(
    st.just(MISSING),
    st.none(),
    numbers,
    numeric_strings,
    numeric_strings.map(lambda s: f" {s} "),
    st.sampled_from(["lots", "", True, False, float("nan"), float("inf"), Decimal("NaN")]),
)

tag_names = st.sampled_from(["vip", "billing", "urgent", "api", "bug"])
tag_values = tag_names.flatmap(lambda name: st.sampled_from([name, name.upper(), name.title()]))
tag_actuals = st.one_of(
    st.just(MISSING),
    st.none(),
    st.frozensets(tag_names, max_size=4).map(set),
    st.lists(tag_names, max_size=4),
)

moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)
date_values = moments.map(lambda m: m.isoformat())
date_actuals = st.one_of(st.just(MISSING), st.none(), moments)
days = st.integers(min_value=0, max_value=400)


def lists_of(values):
    return st.lists(values, min_size=1, max_size=4)


@st.composite
def text_rules(draw):
    operator = draw(st.sampled_from(TEXT_OPERATORS))
    rule = {"attribute": TEXT_ATTRIBUTE, "operator": operator}
    if operator in ("in", "not_in"):
        rule["value"] = draw(lists_of(text_values))
    elif operator not in ("is_set", "is_unknown"):
        rule["value"] = draw(text_values)
    return rule


@st.composite
def number_rules(draw):
    operator = draw(st.sampled_from(NUMBER_OPERATORS))
    rule = {"attribute": NUMBER_ATTRIBUTE, "operator": operator}
    if operator in ("in", "not_in"):
        rule["value"] = draw(lists_of(number_values))
    elif operator not in ("is_set", "is_unknown"):
        rule["value"] = draw(number_values)
    return rule


@st.composite
def tag_rules(draw):
    operator = draw(st.sampled_from(TAG_OPERATORS))
    rule = {"attribute": TAG_ATTRIBUTE, "operator": operator}
    if operator in ("in", "not_in"):
        rule["value"] = draw(lists_of(tag_values))
    elif operator not in ("is_set", "is_unknown"):
        rule["value"] = draw(tag_values)
    return rule


@st.composite
def date_rules(draw):
    operator = draw(st.sampled_from(DATE_OPERATORS))
    rule = {"attribute": DATE_ATTRIBUTE, "operator": operator}
    if operator in ("before", "after"):
        rule["value"] = draw(date_values)
    elif operator not in ("is_set", "is_unknown"):
        rule["value"] = draw(days)
    return rule


any_rule = st.one_of(text_rules(), number_rules(), tag_rules(), date_rules())
groups = st.recursive(
    any_rule,
    lambda members: st.fixed_dictionaries(
        {"match": st.sampled_from(["all", "any"]), "rules": st.lists(members, max_size=4)}
    ),
    max_leaves=12,
)


@st.composite
def all_facts(draw):
    facts = {"time.now": NOW}
    for attribute, actuals in [
        (TEXT_ATTRIBUTE, text_actuals),
        (NUMBER_ATTRIBUTE, number_actuals),
        (TAG_ATTRIBUTE, tag_actuals),
        (DATE_ATTRIBUTE, date_actuals),
    ]:
        actual = draw(actuals)
        if actual is not MISSING:
            facts[attribute] = actual
    return facts


# --- helpers --------------------------------------------------------------------------------


def compile_document(document):
    errors = ErrorCollector()
    group = compile_group(document, "audience", errors)
    assert errors.errors == {}, errors.errors
    return group


def facts_for(attribute, actual):
    facts = {"time.now": NOW}
    if actual is not MISSING:
        facts[attribute] = actual
    return facts


def engine_says(rule, facts):
    group = compile_document({"match": "all", "rules": [rule]})
    matched, failures = group.check(facts)
    assert isinstance(matched, bool)
    assert (failures == []) is matched
    return matched


def wrap(document):
    """A group document for ``document``, which may be a single rule."""
    return document if "rules" in document else {"match": "all", "rules": [document]}


# --- properties -----------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(rule=text_rules(), actual=text_actuals)
def test_text_rules_agree_with_the_reference(rule, actual):
    facts = facts_for(TEXT_ATTRIBUTE, actual)
    expected = reference_text(rule["operator"], rule.get("value"), actual)
    assert engine_says(rule, facts) is expected


@settings(max_examples=200, deadline=None)
@given(rule=number_rules(), actual=number_actuals)
def test_number_rules_agree_with_the_reference(rule, actual):
    facts = facts_for(NUMBER_ATTRIBUTE, actual)
    expected = reference_number(rule["operator"], rule.get("value"), actual)
    assert engine_says(rule, facts) is expected


@settings(max_examples=200, deadline=None)
@given(rule=tag_rules(), actual=tag_actuals)
def test_tag_rules_agree_with_the_reference(rule, actual):
    facts = facts_for(TAG_ATTRIBUTE, actual)
    expected = reference_tags(rule["operator"], rule.get("value"), actual)
    assert engine_says(rule, facts) is expected


@settings(max_examples=200, deadline=None)
@given(rule=date_rules(), actual=date_actuals)
def test_date_rules_agree_with_the_reference(rule, actual):
    facts = facts_for(DATE_ATTRIBUTE, actual)
    expected = reference_date(rule["operator"], rule.get("value"), actual)
    assert engine_says(rule, facts) is expected


@settings(max_examples=200, deadline=None)
@given(document=groups, facts=all_facts())
def test_nested_groups_agree_with_the_reference(document, facts):
    document = wrap(document)
    group = compile_document(document)
    matched, failures = group.check(facts)
    assert matched is reference_group(document, facts)
    assert group.evaluate(facts) is matched
    if matched:
        assert failures == []
    else:
        # Every failure names a rule of the document that is false for these facts.
        for failure in failures:
            reference = REFERENCES[failure.attribute]
            actual = facts.get(failure.attribute, MISSING)
            assert reference(failure.operator, failure.value, actual) is False
            assert failure.actual is facts.get(failure.attribute)
            # In the vocabulary's words: "Plan is …", "Monthly spend is greater than …".
            label = attribute_label(failure.attribute)
            said = operator_words(failure.operator).split(" …")[0]
            assert failure.describe().startswith(f"{label} {said}")


@settings(max_examples=200, deadline=None)
@given(document=groups, facts=all_facts())
def test_a_group_and_its_any_of_one_agree(document, facts):
    document = wrap(document)
    once = compile_document(document).evaluate(facts)
    wrapped = compile_document({"match": "any", "rules": [document]}).evaluate(facts)
    double = compile_document({"match": "all", "rules": [document, document]}).evaluate(facts)
    assert once is wrapped is double


@settings(max_examples=200, deadline=None)
@given(members=st.lists(any_rule, max_size=5), facts=all_facts())
def test_any_is_the_negation_of_all_of_the_negations(members, facts):
    # any(rules) == not all(not rule): checked through the reference for each rule.
    any_group = compile_document({"match": "any", "rules": members}).evaluate(facts)
    all_group = compile_document({"match": "all", "rules": members}).evaluate(facts)
    each = [compile_document(wrap(member)).evaluate(facts) for member in members]
    assert any_group is any(each)
    assert all_group is all(each)


# A custom attribute may hold anything: whatever the rule, evaluation never raises.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    integers,
    small_floats,
    st.sampled_from([float("nan"), float("inf"), Decimal("NaN"), "", "NaN"]),
    words,
    numeric_strings,
    date_values,
    moments,
)
custom_values = st.one_of(scalars, st.lists(scalars, max_size=3), days)
custom_actuals = st.one_of(st.just(MISSING), scalars, st.lists(words, max_size=2))


@settings(max_examples=200, deadline=None)
@given(
    operator=st.sampled_from(sorted(ALL_OPERATORS)),
    value=custom_values,
    actual=custom_actuals,
)
def test_custom_attributes_never_raise(operator, value, actual):
    rule = {"attribute": "contact.custom.k", "operator": operator, "value": value}
    errors = ErrorCollector()
    group = compile_group({"match": "all", "rules": [rule]}, "audience", errors)
    assume(not errors.errors)
    custom = {} if actual is MISSING else {"k": actual}
    matched, failures = group.check({"time.now": NOW, "contact.custom": custom})
    assert isinstance(matched, bool)
    if actual is MISSING or actual is None or actual == "":
        assert matched is (operator in NEGATIVE | {"is_unknown"})
    if not matched:
        assert len(failures) == 1
        assert failures[0].describe()
