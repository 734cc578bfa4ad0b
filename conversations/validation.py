"""Checks shared by services, forms and serializers; messages are constants tests import."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from conversations.models import MAX_TAG_NAME_LENGTH

MAX_BODY_LENGTH = 10_000
MAX_DATA_KEY_LENGTH = 64
DATA_KEY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")

BODY_EMPTY = "The message is empty."
BODY_TOO_LONG = f"The message is longer than {MAX_BODY_LENGTH:,} characters."
TAG_NAME_BLANK = "The tag name is blank."
TAG_NAME_TOO_LONG = f"A tag name has at most {MAX_TAG_NAME_LENGTH} characters."
SNOOZE_IN_PAST = "The snooze time must be in the future."
ASSIGN_NOTHING = "Name a teammate or a team to assign to."
ASSIGNEE_NOT_IN_TEAM = "{teammate} is not a member of the team {team}."
ASSIGNEE_INACTIVE = "{teammate} is deactivated and cannot be assigned."
DATA_KEY_INVALID = (
    "The key must start with a letter or underscore and hold only letters, digits, "
    f"underscores and dashes (at most {MAX_DATA_KEY_LENGTH} characters)."
)
DATA_VALUE_INVALID = "The value must be text, a number, true/false or empty."
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


def clean_data_value(value):
    if value is not None and not isinstance(value, (str, int, float, bool)):
        raise ValidationError({"value": DATA_VALUE_INVALID})
    if isinstance(value, str) and len(value) > MAX_BODY_LENGTH:
        raise ValidationError({"value": BODY_TOO_LONG})
    return value


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
    return text[:MAX_BODY_LENGTH]
