"""Dates as people read them (conversations/human_dates.py and its template filters)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template

from conversations import human_dates
from conversations.models import OfficeHours

BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
HONOLULU = ZoneInfo("Pacific/Honolulu")
# Wednesday 25 November 2026, 14:00 UTC (15:00 in Berlin).
NOW = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "said"),
    [
        (NOW - timedelta(seconds=20), "just now"),
        (NOW + timedelta(seconds=20), "just now"),
        (NOW - timedelta(minutes=5), "5 min ago"),
        (NOW - timedelta(minutes=59), "59 min ago"),
        (NOW - timedelta(hours=3), "today 12:00"),
        (datetime(2026, 11, 24, 13, 2, tzinfo=UTC), "yesterday 14:02"),
        (datetime(2026, 11, 23, 8, 0, tzinfo=UTC), "Mon 09:00"),
        (datetime(2026, 3, 3, 9, 30, tzinfo=UTC), "3 Mar, 10:30"),
        (datetime(2025, 3, 3, 9, 30, tzinfo=UTC), "3 Mar 2025"),
    ],
)
def test_a_past_moment_is_relative_when_recent_then_by_the_calendar(moment, said):
    assert human_dates.ago_words(moment, now=NOW, zone=BERLIN) == said


@pytest.mark.parametrize(
    ("moment", "said"),
    [
        (NOW + timedelta(hours=2), "today 17:00"),
        (datetime(2026, 11, 26, 8, 0, tzinfo=UTC), "tomorrow 09:00"),
        (datetime(2026, 11, 30, 8, 0, tzinfo=UTC), "Mon 09:00"),
        (datetime(2026, 12, 24, 8, 0, tzinfo=UTC), "24 Dec, 09:00"),
        (datetime(2027, 1, 4, 8, 0, tzinfo=UTC), "4 Jan 2027"),
    ],
)
def test_a_moment_to_come_is_said_by_the_calendar(moment, said):
    assert human_dates.moment_words(moment, now=NOW, zone=BERLIN) == said


def test_the_day_changes_at_midnight_in_the_workspace_zone_not_in_utc():
    late = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)  # 08:30 on the 26th in Tokyo

    assert human_dates.moment_words(late, now=NOW, zone=UTC) == "today 23:30"
    assert human_dates.moment_words(late, now=NOW, zone=TOKYO) == "tomorrow 08:30"


def test_the_exact_moment_names_its_zone():
    assert human_dates.exact_words(NOW, zone=BERLIN) == "Wed 25 Nov 2026, 15:00 CET"
    assert human_dates.exact_words(NOW, zone=UTC) == "Wed 25 Nov 2026, 14:00 UTC"
    assert human_dates.machine_words(NOW) == "2026-11-25T14:00:00+00:00"


def test_iso_text_from_stored_details_reads_like_a_moment():
    stored = "2026-11-25T17:23:35.952091+00:00"

    assert human_dates.moment_words(stored, now=NOW, zone=UTC) == "today 17:23"
    assert human_dates.moment_words("not a date", now=NOW, zone=UTC) == "not a date"


@pytest.mark.parametrize(
    "moment",
    [
        datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(1, 1, 1, 0, 0, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59),  # naive
        date(9999, 12, 31),
        "9999-12-31T23:59:59+00:00",
    ],
)
@pytest.mark.parametrize("zone", [TOKYO, HONOLULU, UTC])
def test_moments_at_the_ends_of_the_calendar_are_said_without_an_error(moment, zone):
    said = human_dates.ago_words(moment, now=NOW, zone=zone)
    exact = human_dates.exact_words(moment, zone=zone)

    year = "9999" if "9999" in str(moment) else "1"
    assert said.endswith(year) and year in exact
    assert human_dates.machine_words(moment)


@pytest.mark.django_db
def test_the_filters_use_the_office_hours_zone_and_show_the_exact_moment_on_hover():
    OfficeHours.objects.create(time_zone="Asia/Tokyo")
    template = Template(
        "{% load human_dates %}{{ when|human_time }}|{{ until|human_until }}|{{ none|human_time }}"
    )
    now = datetime.now(UTC)

    shown = template.render(
        Context({"when": now - timedelta(minutes=5), "until": datetime(9999, 1, 1, tzinfo=UTC)})
    )

    ago, until, nothing = shown.split("|")
    assert ago.startswith('<time datetime="') and ">5 min ago</time>" in ago
    assert 'title="' in ago and " JST" in ago
    assert ">1 Jan 9999</time>" in until and nothing == ""


@pytest.mark.parametrize(
    ("span", "said"),
    [
        (timedelta(seconds=40), "0\xa0minutes"),
        (timedelta(minutes=-3), "0\xa0minutes"),
        (timedelta(minutes=1), "1\xa0minute"),
        (timedelta(hours=2), "2\xa0hours"),
        (timedelta(hours=2, minutes=5, seconds=30), "2\xa0hours, 5\xa0minutes"),
        (timedelta(days=1, hours=4, minutes=3), "1\xa0day, 4\xa0hours"),
        (timedelta(days=45, minutes=3), "45\xa0days"),
    ],
)
def test_a_wait_is_said_in_its_two_largest_units(span, said):
    assert human_dates.span_words(span) == said
