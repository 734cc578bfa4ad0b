"""Office-hours arithmetic: a weekly schedule in a time zone, holidays, working time.

Pure Python (no models, no database). Everything is computed in closed form per open
interval: the day walk turns each local opening range into a UTC interval and adds whole
intervals, never stepping minute by minute.

Local wall times become UTC on their own date with `zoneinfo`:

- a wall time that happens twice (the autumn overlap) means its first occurrence;
- a wall time that does not exist (the spring gap) means the moment the clock jumps,
  so "open until 02:30" on a day when 02:00 becomes 03:00 closes at the jump;
- an end of 00:00 (or "24:00" in JSON) means midnight at the end of the day.

An interval is [start, end): open at its start, closed at its end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY = timedelta(days=1)
# The day walk looks at most this far ahead: nothing an SLA means is further away.
HORIZON_DAYS = 3653  # ten years
MAX_RANGES_PER_DAY = 24
MAX_HOLIDAYS = 1000

TIME_ZONE_UNKNOWN = 'Unknown time zone "{name}".'
WEEKLY_SHAPE = (
    'Use an object with a list of ranges per weekday, e.g. {"monday": [["09:00", "17:00"]]}.'
)
WEEKDAY_UNKNOWN = 'Unknown weekday "{name}": use monday, tuesday, … sunday.'
DAY_SHAPE = 'Use a list of ranges, e.g. [["09:00", "12:00"], ["13:00", "17:00"]].'
TOO_MANY_RANGES = f"At most {MAX_RANGES_PER_DAY} ranges a day."
RANGE_SHAPE = 'Write a range as a pair of times, e.g. ["09:00", "17:00"].'
TIME_INVALID = 'Use a time of day as "HH:MM", e.g. "09:00" ("24:00" only as an end).'
RANGE_INVERTED = (
    'Ends before it starts. Split a range past midnight in two: "…–24:00" and "00:00–…".'
)
RANGE_EMPTY = "Starts and ends at the same time."
RANGE_OVERLAP = "Overlaps {other} ({start}–{end})."
NO_OPEN_HOURS = "Open at least one range: with no open hours nothing could ever be due."
HOLIDAYS_SHAPE = 'Use a list of dates, e.g. ["2025-12-25", "2026-01-01"].'
HOLIDAY_INVALID = 'Use a date as "YYYY-MM-DD", e.g. "2025-12-25".'
TOO_MANY_HOLIDAYS = f"At most {MAX_HOLIDAYS} holidays."
NAIVE_MOMENT = "Give an aware datetime (with a time zone)."
NEGATIVE_DURATION = "The duration must not be negative."
BEYOND_HORIZON = "The answer lies more than ten years ahead."

TIME_PATTERN = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2}))?$")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ScheduleError(ValueError):
    """Invalid schedule input. `errors` maps a place ("monday[1]", "time_zone",
    "holidays[0]", "weekly", "holidays") to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(
            "; ".join(
                f"{place}: {message}" for place, messages in errors.items() for message in messages
            )
        )


class HorizonError(ValueError):
    """The answer lies beyond HORIZON_DAYS of day walk."""

    def __init__(self, message: str = BEYOND_HORIZON):
        super().__init__(message)


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _zone(name) -> ZoneInfo | None:
    if not isinstance(name, str) or name not in _known_zones():
        return None
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None


def _offset_of_time(value, *, is_end: bool) -> timedelta | None:
    """A `time` or "HH:MM[:SS]" as an offset from local midnight; 00:00/24:00 ends at 24h."""
    if isinstance(value, time):
        if value.tzinfo is not None:
            return None
        offset = timedelta(
            hours=value.hour,
            minutes=value.minute,
            seconds=value.second,
            microseconds=value.microsecond,
        )
    elif isinstance(value, str):
        match = TIME_PATTERN.match(value.strip())
        if not match:
            return None
        hours, minutes, seconds = (int(part or 0) for part in match.groups())
        if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds)):
            return None
        if hours == 24 and not is_end:
            return None
        offset = timedelta(hours=hours, minutes=minutes, seconds=seconds)
    else:
        return None
    if is_end and offset == timedelta(0):
        return DAY
    return offset


def _format_offset(offset: timedelta) -> str:
    seconds = int(offset.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}"
    return f"{text}:{seconds:02d}" if seconds or offset.microseconds else text


def _holiday(value) -> date | None:
    if isinstance(value, datetime):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and DATE_PATTERN.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _weekly_items(weekly, errors) -> list[tuple[int, object]] | None:
    """(weekday index, ranges) from a mapping by name or index, or a list of seven."""
    if isinstance(weekly, Mapping):
        items = []
        for key, ranges in weekly.items():
            if isinstance(key, int) and not isinstance(key, bool) and 0 <= key < 7:
                items.append((key, ranges))
            elif isinstance(key, str) and key.strip().lower() in WEEKDAYS:
                items.append((WEEKDAYS.index(key.strip().lower()), ranges))
            else:
                errors.setdefault("weekly", []).append(WEEKDAY_UNKNOWN.format(name=key))
        return items
    if isinstance(weekly, (list, tuple)) and len(weekly) == 7:
        return list(enumerate(weekly))
    errors.setdefault("weekly", []).append(WEEKLY_SHAPE)
    return None


