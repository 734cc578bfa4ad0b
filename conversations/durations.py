"""Durations as the API writes them: "45s", "30m", "2h", "1d"."""

import re
from datetime import timedelta

# Exactly as documented (OpenAPI patterns): no spaces, no leading zeros.
DURATION_PATTERN = re.compile(r"^(0|[1-9][0-9]*)([smhd])\Z")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DURATION_FORMAT_MESSAGE = 'Use a whole number and a unit: "45s", "30m", "2h" or "1d".'
# Longer than anything a workflow or an SLA means; keeps arithmetic far from overflow.
MAX_DURATION = timedelta(days=3650)
DURATION_TOO_LONG_MESSAGE = "At most 3650 days."


def parse_duration(text: str) -> timedelta:
    """Parse "30m" into a timedelta; raise ValueError with DURATION_FORMAT_MESSAGE."""
    match = DURATION_PATTERN.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(DURATION_FORMAT_MESSAGE)
    amount, unit = match.groups()
    seconds = int(amount) * UNIT_SECONDS[unit]
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(DURATION_TOO_LONG_MESSAGE)
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest exact API form of a timedelta: 5400s -> "90m"."""
    seconds = int(value.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds and seconds % UNIT_SECONDS[unit] == 0:
            return f"{seconds // UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


def _whole_numbers_up_to(limit: int) -> str:
    """A regular expression for the whole numbers 1..limit, without leading zeros."""
    digits = str(limit)
    width = len(digits)
    alternatives = [f"[1-9][0-9]{{0,{width - 2}}}"] if width > 1 else []
    for index in range(width):
        low, high = (1 if index == 0 else 0), int(digits[index]) - 1
        if high >= low:
            rest = width - index - 1
            alternatives.append(
                digits[:index] + f"[{low}-{high}]" + (f"[0-9]{{{rest}}}" if rest else "")
            )
    alternatives.append(digits)
    return "(?:" + "|".join(alternatives) + ")"


def duration_pattern(maximum: timedelta = MAX_DURATION) -> str:
    """The exact regular expression of the durations from 1s to `maximum` (OpenAPI
    documents it, so every duration the schema allows is one the API accepts)."""
    seconds = int(maximum.total_seconds())
    units = [
        f"{_whole_numbers_up_to(seconds // UNIT_SECONDS[unit])}{unit}"
        for unit in ("s", "m", "h", "d")
        if seconds >= UNIT_SECONDS[unit]
    ]
    return "^(?:" + "|".join(units) + ")$"
