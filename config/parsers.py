"""The one JSON parser of every JSON body: DRF's (settings.REST_FRAMEWORK) and the pages
that read JSON by hand (the builder's reorder).

It refuses, before any work that could blow up (issue 11, API.md "Safer writes"):

1. bodies over DATA_UPLOAD_MAX_MEMORY_SIZE and bytes that are not UTF-8,
2. nesting deeper than MAX_JSON_DEPTH, measured on the raw text in one pass without
   recursion (`[` x 100,000 used to be a RecursionError, a 500),
3. NaN, Infinity and numbers that overflow to infinity (1e400),
4. NUL bytes and unpaired surrogates in any string or key, and whole numbers beyond
   64 bits: a 400 naming the place (`custom_attributes.plan`).
"""

import json
import re

from django.conf import settings
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import BaseParser

from conversations.validation import MAX_JSON_DEPTH, json_problems

NOT_UTF8 = "The body is not UTF-8."
TOO_DEEP = f"JSON nested deeper than {MAX_JSON_DEPTH} levels."
NOT_FINITE = "Numbers must be finite (no NaN, Infinity or overflowing numbers)."
TOO_LARGE = "The body is too large."
NOT_JSON = "The body is not valid JSON: {error}"

# Strings (with their escapes) and the brackets outside them: all that depth depends on.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)


class JSONBodyError(ValueError):
    """A body refused before it reached any field; `message` says why."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True as soon as the raw JSON text opens more than `limit` nested arrays/objects."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                return True
        elif token in ("]", "}"):
            depth -= 1
    return False


def _refuse_constant(name):
    raise JSONBodyError(NOT_FINITE)


def _finite_float(text):
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise JSONBodyError(NOT_FINITE)
    return number


def loads_bounded(raw: bytes | str):
    """Parse a JSON body within the bounds above.

    Raises JSONBodyError for a body that is no acceptable JSON at all, and returns the
    value otherwise; `json_problems(value)` then names bad strings and numbers by place.
    """
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise JSONBodyError(NOT_UTF8) from None
    else:
        text = raw
    if json_depth_exceeds(text):
        raise JSONBodyError(TOO_DEEP)
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except JSONBodyError:
        raise
    except (ValueError, RecursionError) as error:
        # ValueError covers JSONDecodeError and integers of more than 4,300 digits.
        raise JSONBodyError(NOT_JSON.format(error=error)) from None


def parse_json_body(raw: bytes | str):
    """loads_bounded, then every string and number checked: raise JSONBodyError or
    django's ValidationError({place: message})."""
    from django.core.exceptions import ValidationError as DjangoValidationError

    value = loads_bounded(raw)
    problems = json_problems(value)
    if problems:
        raise DjangoValidationError({place: [message] for place, message in problems.items()})
    return value


class BoundedJSONParser(BaseParser):
    """DRF's JSON parser with the bounds above."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        # One byte over the limit is enough to know the body is too large.
        raw = stream.read(-1 if limit is None else limit + 1) if stream is not None else b""
        if limit is not None and len(raw) > limit:
            raise ParseError(TOO_LARGE)
        try:
            value = loads_bounded(raw)
        except JSONBodyError as error:
            raise ParseError(error.message) from None
        problems = json_problems(value)
        if problems:
            raise ValidationError({place: [message] for place, message in problems.items()})
        return value
