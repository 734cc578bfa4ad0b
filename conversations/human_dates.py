"""Moments as people read them, in the workspace's time zone: the one place that says a
date or a time ("5 min ago", "yesterday 14:02", "3 Dec, 09:00", "3 Dec 2027") and its
exact form for hovering ("Thu 3 Dec 2026, 09:00 CET").

Every template that shows a date uses the filters of `conversations/templatetags/
human_dates.py`, and `workflows/log_words.py` says the "until …" of snoozes and waits
through `moment_words`. The workspace's zone is its office hours' (DESIGN.md §7), which
default to OFFICE_HOURS_TIME_ZONE, then TIME_ZONE.

Any moment Python holds is said without an error, from year 1 to year 9999: a moment
that cannot be moved into the zone (at the ends of that range) is said in its own zone.
"""

from datetime import UTC, date, datetime, timedelta, tzinfo

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
JUST_NOW = "just now"
MINUTES_AGO = "{n} min ago"
TODAY, YESTERDAY, TOMORROW = "today", "yesterday", "tomorrow"
# Under this, a past moment is said as the time since it ("5 min ago").
RECENT = timedelta(hours=1)
# Within this many days of today, a moment is said by its weekday ("Mon 14:02").
THIS_WEEK_DAYS = 6


def workspace_zone() -> tzinfo:
    from conversations.office_hours import workspace_zone as zone_of_office_hours

    return zone_of_office_hours()


def parse_moment(value) -> datetime | None:
    """A stored moment (an aware datetime, or its ISO text in JSON details), or None."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


def local(moment: datetime, zone: tzinfo) -> datetime:
    """The moment on the zone's clock; in its own zone when the zone's clock cannot show
    it (a few hours from the ends of year 1 and year 9999)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # stored naive only by hand: UTC (USE_TZ)
    try:
        return moment.astimezone(zone)
    except (OverflowError, ValueError):
        return moment


def _clock(moment: datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _day(day: date, *, year: bool) -> str:
    said = f"{day.day} {MONTHS[day.month - 1]}"
    return f"{said} {day.year}" if year else said


def _context(now, zone):
    return (now or datetime.now(UTC)), (zone or workspace_zone())


def moment_words(value, *, now: datetime | None = None, zone: tzinfo | None = None) -> str:
    """A moment by the calendar, past or future: "today 14:02", "yesterday 14:02",
    "tomorrow 09:00", "Mon 09:00", "3 Dec, 09:00" this year, "3 Dec 2027" another."""
    now, zone = _context(now, zone)
    if isinstance(value, date) and not isinstance(value, datetime):
        return day_words(value, now=now, zone=zone)
    moment = parse_moment(value)
    if moment is None:
        return "" if value is None else str(value)
    shown = local(moment, zone)
    today = local(now, zone).date()
    days = (shown.date() - today).days
    if days == 0:
        return f"{TODAY} {_clock(shown)}"
    if days == -1:
        return f"{YESTERDAY} {_clock(shown)}"
    if days == 1:
        return f"{TOMORROW} {_clock(shown)}"
    if abs(days) <= THIS_WEEK_DAYS:
        return f"{WEEKDAYS[shown.weekday()]} {_clock(shown)}"
    if shown.year == today.year:
        return f"{_day(shown, year=False)}, {_clock(shown)}"
    return _day(shown, year=True)


def day_words(day: date, *, now: datetime | None = None, zone: tzinfo | None = None) -> str:
    now, zone = _context(now, zone)
    today = local(now, zone).date()
    days = (day - today).days
    if days in (-1, 0, 1):
        return {-1: YESTERDAY, 0: TODAY, 1: TOMORROW}[days]
    return _day(day, year=day.year != today.year)


def ago_words(value, *, now: datetime | None = None, zone: tzinfo | None = None) -> str:
    """When something happened: "just now", "5 min ago" within the hour, then as
    `moment_words` ("yesterday 14:02")."""
    now, zone = _context(now, zone)
    moment = parse_moment(value)
    if moment is None:
        return moment_words(value, now=now, zone=zone)
    since = now - moment
    if timedelta(minutes=-1) < since < timedelta(minutes=1):
        return JUST_NOW
    if timedelta(0) < since < RECENT:
        return MINUTES_AGO.format(n=int(since.total_seconds() // 60))
    return moment_words(moment, now=now, zone=zone)


def is_recent(value, *, now: datetime | None = None) -> bool:
    """Said as the time since it ("5 min ago"): words a page keeps current as time passes."""
    moment = parse_moment(value)
    if moment is None:
        return False
    since = (now or datetime.now(UTC)) - moment
    return timedelta(minutes=-1) < since < RECENT


def exact_words(value, *, zone: tzinfo | None = None) -> str:
    """The moment in full, for hovering: "Thu 3 Dec 2026, 09:00 CET"."""
    zone = zone or workspace_zone()
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{WEEKDAYS[value.weekday()]} {_day(value, year=True)}"
    moment = parse_moment(value)
    if moment is None:
        return "" if value is None else str(value)
    shown = local(moment, zone)
    return (
        f"{WEEKDAYS[shown.weekday()]} {_day(shown, year=True)}, {_clock(shown)} "
        f"{shown.tzname() or ''}"
    ).strip()


def machine_words(value) -> str:
    """The moment for `<time datetime=…>`: ISO 8601, in UTC."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    moment = parse_moment(value)
    if moment is None:
        return ""
    try:
        return moment.astimezone(UTC).isoformat()
    except (OverflowError, ValueError):
        return moment.isoformat()


# The units of a span, largest first (a number and its unit never wrap apart).
SPAN_UNITS = (("day", 86_400), ("hour", 3_600), ("minute", 60))


def span_words(span: timedelta) -> str:
    """How long something has lasted, in its two largest units: "2\xa0hours, 5\xa0minutes",
    "3\xa0days, 4\xa0hours", "0\xa0minutes" under a minute (a negative span too)."""
    seconds = max(0, int(span.total_seconds()))
    said = []
    for unit, size in SPAN_UNITS:
        amount, seconds = divmod(seconds, size)
        if amount or said:
            said.append(f"{amount}\xa0{unit}{'' if amount == 1 else 's'}")
        if len(said) == 2:
            break
    said = [words for words in said if not words.startswith("0\xa0")]
    return ", ".join(said) or "0\xa0minutes"
