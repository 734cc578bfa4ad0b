"""Office-hours arithmetic: pure Python with fixed moments, no database."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conversations import business_time
from conversations.business_time import (
    ALWAYS_OPEN,
    HorizonError,
    Schedule,
    ScheduleError,
    add_working_time,
    working_time_between,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in range(5)}


def at(zone, *parts):
    return datetime(*parts, tzinfo=zone)


def office(zone="Europe/Berlin", weekly=None, holidays=()):
    return Schedule(zone, WEEKDAYS_9_TO_5 if weekly is None else weekly, holidays)


def hours(value):
    return timedelta(hours=value)


class TestWeekendsAndHolidays:
    def test_the_clock_stops_over_the_weekend(self):
        friday = at(BERLIN, 2025, 1, 10, 16, 0)

        due = add_working_time(friday, hours(2), office())

        assert due == at(BERLIN, 2025, 1, 13, 10, 0)  # Monday
        assert working_time_between(friday, due, office()) == hours(2)

    def test_a_holiday_is_closed_all_day(self):
        schedule = office(holidays=["2025-12-25", date(2025, 12, 26)])
        christmas_eve = at(BERLIN, 2025, 12, 24, 16, 0)

        due = add_working_time(christmas_eve, hours(2), schedule)

        assert due == at(BERLIN, 2025, 12, 29, 10, 0)  # Thu and Fri off, then the weekend
        assert not schedule.is_open(at(BERLIN, 2025, 12, 25, 10, 0))
        assert schedule.next_opening(at(BERLIN, 2025, 12, 25, 10, 0)) == at(
            BERLIN, 2025, 12, 29, 9, 0
        )
        assert working_time_between(christmas_eve, due, schedule) == hours(2)

    def test_a_day_counted_in_office_hours_is_24_office_hours(self):
        monday = at(BERLIN, 2025, 1, 6, 9, 0)

        due = add_working_time(monday, timedelta(days=1), office())

        assert due == at(BERLIN, 2025, 1, 8, 17, 0)  # 8 hours on Mon, Tue and Wed

    def test_a_start_out_of_hours_starts_the_clock_at_the_next_opening(self):
        saturday = at(BERLIN, 2025, 1, 11, 10, 0)
        early_monday = at(BERLIN, 2025, 1, 13, 8, 0)

        assert add_working_time(saturday, hours(1), office()) == at(BERLIN, 2025, 1, 13, 10, 0)
        assert add_working_time(early_monday, timedelta(minutes=30), office()) == at(
            BERLIN, 2025, 1, 13, 9, 30
        )
        assert add_working_time(saturday, timedelta(0), office()) == at(BERLIN, 2025, 1, 13, 9)
        assert working_time_between(saturday, early_monday, office()) == timedelta(0)

    def test_open_means_from_the_start_up_to_but_not_including_the_end(self):
        schedule = office()

        assert schedule.is_open(at(BERLIN, 2025, 1, 6, 9, 0))
        assert schedule.is_open(at(BERLIN, 2025, 1, 6, 16, 59, 59))
        assert not schedule.is_open(at(BERLIN, 2025, 1, 6, 17, 0))
        assert not schedule.is_open(at(BERLIN, 2025, 1, 6, 8, 59, 59))
        assert schedule.next_opening(at(BERLIN, 2025, 1, 6, 10)) == at(BERLIN, 2025, 1, 6, 10)
        assert schedule.next_opening(at(BERLIN, 2025, 1, 6, 17)) == at(BERLIN, 2025, 1, 7, 9)

    def test_a_negative_or_empty_span_has_no_working_time(self):
        monday = at(BERLIN, 2025, 1, 6, 10, 0)

        assert working_time_between(monday, monday, office()) == timedelta(0)
        assert working_time_between(monday, monday - hours(1), office()) == timedelta(0)


class TestSplitRanges:
    SPLIT = {day: [["09:00", "12:00"], ["13:00", "17:00"]] for day in range(5)}

    def test_the_clock_stops_over_lunch(self):
        schedule = office(weekly=self.SPLIT)
        morning = at(BERLIN, 2025, 1, 6, 11, 0)

        assert add_working_time(morning, hours(2), schedule) == at(BERLIN, 2025, 1, 6, 14, 0)
        assert working_time_between(morning, at(BERLIN, 2025, 1, 6, 18), schedule) == timedelta(
            hours=5
        )

    def test_a_start_at_lunch_waits_for_the_afternoon(self):
        schedule = office(weekly=self.SPLIT)
        lunch = at(BERLIN, 2025, 1, 6, 12, 30)

        assert not schedule.is_open(lunch)
        assert schedule.next_opening(lunch) == at(BERLIN, 2025, 1, 6, 13, 0)
        assert add_working_time(lunch, hours(1), schedule) == at(BERLIN, 2025, 1, 6, 14, 0)

    def test_touching_ranges_and_ranges_to_midnight_are_accepted(self):
        schedule = Schedule(
            "UTC",
            {"monday": [["09:00", "12:00"], ["12:00", "24:00"]], "tuesday": [[time(0), time(6)]]},
        )
        monday_evening = at(UTC, 2025, 1, 6, 23, 0)

        assert schedule.weekly[0][1] == (time(12), time(0))
        assert add_working_time(monday_evening, hours(3), schedule) == at(UTC, 2025, 1, 7, 2)
        assert schedule.as_json()["weekly"]["monday"] == [["09:00", "12:00"], ["12:00", "24:00"]]


class TestDaylightSaving:
    def test_berlin_spring_forward_keeps_local_opening_times(self):
        # The clocks go from 02:00 to 03:00 on Sunday 30 March 2025; open every day 9-17.
        every_day = office(weekly={day: [["09:00", "17:00"]] for day in range(7)})
        saturday = at(BERLIN, 2025, 3, 29, 16, 0)  # 15:00 UTC

        due = add_working_time(saturday, hours(2), every_day)

        assert due == at(BERLIN, 2025, 3, 30, 10, 0)
        assert due == datetime(2025, 3, 30, 8, 0, tzinfo=UTC)  # not 09:00 UTC

    def test_berlin_fall_back_keeps_local_opening_times(self):
        every_day = office(weekly={day: [["09:00", "17:00"]] for day in range(7)})
        saturday = at(BERLIN, 2025, 10, 25, 16, 0)  # 14:00 UTC

        due = add_working_time(saturday, hours(2), every_day)

        assert due == datetime(2025, 10, 26, 9, 0, tzinfo=UTC)  # 10:00 CET

    def test_a_night_range_across_the_change_is_an_hour_shorter_or_longer(self):
        nights = Schedule("Europe/Berlin", {"sunday": [["00:00", "06:00"]]})

        spring = at(BERLIN, 2025, 3, 30, 0, 0)
        autumn = at(BERLIN, 2025, 10, 26, 0, 0)

        assert working_time_between(spring, spring + timedelta(days=1), nights) == hours(5)
        assert working_time_between(autumn, autumn + timedelta(days=1), nights) == hours(7)
        assert add_working_time(spring, hours(5), nights) == at(BERLIN, 2025, 3, 30, 6, 0)
        assert add_working_time(autumn, hours(7), nights) == at(BERLIN, 2025, 10, 26, 6, 0)

    def test_a_whole_local_day_lasts_23_or_25_hours(self):
        sundays = Schedule("Europe/Berlin", {"sunday": [["00:00", "24:00"]]})

        spring = at(BERLIN, 2025, 3, 30, 0, 0)
        autumn = at(BERLIN, 2025, 10, 26, 0, 0)

        assert working_time_between(spring, spring + timedelta(days=2), sundays) == hours(23)
        assert working_time_between(autumn, autumn + timedelta(days=2), sundays) == hours(25)

    def test_a_range_in_the_skipped_hour_opens_when_the_clock_jumps(self):
        # 02:30 does not exist on 30 March 2025 in Berlin: the range opens at the jump.
        odd = Schedule("Europe/Berlin", {"sunday": [["02:30", "03:15"]]})
        before = at(BERLIN, 2025, 3, 30, 0, 0)

        assert odd.next_opening(before) == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)
        assert working_time_between(before, before + timedelta(days=1), odd) == timedelta(
            minutes=15
        )

    def test_a_range_in_the_repeated_hour_uses_its_first_occurrence(self):
        # 02:00-03:00 happens twice on 26 October 2025: the range opens at the first 02:00
        # (CEST) and closes at 03:00 CET, which happens once, so it lasts two hours.
        odd = Schedule("Europe/Berlin", {"sunday": [["02:00", "03:00"]]})
        before = at(BERLIN, 2025, 10, 26, 0, 0)

        assert odd.next_opening(before) == datetime(2025, 10, 26, 0, 0, tzinfo=UTC)
        assert working_time_between(before, before + timedelta(days=1), odd) == hours(2)

    def test_new_york_spring_forward_over_a_weekend(self):
        # Clocks go forward on Sunday 9 March 2025: Friday 16:00 EST is 21:00 UTC.
        friday = at(NEW_YORK, 2025, 3, 7, 16, 0)

        due = add_working_time(friday, hours(2), office("America/New_York"))

        assert due == datetime(2025, 3, 10, 14, 0, tzinfo=UTC)  # Monday 10:00 EDT
        assert working_time_between(friday, due, office("America/New_York")) == hours(2)

    def test_new_york_fall_back_over_a_weekend(self):
        friday = at(NEW_YORK, 2025, 10, 31, 16, 0)  # 20:00 UTC, EDT

        due = add_working_time(friday, hours(2), office("America/New_York"))

        assert due == datetime(2025, 11, 3, 15, 0, tzinfo=UTC)  # Monday 10:00 EST


class TestTimeZones:
    def test_the_same_utc_start_gives_different_results_in_two_zones(self):
        start = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)  # Monday: 16:00 Berlin, 10:00 NY

        in_berlin = add_working_time(start, hours(2), office("Europe/Berlin"))
        in_new_york = add_working_time(start, hours(2), office("America/New_York"))

        assert in_berlin == datetime(2025, 1, 7, 9, 0, tzinfo=UTC)  # Tuesday 10:00 CET
        assert in_new_york == datetime(2025, 1, 6, 17, 0, tzinfo=UTC)  # Monday 12:00 EST

    def test_a_zone_with_a_quarter_hour_offset(self):
        kathmandu = ZoneInfo("Asia/Kathmandu")  # UTC+05:45
        start = at(kathmandu, 2025, 1, 6, 16, 30)

        due = add_working_time(start, hours(1), office("Asia/Kathmandu"))

        assert due == at(kathmandu, 2025, 1, 7, 9, 30)

    def test_holidays_are_dates_in_the_schedules_zone(self):
        # 1 Jan 2025 in Auckland starts at 11:00 UTC on 31 December.
        schedule = office("Pacific/Auckland", holidays=["2025-01-01"])

        assert not schedule.is_open(datetime(2024, 12, 31, 21, 0, tzinfo=UTC))  # 10:00 NZDT
        assert schedule.weekday_name(datetime(2024, 12, 31, 21, 0, tzinfo=UTC)) == "wednesday"

    def test_a_day_missing_from_the_calendar_is_skipped(self):
        # Samoa skipped Friday 30 December 2011 when it moved across the date line.
        apia = ZoneInfo("Pacific/Apia")
        schedule = office("Pacific/Apia")
        thursday = at(apia, 2011, 12, 29, 16, 0)

        assert add_working_time(thursday, hours(2), schedule) == at(apia, 2012, 1, 2, 10, 0)


class TestAlwaysOpen:
    def test_always_open_is_plain_arithmetic(self):
        start = datetime(2025, 3, 29, 23, 0, tzinfo=UTC)

        assert ALWAYS_OPEN.is_always_open
        assert ALWAYS_OPEN.is_open(start)
        assert ALWAYS_OPEN.next_opening(start) == start
        assert add_working_time(start, timedelta(days=1), ALWAYS_OPEN) == start + hours(24)
        assert working_time_between(start, start + hours(30), ALWAYS_OPEN) == hours(30)

    def test_a_schedule_open_around_the_clock_in_any_zone_is_always_open(self):
        schedule = Schedule("Europe/Berlin", [[["00:00", "24:00"]]] * 7)
        start = at(BERLIN, 2025, 3, 29, 12, 0).astimezone(UTC)  # UTC: 48 real hours

        assert schedule.is_always_open
        assert add_working_time(start, hours(48), schedule) == start + hours(48)
        assert add_working_time(start, hours(48), schedule) == at(BERLIN, 2025, 3, 31, 13, 0)


class TestBadInput:
    def errors(self, *args):
        with pytest.raises(ScheduleError) as raised:
            Schedule(*args)
        return raised.value.errors

    def test_an_inverted_range_is_refused_at_its_place(self):
        errors = self.errors("UTC", {"monday": [["09:00", "12:00"], ["17:00", "09:00"]]})

        assert errors == {"monday[1]": [business_time.RANGE_INVERTED]}
        assert business_time.RANGE_INVERTED.startswith("Ends before it starts.")

    def test_an_empty_range_is_refused(self):
        assert self.errors("UTC", {"friday": [["09:00", "09:00"]]}) == {
            "friday[0]": [business_time.RANGE_EMPTY]
        }

    def test_overlapping_ranges_on_one_day_are_refused(self):
        errors = self.errors(
            "UTC", {"tuesday": [["09:00", "17:00"], ["10:00", "11:00"], ["12:00", "13:00"]]}
        )

        assert errors == {
            "tuesday[1]": ["Overlaps tuesday[0] (09:00–17:00)."],
            "tuesday[2]": ["Overlaps tuesday[0] (09:00–17:00)."],
        }

    def test_an_unknown_time_zone_is_refused(self):
        errors = self.errors("Mars/Olympus", WEEKDAYS_9_TO_5)

        assert errors == {"time_zone": ['Unknown time zone "Mars/Olympus".']}

    @pytest.mark.parametrize("name", ["", "../../etc/passwd", "utc ", None, 5])
    def test_odd_time_zone_names_are_refused(self, name):
        assert list(self.errors(name, WEEKDAYS_9_TO_5)) == ["time_zone"]

    @pytest.mark.parametrize(
        "weekly",
        [{}, {"monday": []}, [[]] * 7, {"saturday": None}],
    )
    def test_a_schedule_with_no_open_hours_is_refused(self, weekly):
        assert self.errors("UTC", weekly) == {"weekly": [business_time.NO_OPEN_HOURS]}

    @pytest.mark.parametrize(
        ("weekly", "place", "message"),
        [
            ("09:00-17:00", "weekly", business_time.WEEKLY_SHAPE),
            ([[["09:00", "17:00"]]], "weekly", business_time.WEEKLY_SHAPE),
            ({"funday": [["09:00", "17:00"]], "monday": [["09:00", "17:00"]]}, "weekly",
             business_time.WEEKDAY_UNKNOWN.format(name="funday")),
            ({"monday": "09:00-17:00"}, "monday", business_time.DAY_SHAPE),
            ({"monday": [["09:00"]]}, "monday[0]", business_time.RANGE_SHAPE),
            ({"monday": [["9am", "5pm"]]}, "monday[0]", business_time.TIME_INVALID),
            ({"monday": [["24:00", "24:00"]]}, "monday[0]", business_time.TIME_INVALID),
            ({"monday": [["09:60", "17:00"]]}, "monday[0]", business_time.TIME_INVALID),
            ({"monday": [[9, 17]]}, "monday[0]", business_time.TIME_INVALID),
            ({"monday": [["09:00", "17:00"]] * 25}, "monday", business_time.TOO_MANY_RANGES),
        ],
    )  # fmt: skip
    def test_malformed_weekly_input_names_its_place(self, weekly, place, message):
        assert message in self.errors("UTC", weekly)[place]

    def test_bad_holidays_name_their_place(self):
        errors = self.errors("UTC", WEEKDAYS_9_TO_5, ["2025-12-25", "2025-13-01", "soon", 5])

        assert errors == {
            f"holidays[{index}]": [business_time.HOLIDAY_INVALID] for index in (1, 2, 3)
        }
        assert self.errors("UTC", WEEKDAYS_9_TO_5, "2025-12-25") == {
            "holidays": [business_time.HOLIDAYS_SHAPE]
        }

    def test_every_error_is_reported_at_once(self):
        errors = self.errors("Nowhere/Land", {"monday": [["17:00", "09:00"]]}, ["never"])

        assert set(errors) == {"time_zone", "monday[0]", "holidays[0]"}

    def test_naive_moments_and_negative_durations_are_refused(self):
        with pytest.raises(ValueError, match="aware"):
            office().is_open(datetime(2025, 1, 6, 10))
        with pytest.raises(ValueError, match="aware"):
            add_working_time(datetime(2025, 1, 6, 10), hours(1), office())
        with pytest.raises(ValueError, match="negative"):
            add_working_time(at(UTC, 2025, 1, 6, 10), -hours(1), office())

    def test_the_day_walk_is_bounded(self):
        one_hour_a_week = Schedule("UTC", {"monday": [["09:00", "10:00"]]})

        with pytest.raises(HorizonError):
            add_working_time(at(UTC, 2025, 1, 6), timedelta(days=365), one_hour_a_week)

    def test_the_json_form_builds_the_same_schedule(self):
        schedule = office(
            weekly={0: [[time(9), time(12)], [time(13), time(17)]], 5: [["10:00", "14:00"]]},
            holidays=[date(2025, 12, 25)],
        )

        assert Schedule(**schedule.as_json()) == schedule


# --- properties over random starts, durations and schedules -----------------------------

SCHEDULES = [
    office("Europe/Berlin"),
    office("America/New_York", holidays=["2025-07-04", "2025-12-25", "2026-01-01"]),
    office("Asia/Kolkata", weekly={d: [["09:00", "12:00"], ["13:00", "17:30"]] for d in range(6)}),
    Schedule("Europe/Berlin", {"sunday": [["00:00", "06:00"]], "saturday": [["02:30", "03:10"]]}),
    Schedule("America/New_York", {"friday": [["22:00", "24:00"]], "saturday": [["00:00", "06:00"]]}),
    Schedule("Australia/Lord_Howe", {d: [["01:45", "02:15"], ["08:00", "20:00"]] for d in range(7)}),
    Schedule("Pacific/Apia", {d: [["09:00", "17:00"]] for d in range(5)}),
    Schedule("UTC", {"wednesday": [["12:00", "12:01"]]}, ["2025-06-04"]),
]  # fmt: skip

starts = st.datetimes(
    min_value=datetime(2010, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))
schedules = st.sampled_from(SCHEDULES)
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(start=starts, duration=durations, schedule=schedules)
def test_working_time_between_inverts_add_working_time(start, duration, schedule):
    try:
        due = add_working_time(start, duration, schedule)
    except HorizonError:
        return  # a minute a week for twenty days of work is beyond ten years
    assert due >= start
    assert working_time_between(start, due, schedule) == duration


@PROPERTY_SETTINGS
@given(start=starts, first=durations, second=durations, schedule=schedules)
def test_adding_in_two_steps_equals_adding_at_once(start, first, second, schedule):
    second += timedelta(seconds=1)  # a zero second step would wait for the next opening
    try:
        at_once = add_working_time(start, first + second, schedule)
    except HorizonError:
        return
    assert add_working_time(add_working_time(start, first, schedule), second, schedule) == at_once


@PROPERTY_SETTINGS
@given(start=starts, gap=durations, split=st.floats(0, 1), schedule=schedules)
def test_working_time_adds_up_over_consecutive_spans(start, gap, split, schedule):
    end = start + gap
    middle = start + gap * split
    total = working_time_between(start, end, schedule)

    assert timedelta(0) <= total <= gap
    assert (
        working_time_between(start, middle, schedule) + working_time_between(middle, end, schedule)
        == total
    )


@PROPERTY_SETTINGS
@given(moment=starts, schedule=schedules)
def test_the_next_opening_is_open_and_nothing_before_it_is(moment, schedule):
    try:
        opening = schedule.next_opening(moment)
    except HorizonError:
        return
    assert opening >= moment
    assert schedule.is_open(opening)
    assert schedule.is_open(moment) == (opening == moment)
    assert working_time_between(moment, opening, schedule) == timedelta(0)


@PROPERTY_SETTINGS
@given(moment=starts, zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Asia/Tokyo"]))
def test_is_open_agrees_with_the_local_clock_for_day_ranges(moment, zone):
    schedule = office(zone, holidays=["2020-12-25"])
    local = moment.astimezone(ZoneInfo(zone))
    expected = (
        local.weekday() < 5
        and time(9) <= local.time() < time(17)
        and local.date() != date(2020, 12, 25)
    )

    assert schedule.is_open(moment) == expected
