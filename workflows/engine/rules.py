"""Targeting rules: validate and compile a rule group once, evaluate it many times.

A group is ``{"match": "all"|"any", "rules": [rule or group, ...]}``; a rule is
``{"attribute", "operator", "value"}``. Facts are a plain mapping from attribute name
to value (text, number, bool, aware datetime, set of tag names, or None for unknown);
custom attributes live in dicts under ``contact.custom``, ``company.custom`` and
``conversation.custom``; ``time.now`` is the moment of evaluation.

A rule that cannot be evaluated at run time (a value of the wrong type) is false and
logged, never an exception.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from conversations.durations import parse_duration
from conversations.validation import MAX_YEAR, MIN_YEAR, moment_problem
from workflows.engine.errors import ErrorCollector
from workflows.vocabulary import (
    OPERATOR_WORDS,
    VALUE_EXPECTED,
    VALUE_NEEDED,
    attribute_label,
    failure_words,
    operator_problem,
    unknown_attribute,
    value_problem,
)
from workflows.vocabulary import value_words as vocabulary_value_words

logger = logging.getLogger(__name__)

TEXT, NUMBER, DATE, BOOL, TAGS, CUSTOM = "text", "number", "date", "bool", "tags", "custom"
# A moment compared with now by a duration ("waiting since more than 2h ago").
TIME = "time"

ATTRIBUTE_TYPES = {
    "contact.name": TEXT,
    "contact.email": TEXT,
    "contact.role": TEXT,
    "contact.plan": TEXT,
    "contact.monthly_spend": NUMBER,
    "contact.created_at": DATE,
    "company.name": TEXT,
    "company.plan": TEXT,
    "company.monthly_spend": NUMBER,
    "company.size": NUMBER,
    "conversation.state": TEXT,
    "conversation.assignee": TEXT,
    "conversation.team": TEXT,
    "conversation.tags": TAGS,
    "conversation.priority": BOOL,
    "conversation.channel": TEXT,
    "conversation.in_bot_inbox": BOOL,
    "conversation.created_at": DATE,
    "conversation.waiting_since": TIME,
    "conversation.last_customer_message_at": TIME,
    "conversation.last_teammate_reply_at": TIME,
    "conversation.snoozed_until": TIME,
    "message.body": TEXT,
    "message.author_type": TEXT,
    "time.office_hours": BOOL,
    "time.weekday": TEXT,
    "event.name": TEXT,
}
CUSTOM_PREFIXES = ("contact.custom.", "company.custom.", "conversation.custom.", "event.metadata.")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

UNARY = {"is_set", "is_unknown"}
NEGATIVE = {"is_not", "not_contains", "not_in"}
OPERATORS = {
    TEXT: {"is", "is_not", "contains", "not_contains", "starts_with", "ends_with", "in", "not_in"}
    | UNARY,
    NUMBER: {"is", "is_not", "gt", "gte", "lt", "lte", "in", "not_in"} | UNARY,
    DATE: {"before", "after", "more_than_days_ago", "less_than_days_ago"} | UNARY,
    BOOL: {"is", "is_not"} | UNARY,
    TAGS: {"contains", "not_contains", "in", "not_in"} | UNARY,
    TIME: {"more_than_ago", "less_than_ago"} | UNARY,
}
AGO_OPERATORS = ("more_than_ago", "less_than_ago")
ALL_OPERATORS = set().union(*OPERATORS.values())
OPERATORS[CUSTOM] = ALL_OPERATORS
MAX_GROUP_DEPTH = 10
MAX_RULES_PER_GROUP = 50


class Mismatch(Exception):
    """The actual value has a type the rule cannot compare with."""


def attribute_type(attribute: str) -> str | None:
    if attribute in ATTRIBUTE_TYPES:
        return ATTRIBUTE_TYPES[attribute]
    for prefix in CUSTOM_PREFIXES:
        key = attribute[len(prefix) :] if attribute.startswith(prefix) else ""
        if key and "." not in key:
            return CUSTOM
    return None


# --- value parsing (at compile time) -------------------------------------------------


def _as_decimal(value) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(VALUE_EXPECTED["number"])
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, (float, Decimal)):
        # NaN and infinities are no numbers here: ordering a NaN Decimal raises.
        number = Decimal(str(value)) if isinstance(value, float) else value
        if number.is_finite():
            return number
        raise ValueError(VALUE_EXPECTED["number"])
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(VALUE_EXPECTED["number"]) from None
        if number.is_finite():
            return number
    raise ValueError(VALUE_EXPECTED["number"])


def _as_datetime(value) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(VALUE_EXPECTED["date"]) from None
    else:
        raise ValueError(VALUE_EXPECTED["date"])
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    problem = moment_problem(moment)
    if problem:
        raise ValueError(VALUE_EXPECTED["years"].format(low=MIN_YEAR, high=MAX_YEAR))
    return moment


def _as_days(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(VALUE_EXPECTED["days"])
    return value


def _as_duration(value) -> timedelta:
    """ "2h" (conversations.durations' format), longer than zero."""
    try:
        duration = parse_duration(value)
    except ValueError:
        raise ValueError(VALUE_EXPECTED["duration"]) from None
    if duration <= timedelta(0):
        raise ValueError(VALUE_EXPECTED["duration"])
    return duration


def _as_text(value) -> str:
    if not isinstance(value, str):
        raise ValueError(VALUE_EXPECTED["text"])
    return value.strip().lower()


def _as_bool(value) -> bool:
    if not isinstance(value, bool):
        raise ValueError(VALUE_EXPECTED["bool"])
    return value


def _as_scalar(value):
    """Custom attributes: text (compared ignoring case), number or bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float, Decimal)):
        return _as_decimal(value)
    if isinstance(value, str):
        return value.strip().lower()
    raise ValueError(VALUE_EXPECTED["scalar"])


def _parser(kind: str, operator: str, attribute: str):
    if operator in ("gt", "gte", "lt", "lte"):
        return _as_decimal
    if operator in ("before", "after"):
        return _as_datetime
    if operator in ("more_than_days_ago", "less_than_days_ago"):
        return _as_days
    if operator in AGO_OPERATORS:
        return _as_duration
    if kind == NUMBER:
        return _as_decimal
    if kind == BOOL:
        return _as_bool
    if kind in (TEXT, TAGS):
        if attribute == "time.weekday":
            return _as_weekday
        return _as_text
    if operator in ("contains", "not_contains", "starts_with", "ends_with"):
        return _as_text  # a custom attribute: these compare text with text
    return _as_scalar


def _as_weekday(value) -> str:
    day = _as_text(value)
    if day not in WEEKDAYS:
        raise ValueError(VALUE_EXPECTED["weekday"])
    return day


def parse_value(attribute: str, operator: str, value):
    """The compiled form of a rule's value, or ValueError saying what was expected."""
    kind = attribute_type(attribute)
    if operator in UNARY:
        return None
    parse = _parser(kind, operator, attribute)
    if operator in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise ValueError(VALUE_EXPECTED["list"])
        items = [parse(item) for item in value]
        # Tags compare as sets; other lists keep every item (a set would fold true into 1).
        return frozenset(items) if kind == TAGS else tuple(items)
    if isinstance(value, list):
        raise ValueError(VALUE_EXPECTED["one"])
    return parse(value)


# --- compiled rules --------------------------------------------------------------------


@dataclass(frozen=True)
class Failure:
    """Why a rule did not match: the rule and the actual value it saw."""

    attribute: str
    operator: str
    value: Any
    actual: Any
    note: str = ""

    def describe(self) -> str:
        expected = "" if self.operator in UNARY else _show(self.value)
        return failure_words(self.attribute, self.operator, expected, _show(self.actual), self.note)

    def as_dict(self) -> dict:
        return {
            "attribute": self.attribute,
            "operator": self.operator,
            "value": _jsonable(self.value),
            "actual": _jsonable(self.actual),
            "note": self.note,
        }


def _show(value) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return vocabulary_value_words(value)
    if isinstance(value, (set, frozenset)):
        return "[" + ", ".join(sorted(_show(v) for v in value)) + "]" if value else "none"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _jsonable(value):
    if isinstance(value, (set, frozenset)):
        return sorted(_jsonable(v) for v in value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class Rule:
    attribute: str
    operator: str
    value: Any  # compiled: lower-cased text, Decimal, datetime, frozenset, ...
    raw_value: Any
    kind: str

    def actual(self, facts) -> Any:
        for prefix in CUSTOM_PREFIXES:
            if self.attribute.startswith(prefix):
                custom = facts.get(prefix[:-1]) or {}
                return custom.get(self.attribute[len(prefix) :])
        return facts.get(self.attribute)

    def check(self, facts) -> tuple[bool, list[Failure]]:
        actual = self.actual(facts)
        try:
            matched = self._matches(actual, facts)
        except Mismatch as error:
            logger.warning(
                "rule %s %s cannot be evaluated: %s", self.attribute, self.operator, error
            )
            return False, [
                Failure(self.attribute, self.operator, self.raw_value, actual, str(error))
            ]
        if matched:
            return True, []
        return False, [Failure(self.attribute, self.operator, self.raw_value, actual)]

    def _matches(self, actual, facts) -> bool:
        op = self.operator
        unknown = actual is None or actual == "" or (self.kind == TAGS and not actual)
        if op == "is_unknown":
            return unknown
        if op == "is_set":
            return not unknown
        if unknown:
            return op in NEGATIVE
        if op in ("more_than_days_ago", "less_than_days_ago"):
            moment = _actual_datetime(actual)
            try:
                threshold = facts["time.now"] - timedelta(days=self.value)
            except OverflowError:  # more days than the calendar holds: before any date
                threshold = datetime.min.replace(tzinfo=UTC)
            return moment < threshold if op == "more_than_days_ago" else moment > threshold
        if op in AGO_OPERATORS:
            # More than 2h ago: the moment is before now - 2h (at it: neither).
            moment = _actual_datetime(actual)
            threshold = facts["time.now"] - self.value
            return moment < threshold if op == "more_than_ago" else moment > threshold
        if op in ("before", "after"):
            moment = _actual_datetime(actual)
            return moment < self.value if op == "before" else moment > self.value
        if self.kind == TAGS:
            names = _actual_tags(actual)
            if op == "contains":
                return self.value in names
            if op == "not_contains":
                return self.value not in names
            return bool(names & self.value) if op == "in" else not (names & self.value)
        if op in ("gt", "gte", "lt", "lte"):
            number = _actual_number(actual)
            return {
                "gt": number > self.value,
                "gte": number >= self.value,
                "lt": number < self.value,
                "lte": number <= self.value,
            }[op]
        if op in ("in", "not_in"):
            found, comparable = _find(actual, self.value)
            if not comparable:
                raise Mismatch(f"cannot compare {actual!r} with any of {self.raw_value!r}")
            return found if op == "in" else not found
        if op in ("is", "is_not"):
            same = _equal(actual, self.value)
            return same if op == "is" else not same
        text = _actual_text(actual)
        if op == "contains":
            return self.value in text
        if op == "not_contains":
            return self.value not in text
        if op == "starts_with":
            return text.startswith(self.value)
        if op == "ends_with":
            return text.endswith(self.value)
        raise Mismatch(f"unknown operator {op}")  # compile refuses these; kept for safety


def _equal(actual, expected) -> bool:
    """Typed equality: numbers as numbers, text ignoring case, bools as bools."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        if isinstance(expected, bool) and isinstance(actual, bool):
            return actual is expected
        raise Mismatch(f"cannot compare {actual!r} with {expected!r}")
    if isinstance(expected, Decimal):
        return _actual_number(actual) == expected
    if isinstance(expected, str):
        if isinstance(actual, (int, float, Decimal)):
            return str(actual).lower() == expected
        return _actual_text(actual) == expected
    raise Mismatch(f"cannot compare {actual!r} with {expected!r}")


def _find(actual, items) -> tuple[bool, bool]:
    """Whether ``actual`` equals one of ``items``, and whether any item was comparable.

    A list may mix types (custom attributes): an item of another type is simply not
    equal, so the answer does not depend on the order of the items.
    """
    comparable = False
    for item in items:
        try:
            if _equal(actual, item):
                return True, True
        except Mismatch:
            continue
        comparable = True
    return False, comparable


def _actual_number(actual) -> Decimal:
    try:
        return _as_decimal(actual)
    except ValueError:
        raise Mismatch(f"{actual!r} is not a number") from None


def _actual_text(actual) -> str:
    if isinstance(actual, str):
        return actual.lower()
    raise Mismatch(f"{actual!r} is not text")


def _actual_datetime(actual) -> datetime:
    try:
        return _as_datetime(actual)
    except ValueError:
        raise Mismatch(f"{actual!r} is not a date") from None


def _actual_tags(actual) -> set:
    if isinstance(actual, (set, frozenset, list, tuple)):
        return {str(name).lower() for name in actual}
    raise Mismatch(f"{actual!r} is not a set of tags")


@dataclass(frozen=True)
class Group:
    match: str
    members: tuple = field(default_factory=tuple)

    def check(self, facts) -> tuple[bool, list[Failure]]:
        """Whether the group matches, and the failures that made it not match."""
        failures: list[Failure] = []
        if self.match == "all":
            for member in self.members:
                matched, why = member.check(facts)
                if not matched:
                    return False, why
            return True, []
        for member in self.members:
            matched, why = member.check(facts)
            if matched:
                return True, []
            failures.extend(why)
        # An empty "any" group matches nothing; an empty "all" group matches everything.
        return False, failures

    def evaluate(self, facts) -> bool:
        return self.check(facts)[0]

    @property
    def attributes(self) -> set[str]:
        found = set()
        for member in self.members:
            found |= member.attributes if isinstance(member, Group) else {member.attribute}
        return found


MATCH_EVERYTHING = Group("all", ())


def compile_group(document, place: str, errors: ErrorCollector, depth: int = 0) -> Group:
    """Validate a rule group, recording each error at its place, and compile it."""
    if document is None:
        return MATCH_EVERYTHING
    if not isinstance(document, dict):
        errors.add(place, 'A rule group is an object: {"match": "all", "rules": [...]}.')
        return MATCH_EVERYTHING
    if depth > MAX_GROUP_DEPTH:
        errors.add(place, f"Rule groups nest at most {MAX_GROUP_DEPTH} deep.")
        return MATCH_EVERYTHING
    match = document.get("match", "all")
    if match not in ("all", "any"):
        errors.add(f"{place}.match", 'Use "all" or "any".')
    rules = document.get("rules", [])
    if not isinstance(rules, list):
        errors.add(f"{place}.rules", "A list of rules or groups.")
        rules = []
    if len(rules) > MAX_RULES_PER_GROUP:
        errors.add(f"{place}.rules", f"At most {MAX_RULES_PER_GROUP} rules in one group.")
    unknown_keys = set(document) - {"match", "rules"}
    if unknown_keys:
        errors.add(place, f"Unknown keys: {', '.join(sorted(unknown_keys))}.")
    members = []
    for index, member in enumerate(rules):
        member_place = f"{place}.rules[{index}]"
        if isinstance(member, dict) and "rules" in member:
            members.append(compile_group(member, member_place, errors, depth + 1))
        else:
            rule = compile_rule(member, member_place, errors)
            if rule is not None:
                members.append(rule)
    return Group(match if match in ("all", "any") else "all", tuple(members))


def compile_rule(document, place: str, errors: ErrorCollector) -> Rule | None:
    if not isinstance(document, dict):
        errors.add(place, 'A rule is an object: {"attribute", "operator", "value"}.')
        return None
    attribute = document.get("attribute")
    operator = document.get("operator")
    kind = attribute_type(attribute) if isinstance(attribute, str) else None
    if kind is None:
        errors.add(f"{place}.attribute", unknown_attribute(attribute))
        return None
    if not isinstance(operator, str) or operator not in OPERATORS[kind]:
        allowed = [op for op in OPERATOR_WORDS if op in OPERATORS[kind]]
        errors.add(f"{place}.operator", operator_problem(attribute, operator, allowed))
        return None
    if operator not in UNARY and "value" not in document:
        errors.add(f"{place}.value", VALUE_NEEDED.format(attribute=attribute_label(attribute)))
        return None
    raw_value = document.get("value")
    try:
        value = parse_value(attribute, operator, raw_value)
    except ValueError as error:
        errors.add(f"{place}.value", value_problem(attribute, str(error)))
        return None
    return Rule(attribute, operator, value, raw_value if operator not in UNARY else None, kind)
