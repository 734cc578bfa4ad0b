"""Durations as the API writes them: "45s", "30m", "2h", "1d"."""

import re
from datetime import timedelta

DURATION_PATTERN = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
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
