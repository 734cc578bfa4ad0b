"""Checks shared by services, forms and serializers; messages are constants tests import."""

import re
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# No model imports here: the workflow engine (which imports no models) shares these checks.
MAX_TAG_NAME_LENGTH = 64
MAX_BODY_LENGTH = 10_000
MAX_DATA_KEY_LENGTH = 64
# Custom attributes (contact, company, conversation data): a page shows them all, rules
# read them, so they stay small. 50,000 keys once made a 1.4 MB inbox page (issue 11).
MAX_CUSTOM_ATTRIBUTES = 100
# 190: what a utf8mb4 index prefix holds, a common bound for keys that may be indexed.
MAX_ATTRIBUTE_KEY_LENGTH = 190
MAX_ATTRIBUTE_VALUE_LENGTH = 1_000
# JSON bodies nest at most this deep (API.md "Safer writes").
MAX_JSON_DEPTH = 64
# Whole numbers stored in JSON fit a signed 64-bit integer (what PostgreSQL's bigint and
# most clients hold).
MAX_JSON_INT = 2**63 - 1
# PostgreSQL stores later years, but Python's datetime ends in 9999: a moment of year 9999
# shown in a zone west of UTC (or stored from one) no longer fits. One year of headroom.
MIN_YEAR, MAX_YEAR = 1, 9998
DATA_KEY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")

MAX_EVENT_NAME_LENGTH = 100
MAX_EVENT_METADATA_KEYS = 20
EVENT_NAME_BLANK = "Name the event."
EVENT_NAME_TOO_LONG = f"An event name has at most {MAX_EVENT_NAME_LENGTH} characters."
EVENT_METADATA_NOT_OBJECT = (
    "An object of keys and plain values (text, a number, true/false or null)."
)
EVENT_METADATA_TOO_MANY = f"At most {MAX_EVENT_METADATA_KEYS} keys."
BODY_EMPTY = "The message is empty."
BODY_TOO_LONG = f"The message is longer than {MAX_BODY_LENGTH:,} characters."
TAG_NAME_BLANK = "The tag name is blank."
TAG_NAME_TOO_LONG = f"A tag name has at most {MAX_TAG_NAME_LENGTH} characters."
SNOOZE_IN_PAST = "The snooze time must be in the future."
ASSIGN_METHOD_UNKNOWN = 'Choose "balanced" or "round_robin".'
ASSIGN_METHOD_NEEDS_TEAM = "A method gives the conversation to a member of a team: name the team."
TEAMMATE_SETTINGS_OWN_AWAY_ONLY = (
    "Only workspace admins may change another teammate or a capacity; you may set your own away."
)
CAPACITY_OUT_OF_RANGE = "A whole number from 0 to 1,000, or empty for no limit."
ASSIGN_NOTHING = "Name a teammate or a team to assign to."
ASSIGNEE_NOT_IN_TEAM = "{teammate} is not a member of the team {team}."
ASSIGNEE_INACTIVE = "{teammate} is deactivated and cannot be assigned."
DATA_KEY_INVALID = (
    "The key must start with a letter or underscore and hold only letters, digits, "
    f"underscores and dashes (at most {MAX_DATA_KEY_LENGTH} characters)."
)
DATA_VALUE_INVALID = "The value must be text, a number, true/false or empty."
DATA_VALUE_TOO_LONG = f"At most {MAX_ATTRIBUTE_VALUE_LENGTH:,} characters."
TOO_MANY_ATTRIBUTES = f"At most {MAX_CUSTOM_ATTRIBUTES} custom attributes."
ATTRIBUTE_KEY_INVALID = f"A key is 1 to {MAX_ATTRIBUTE_KEY_LENGTH} characters of text."
ATTRIBUTES_NOT_OBJECT = "An object of custom attributes."
NUL_CHARACTER = "Null characters are not allowed."
SURROGATE_CHARACTER = "Unpaired surrogate characters are not allowed."
NUMBER_TOO_LARGE = "The number is too large."
NUMBER_NOT_FINITE = "The number must be finite."
DATE_OUT_OF_RANGE = f"Give a date between the years {MIN_YEAR} and {MAX_YEAR}."
SLA_NO_TARGET = "Set at least one target: first reply, next reply or time to close."
SLA_TARGET_NOT_POSITIVE = "A target must be longer than zero."
CONVERSATION_CLOSED = "The conversation is closed."