def _parse_day(name, ranges, errors) -> list[tuple[timedelta, timedelta]]:
    if ranges is None:
        return []
    if not isinstance(ranges, (list, tuple)):
        errors.setdefault(name, []).append(DAY_SHAPE)
        return []
    if len(ranges) > MAX_RANGES_PER_DAY:
        errors.setdefault(name, []).append(TOO_MANY_RANGES)
        return []
    parsed = []  # (start, end, index)
    for index, pair in enumerate(ranges):
        place = f"{name}[{index}]"
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            errors.setdefault(place, []).append(RANGE_SHAPE)
            continue
        start = _offset_of_time(pair[0], is_end=False)
        end = _offset_of_time(pair[1], is_end=True)
        if start is None or end is None:
            errors.setdefault(place, []).append(TIME_INVALID)
            continue
        if end < start:
            errors.setdefault(place, []).append(RANGE_INVERTED)
            continue
        if end == start:
            errors.setdefault(place, []).append(RANGE_EMPTY)
            continue
        parsed.append((start, end, index))
    parsed.sort()
    widest = None  # the range reaching furthest so far
    for current in parsed:
        if widest is not None and current[0] < widest[1]:
            earlier, later = sorted((widest, current), key=lambda item: item[2])
            errors.setdefault(f"{name}[{later[2]}]", []).append(
                RANGE_OVERLAP.format(
                    other=f"{name}[{earlier[2]}]",
                    start=_format_offset(earlier[0]),
                    end=_format_offset(earlier[1]),
                )
            )
        if widest is None or current[1] > widest[1]:
            widest = current
    return [(start, end) for start, end, _ in parsed]


def _require_aware(moment: datetime) -> None:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise ValueError(NAIVE_MOMENT)


