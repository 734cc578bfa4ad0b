"""Placeholders in the texts steps send: `{{contact.name}}`, with a fallback
`{{contact.name | fallback: "there"}}` (API.md, "Webhooks, HTTP requests and placeholders").

Pure: `problems` checks a text (the validator names the place); `render` fills it in from
plain facts (the mapping `workflows.facts.build_facts` makes, or any dict with the same
keys), escaping each value for where it goes:

    TEXT  messages and notes: as it is (the pages escape HTML when they show it)
    URL   a URL: percent-encoded, so a value cannot add a path, a query or a fragment
    JSON  inside a JSON string literal written as text: JSON-escaped

The names a text may use are declared once, here (`NAMES`, `CUSTOM_PREFIXES`).
"""

import json
import re
from dataclasses import dataclass
from urllib.parse import quote

# Name -> the fact it reads (workflows/facts.py keys).
NAMES = {
    "contact.name": "contact.name",
    "contact.email": "contact.email",
    "contact.plan": "contact.plan",
    "company.name": "company.name",
    "conversation.id": "conversation.id",
}
# "<prefix>KEY" reads KEY of the custom data fact.
CUSTOM_PREFIXES = {
    "contact.custom.": "contact.custom",
    "conversation.custom.": "conversation.custom",
}
CUSTOM_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,63}$")

TEXT, URL, JSON = "text", "url", "json"

# `{{ name }}` or `{{ name | fallback: "words" }}`; anything else between braces is an error.
_OPENING = re.compile(r"\{\{")
_PLACEHOLDER = re.compile(
    r"\{\{\s*(?P<name>[^{}|\s]+)\s*"
    r"(?:\|\s*fallback\s*:\s*\"(?P<fallback>(?:[^\"\\{}]|\\.)*)\"\s*)?\}\}"
)
SYNTAX_HELP = 'Write a placeholder as {{contact.name}} or {{contact.name | fallback: "there"}}.'


@dataclass(frozen=True)
class Placeholder:
    start: int
    end: int
    name: str
    fallback: str


def menu() -> list[tuple[str, str]]:
    """What the builder offers beside a text field: (placeholder, words)."""
    from workflows.vocabulary import PLACEHOLDER_WORDS

    return [(f"{{{{{name}}}}}", PLACEHOLDER_WORDS[name]) for name in PLACEHOLDER_WORDS]


def known(name: str) -> bool:
    if name in NAMES:
        return True
    for prefix in CUSTOM_PREFIXES:
        if name.startswith(prefix) and CUSTOM_KEY.match(name[len(prefix) :]):
            return True
    return False


def parse(text: str) -> tuple[list[Placeholder], list[str]]:
    """The placeholders of a text, and its problems (a malformed or unknown one)."""
    found, problems = [], []
    position = 0
    while (opening := _OPENING.search(text, position)) is not None:
        match = _PLACEHOLDER.match(text, opening.start())
        if match is None:
            end = text.find("}}", opening.start())
            shown = text[opening.start() : end + 2 if end >= 0 else opening.start() + 30]
            problems.append(f"Cannot read the placeholder {shown!r}. {SYNTAX_HELP}")
            position = opening.end()
            continue
        name = match.group("name")
        fallback = match.group("fallback")
        fallback = re.sub(r"\\(.)", r"\1", fallback) if fallback else ""
        if not known(name):
            problems.append(f"Unknown placeholder {{{{{name}}}}}; use one of: {names_words()}.")
        found.append(Placeholder(match.start(), match.end(), name, fallback))
        position = match.end()
    return found, problems


def problems(text: str) -> list[str]:
    return parse(text)[1] if isinstance(text, str) else []


def names_words() -> str:
    listed = list(NAMES) + [f"{prefix}KEY" for prefix in CUSTOM_PREFIXES]
    return ", ".join(listed)


def value_of(name: str, facts) -> str:
    """The fact a placeholder reads, as text ("" when there is none)."""
    if name in NAMES:
        value = facts.get(NAMES[name])
    else:
        value = None
        for prefix, fact in CUSTOM_PREFIXES.items():
            if name.startswith(prefix):
                value = (facts.get(fact) or {}).get(name[len(prefix) :])
                break
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def escape(value: str, where: str) -> str:
    if where == URL:
        return quote(value, safe="")
    if where == JSON:
        return json.dumps(value, ensure_ascii=False)[1:-1]
    return value


def render(text: str, facts, where: str = TEXT) -> str:
    """The text with each placeholder replaced by its value (its fallback when the value
    is empty), escaped for `where`. A text the validator refused renders unchanged in
    its unreadable parts."""
    placeholders, _ = parse(text)
    parts, position = [], 0
    for placeholder in placeholders:
        parts.append(text[position : placeholder.start])
        value = value_of(placeholder.name, facts) if known(placeholder.name) else ""
        if not value.strip():
            value = placeholder.fallback
        parts.append(escape(value, where))
        position = placeholder.end
    parts.append(text[position:])
    return "".join(parts)


def render_json(value, facts):
    """A JSON body with its strings rendered: values go in as they are, the serializer
    then JSON-encodes them (so a quote in a name cannot break out of its string)."""
    if isinstance(value, str):
        return render(value, facts, TEXT)
    if isinstance(value, list):
        return [render_json(item, facts) for item in value]
    if isinstance(value, dict):
        return {key: render_json(item, facts) for key, item in value.items()}
    return value


def json_strings(value, place: str):
    """(place, text) of every string in a JSON body, for the validator."""
    if isinstance(value, str):
        yield place, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from json_strings(item, f"{place}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from json_strings(item, f"{place}.{key}")