def clean_body(body) -> str:
    """Return the message body stripped of outer whitespace, or raise."""
    text = body.strip() if isinstance(body, str) else ""
    if not text:
        raise ValidationError({"body": BODY_EMPTY})
    if len(text) > MAX_BODY_LENGTH:
        raise ValidationError({"body": BODY_TOO_LONG})
    return text


def clean_tag_name(name) -> str:
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        raise ValidationError({"name": TAG_NAME_BLANK})
    if len(text) > MAX_TAG_NAME_LENGTH:
        raise ValidationError({"name": TAG_NAME_TOO_LONG})
    return text


def clean_data_key(key) -> str:
    text = key.strip() if isinstance(key, str) else ""
    if len(text) > MAX_DATA_KEY_LENGTH or not DATA_KEY_PATTERN.match(text):
        raise ValidationError({"key": DATA_KEY_INVALID})
    return text


def clean_custom_event(name, metadata) -> tuple[str, dict]:
    """A custom event's name (1 to 100 characters) and metadata: a flat object of at most
    20 keys (data keys: a rule reads `event.metadata.KEY`) and plain values (no nesting).
    Errors name the field: `name`, `metadata`, `metadata.<key>`."""
    errors: dict[str, list[str]] = {}
    text = name.strip() if isinstance(name, str) else ""
    if not text:
        errors["name"] = [EVENT_NAME_BLANK]
    elif len(text) > MAX_EVENT_NAME_LENGTH:
        errors["name"] = [EVENT_NAME_TOO_LONG]
    elif problem := text_problem(text):
        errors["name"] = [problem]
    metadata = {} if metadata is None else metadata
    if not isinstance(metadata, dict):
        errors["metadata"] = [EVENT_METADATA_NOT_OBJECT]
    elif len(metadata) > MAX_EVENT_METADATA_KEYS:
        errors["metadata"] = [EVENT_METADATA_TOO_MANY]
    else:
        for key, value in metadata.items():
            if (
                not isinstance(key, str)
                or len(key) > MAX_DATA_KEY_LENGTH
                or not DATA_KEY_PATTERN.match(key)
            ):
                errors.setdefault("metadata", []).append(DATA_KEY_INVALID)
                continue
            problem = attribute_value_problem(value)
            if problem:
                errors[f"metadata.{key}"] = [problem]
    if errors:
        raise ValidationError(errors)
    return text, metadata


def clean_data_value(value):
    """A custom attribute's value: text (bounded), a finite number, true/false or null."""
    problem = attribute_value_problem(value)
    if problem:
        raise ValidationError({"value": problem})
    return value


