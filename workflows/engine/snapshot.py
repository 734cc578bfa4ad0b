"""The facts rules read, as compact JSON kept for replay, and back (pure, no database).

`snapshot(facts)` keeps every attribute of engine/rules.ATTRIBUTE_TYPES and the custom
maps, bounded so a snapshot never exceeds MAX_SNAPSHOT_BYTES whatever the conversation
holds: text is cut at MAX_TEXT (the message body at MAX_BODY), a custom map keeps its
first MAX_CUSTOM_KEYS keys (keys cut at MAX_KEY) with scalar values only, the tags their
first MAX_TAGS names. A rule reading past a cut (a `contains` beyond the 2,000th
character of a message) may judge differently in a replay than it did live.

`facts_from_snapshot(data)` gives the mapping back with the types the rules compare
(Decimal numbers, aware datetimes, a set of tags)."""

from datetime import datetime
from decimal import Decimal

from workflows.engine.rules import ATTRIBUTE_TYPES, DATE, NUMBER, TAGS

MAX_TEXT = 500
MAX_BODY = 2000
MAX_KEY = 64
MAX_CUSTOM_KEYS = 30
MAX_TAGS = 50
CUSTOM_MAPS = ("contact.custom", "company.custom", "conversation.custom")
# The largest snapshot those caps allow (every text full, every map full of full strings).
MAX_SNAPSHOT_BYTES = (
    len(ATTRIBUTE_TYPES) * (MAX_TEXT + 64)
    + MAX_BODY
    + MAX_TAGS * (MAX_TEXT + 8)
    + len(CUSTOM_MAPS) * MAX_CUSTOM_KEYS * (MAX_KEY + MAX_TEXT + 16)
    + 256
)


def _text(value, limit=MAX_TEXT):
    return value[:limit] if isinstance(value, str) else value


def _scalar(value):
    """A JSON scalar, text cut; anything else (lists, maps) is left out as unknown."""
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        return value[:MAX_TEXT]
    return None


def _plain(attribute: str, value):
    if value is None:
        return None
    kind = ATTRIBUTE_TYPES.get(attribute)
    if kind == DATE or isinstance(value, datetime):
        return value.isoformat()
    if kind == NUMBER:
        return str(value)
    if kind == TAGS:
        return sorted(str(name)[:MAX_TEXT] for name in value)[:MAX_TAGS]
    return _text(value, MAX_BODY if attribute == "message.body" else MAX_TEXT)


def snapshot(facts) -> dict:
    """The facts (workflows.facts.build_facts's mapping) as bounded plain JSON."""
    data = {}
    for attribute in (*ATTRIBUTE_TYPES, "time.now"):
        data[attribute] = _plain(attribute, facts.get(attribute))
    for name in CUSTOM_MAPS:
        custom = facts.get(name) or {}
        data[name] = {
            str(key)[:MAX_KEY]: _scalar(value)
            for key, value in list(custom.items())[:MAX_CUSTOM_KEYS]
        }
    return data


def facts_from_snapshot(data: dict) -> dict:
    """The mapping the rules read, from a snapshot."""
    facts = dict(data)
    for attribute, kind in ATTRIBUTE_TYPES.items():
        value = facts.get(attribute)
        if value is None:
            continue
        if kind == DATE:
            facts[attribute] = datetime.fromisoformat(value)
        elif kind == NUMBER:
            facts[attribute] = Decimal(value)
        elif kind == TAGS:
            facts[attribute] = set(value)
    if facts.get("time.now"):
        facts["time.now"] = datetime.fromisoformat(facts["time.now"])
    for name in CUSTOM_MAPS:
        facts[name] = facts.get(name) or {}
    return facts