class Schedule:
    """Opening ranges per weekday (Monday=0 … Sunday=6) in a time zone, with holidays.

    `weekly`: a mapping from weekday name ("monday") or index (0) to a list of ranges, or a
    list of seven such lists; a range is a pair of `datetime.time` or "HH:MM" strings,
    start < end on the same day (an end of 00:00 or "24:00" means midnight at the end of
    the day); several ranges a day may touch but not overlap. `holidays`: dates (or
    "YYYY-MM-DD") closed all day in the schedule's zone. Raises ScheduleError.
    """

    __slots__ = ("_days", "holidays", "is_always_open", "time_zone", "zone")

    def __init__(self, time_zone: str, weekly, holidays: Iterable = ()):
        errors: dict[str, list[str]] = {}
        zone = _zone(time_zone)
        if zone is None:
            errors["time_zone"] = [TIME_ZONE_UNKNOWN.format(name=time_zone)]
        days: list[list[tuple[timedelta, timedelta]]] = [[] for _ in WEEKDAYS]
        items = _weekly_items(weekly, errors)
        for weekday, ranges in items or ():
            days[weekday] = _parse_day(WEEKDAYS[weekday], ranges, errors)
        parsed_holidays = set()
        if holidays is None:
            holidays = ()
        if isinstance(holidays, (str, bytes, Mapping)) or not isinstance(holidays, Iterable):
            errors.setdefault("holidays", []).append(HOLIDAYS_SHAPE)
        else:
            holidays = list(holidays)
            if len(holidays) > MAX_HOLIDAYS:
                errors.setdefault("holidays", []).append(TOO_MANY_HOLIDAYS)
            else:
                for index, value in enumerate(holidays):
                    day = _holiday(value)
                    if day is None:
                        errors.setdefault(f"holidays[{index}]", []).append(HOLIDAY_INVALID)
                    else:
                        parsed_holidays.add(day)
        if (
            items is not None
            and not any(days)
            and not any(place.startswith(WEEKDAYS) for place in errors)
        ):
            errors.setdefault("weekly", []).append(NO_OPEN_HOURS)
        if errors:
            raise ScheduleError(errors)
        self.time_zone: str = time_zone
        self.zone: ZoneInfo = zone
        self._days = tuple(tuple(day) for day in days)
        self.holidays: frozenset[date] = frozenset(parsed_holidays)
        self.is_always_open: bool = not self.holidays and all(
            day == ((timedelta(0), DAY),) for day in self._days
        )

    # --- describing -------------------------------------------------------------------

    @property
    def weekly(self) -> tuple[tuple[tuple[time, time], ...], ...]:
        """Seven tuples of (start, end) times; an end of time(0) is midnight after the day."""
        return tuple(
            tuple(
                (
                    (datetime.min + start).time(),
                    (datetime.min + end).time(),
                )
                for start, end in day
            )
            for day in self._days
        )

    def as_json(self) -> dict:
        """{"time_zone": ..., "weekly": {"monday": [["09:00", "17:00"]], ...}, "holidays": [...]}"""
        return {
            "time_zone": self.time_zone,
            "weekly": {
                name: [[_format_offset(start), _format_offset(end)] for start, end in day]
                for name, day in zip(WEEKDAYS, self._days, strict=True)
            },
            "holidays": sorted(day.isoformat() for day in self.holidays),
        }

    def __eq__(self, other):
        if not isinstance(other, Schedule):
            return NotImplemented
        return (self.time_zone, self._days, self.holidays) == (
            other.time_zone,
            other._days,
            other.holidays,
        )

    def __hash__(self):
        return hash((self.time_zone, self._days, self.holidays))

    def __repr__(self) -> str:
        weekly = self.as_json()["weekly"]
        return f"Schedule({self.time_zone!r}, {weekly!r}, holidays={len(self.holidays)})"

    # --- questions ----------------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        _require_aware(moment)
        return moment.astimezone(self.zone)

    def weekday_name(self, moment: datetime) -> str:
        return WEEKDAYS[self.local(moment).weekday()]

    def is_open(self, moment: datetime) -> bool:
        _require_aware(moment)
        if self.is_always_open:
            return True
        moment = moment.astimezone(UTC)
        for start, _ in self._intervals(moment):
            return start <= moment  # the first interval that ends after the moment
        return False

    def next_opening(self, moment: datetime) -> datetime:
        """`moment` itself (in UTC) if open, else the start of the next open interval."""
        _require_aware(moment)
        moment = moment.astimezone(UTC)
        if self.is_always_open:
            return moment
        for start, _ in self._intervals(moment):
            return max(start, moment)
        raise HorizonError()

    # --- the day walk -------------------------------------------------------------------

    def _to_utc(self, day: date, offset: timedelta) -> datetime:
        """Local wall time `offset` after midnight of `day`, as UTC (see the module notes)."""
        naive = datetime.combine(day, time(0)) + offset
        early = naive.replace(tzinfo=self.zone).astimezone(UTC)  # fold=0: first occurrence
        if early.astimezone(self.zone).replace(tzinfo=None) == naive:
            return early
        # In a gap: the clock jumps somewhere between the two readings; find the jump.
        low = naive.replace(tzinfo=self.zone, fold=1).astimezone(UTC)
        high = early
        if low > high:
            low, high = high, low
        before = low.astimezone(self.zone).utcoffset()
        while high - low > timedelta(microseconds=1):
            middle = low + (high - low) // 2
            if middle.astimezone(self.zone).utcoffset() == before:
                low = middle
            else:
                high = middle
        return high

    def _intervals(self, moment: datetime, *, days: int = HORIZON_DAYS) -> Iterator:
        """Open (start, end) UTC intervals ending after `moment`, in order, for `days` days.

        Starts a day early: a local date can begin before the previous one ends when the
        clock goes back across midnight.
        """
        moment = moment.astimezone(UTC)
        first = moment.astimezone(self.zone).date() - DAY
        for index in range(days + 2):
            try:
                day = first + timedelta(days=index)
            except OverflowError:
                return
            if day in self.holidays:
                continue
            for start_offset, end_offset in self._days[day.weekday()]:
                try:
                    end = self._to_utc(day, end_offset)
                except OverflowError:
                    return
                if end <= moment:
                    continue
                start = self._to_utc(day, start_offset)
                if start < end:
                    yield start, end


_FULL_DAY = [[time(0), time(0)]]
ALWAYS_OPEN = Schedule("UTC", [_FULL_DAY] * 7)


def add_working_time(start: datetime, duration: timedelta, schedule: Schedule) -> datetime:
    """The moment (UTC) when `duration` of open time has passed after `start`.

    Out of hours, the clock starts at the next opening; a zero duration gives that
    opening. "1d" counted in office hours is 24 open hours. Raises HorizonError when the
    answer lies more than ten years of days ahead.
    """
    _require_aware(start)
    if duration < timedelta(0):
        raise ValueError(NEGATIVE_DURATION)
    start = start.astimezone(UTC)
    if schedule.is_always_open:
        return start + duration
    remaining = duration
    for opens, closes in schedule._intervals(start):
        opens = max(opens, start)
        length = closes - opens
        if remaining <= length:
            return opens + remaining
        remaining -= length
    raise HorizonError()


def working_time_between(start: datetime, end: datetime, schedule: Schedule) -> timedelta:
    """Open time in [start, end); zero when end <= start."""
    _require_aware(start)
    _require_aware(end)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        return timedelta(0)
    if schedule.is_always_open:
        return end - start
    span = (end.astimezone(schedule.zone).date() - start.astimezone(schedule.zone).date()).days + 2
    if span > HORIZON_DAYS:
        raise HorizonError()
    total = timedelta(0)
    for opens, closes in schedule._intervals(start, days=span):
        if opens >= end:
            break
        total += min(closes, end) - max(opens, start)
    return total