def attribute_value_problem(value) -> str | None:
    """Why `value` cannot be a custom attribute's value, or None (pure: the engine uses it)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        if len(value) > MAX_ATTRIBUTE_VALUE_LENGTH:
            return DATA_VALUE_TOO_LONG
        return text_problem(value)
    if isinstance(value, (int, float)):
        return number_problem(value)
    return DATA_VALUE_INVALID


def clean_custom_attributes(attributes, field: str = "custom_attributes") -> dict:
    """A whole custom attributes object, bounded in count, key length and value size.

    Errors name the field (`custom_attributes`) or the key (`custom_attributes.plan`).
    """
    if not isinstance(attributes, dict):
        raise ValidationError({field: ATTRIBUTES_NOT_OBJECT})
    errors: dict[str, list[str]] = {}
    if len(attributes) > MAX_CUSTOM_ATTRIBUTES:
        errors.setdefault(field, []).append(TOO_MANY_ATTRIBUTES)
    for key, value in list(attributes.items())[: MAX_CUSTOM_ATTRIBUTES + 1]:
        if (
            not isinstance(key, str)
            or not key.strip()
            or len(key) > MAX_ATTRIBUTE_KEY_LENGTH
            or text_problem(key)
        ):
            errors.setdefault(field, []).append(ATTRIBUTE_KEY_INVALID)
            continue
        problem = attribute_value_problem(value)
        if problem:
            errors.setdefault(f"{field}.{key}", []).append(problem)
    if errors:
        raise ValidationError(errors)
    return attributes


def check_room_for_attribute(current: dict, key: str, *, field: str) -> None:
    """Adding `key` to `current` custom attributes keeps them within the bound."""
    if key not in current and len(current) >= MAX_CUSTOM_ATTRIBUTES:
        raise ValidationError({field: TOO_MANY_ATTRIBUTES})


# --- characters, numbers and dates every edge refuses ----------------------------------

_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


def text_problem(text: str) -> str | None:
    """NUL (PostgreSQL text cannot hold it) or an unpaired surrogate (not encodable)."""
    found = _BAD_CHARACTER.search(text)
    if found is None:
        return None
    return NUL_CHARACTER if found.group() == "\x00" else SURROGATE_CHARACTER


def number_problem(number) -> str | None:
    if isinstance(number, bool):
        return None
    if isinstance(number, int):
        return NUMBER_TOO_LARGE if abs(number) > MAX_JSON_INT else None
    if isinstance(number, float) and (number != number or number in (float("inf"), -float("inf"))):
        return NUMBER_NOT_FINITE
    if isinstance(number, float) and abs(number) > MAX_JSON_INT:
        return NUMBER_TOO_LARGE
    return None


def json_problems(value, place: str = "", *, max_text_length: int | None = None) -> dict[str, str]:
    """Every place in a parsed JSON value that holds a string with NUL or an unpaired
    surrogate (keys too), a number out of range, or (with `max_text_length`) a longer
    string: {"steps[2].tag": message}.

    Walks with an explicit stack, so any depth costs no recursion; the parser has bounded
    the depth already, this bounds the work to the size of the value.
    """
    problems: dict[str, str] = {}
    stack = [(place, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem is None and max_text_length is not None and len(item) > max_text_length:
                problem = f"At most {max_text_length:,} characters."
        elif isinstance(item, (int, float)):
            problem = number_problem(item)
        elif isinstance(item, dict):
            problem = None
            for key, member in item.items():
                key_problem = text_problem(key) if isinstance(key, str) else None
                if key_problem:
                    problems.setdefault(where or "non_field_errors", key_problem)
                    continue
                stack.append((f"{where}.{key}" if where else str(key), member))
        elif isinstance(item, (list, tuple)):
            problem = None
            stack.extend((f"{where}[{index}]", member) for index, member in enumerate(item))
        else:
            problem = None
        if problem:
            problems.setdefault(where or "non_field_errors", problem)
    return problems


def moment_problem(moment: datetime) -> str | None:
    """A moment must be aware and, in UTC, within years MIN_YEAR to MAX_YEAR."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        return "Give a date and time with a time zone."
    try:
        year = moment.astimezone(UTC).year
    except OverflowError:
        return DATE_OUT_OF_RANGE
    if not MIN_YEAR <= year <= MAX_YEAR or not MIN_YEAR <= moment.year <= MAX_YEAR:
        return DATE_OUT_OF_RANGE
    return None


def bounded_name(name: str, limit: int) -> str:
    """A name as written into a column of `limit` characters (parts, events): cut, so a
    long but legal name (a 254-character email) never fails the change it records."""
    return name[:limit]


def validate_sla_targets(*, first_reply, next_reply, time_to_close) -> None:
    targets = {"first_reply": first_reply, "next_reply": next_reply, "time_to_close": time_to_close}
    errors = {
        field: SLA_TARGET_NOT_POSITIVE
        for field, value in targets.items()
        if value is not None and value.total_seconds() <= 0
    }
    if errors:
        raise ValidationError(errors)
    if all(value is None for value in targets.values()):
        raise ValidationError(SLA_NO_TARGET)


CONTACT_FIELDS = ("email", "name", "plan")
CONTACT_ATTRIBUTE_INVALID = 'Use email, name, plan or "custom.<key>".'
EMAIL_INVALID = "That does not look like an email address."


def clean_contact_attribute(attribute) -> tuple[str, str | None]:
    """("email", None) for a built-in field, ("custom", key) for a custom attribute."""
    if attribute in CONTACT_FIELDS:
        return attribute, None
    if isinstance(attribute, str) and attribute.startswith("custom."):
        return "custom", clean_data_key(attribute[len("custom.") :])
    raise ValidationError({"attribute": CONTACT_ATTRIBUTE_INVALID})


def clean_contact_value(field: str, value):
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValidationError({"value": BODY_EMPTY})
    if field == "email":
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationError({"value": EMAIL_INVALID}) from None
    limit = 254 if field == "email" else (100 if field == "plan" else 200)
    if field != "custom" and len(text) > limit:
        raise ValidationError({"value": f"At most {limit} characters."})
    problem = text_problem(text)
    if problem:
        raise ValidationError({"value": problem})
    # A customer's answer is kept, cut to what a custom attribute holds.
    return text[:MAX_ATTRIBUTE_VALUE_LENGTH]


def is_digits(text: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts "²" and "٣", which int() refuses or
    reads as another number."""
    return text.isascii() and text.isdigit()
