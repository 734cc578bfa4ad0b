"""The stored workspace office hours: default row, admin editing, and the rule attributes."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from conversations import business_time, office_hours
from conversations.business_time import Schedule
from conversations.models import OfficeHours
from workflows.engine.errors import ErrorCollector
from workflows.engine.rules import compile_group
from workflows.facts import build_facts

pytestmark = pytest.mark.django_db

WEEKDAYS_9_TO_5 = {day: [["09:00", "17:00"]] for day in ("monday", "tuesday", "wednesday")}
WEEKDAYS_9_TO_5.update({day: [["09:00", "17:00"]] for day in ("thursday", "friday")})
SUNDAY_IN_TOKYO = {"time_zone": "Asia/Tokyo", "weekly": {"sunday": [["10:00", "12:00"]]}}
# Sunday 5 January 2025, 10:30 in Tokyo, and the Monday after at the same time.
SUNDAY_MORNING = datetime(2025, 1, 5, 1, 30, tzinfo=UTC)
MONDAY_MORNING = SUNDAY_MORNING + timedelta(days=1)


@pytest.fixture
def admin_client_logged_in(client, admin_user):
    client.force_login(admin_user)
    return client


def store(time_zone, weekly, holidays=()):
    row = OfficeHours.load()
    row.time_zone, row.weekly, row.holidays = time_zone, weekly, list(holidays)
    row.full_clean()
    row.save()
    return row


def change_url():
    return reverse("admin:conversations_officehours_change", args=[OfficeHours.SINGLETON_PK])


def post_data(**changes):
    row = OfficeHours.load()
    data = {
        "time_zone": row.time_zone,
        "weekly": json.dumps(row.weekly),
        "holidays": json.dumps(row.holidays),
    }
    data.update(changes)
    return data


class TestTheStoredRow:
    def test_the_default_row_is_weekdays_nine_to_five_in_the_configured_zone(self, settings):
        settings.OFFICE_HOURS_TIME_ZONE = "Europe/Berlin"

        row = OfficeHours.load()

        assert OfficeHours.load().pk == row.pk
        assert OfficeHours.objects.count() == 1
        assert row.time_zone == "Europe/Berlin"
        assert row.weekly == {**WEEKDAYS_9_TO_5, "saturday": [], "sunday": []}
        assert row.holidays == []
        assert row.schedule() == Schedule("Europe/Berlin", WEEKDAYS_9_TO_5)
        assert office_hours.workspace_schedule() == row.schedule()

    def test_there_is_only_ever_one_row(self):
        OfficeHours.load()
        OfficeHours(time_zone="UTC").save()

        assert OfficeHours.objects.count() == 1
        assert OfficeHours.load().time_zone == "UTC"

    def test_clean_puts_schedule_errors_on_their_fields_and_names_the_place(self):
        row = OfficeHours(
            time_zone="Mars/Olympus",
            weekly={"monday": [["09:00", "12:00"], ["11:00", "13:00"]]},
            holidays=["someday"],
        )

        with pytest.raises(ValidationError) as raised:
            row.full_clean()

        assert raised.value.message_dict == {
            "time_zone": ['Unknown time zone "Mars/Olympus".'],
            "weekly": ["monday[1]: Overlaps monday[0] (09:00–12:00)."],
            "holidays": [f"holidays[0]: {business_time.HOLIDAY_INVALID}"],
        }

    def test_the_helpers_read_the_stored_schedule(self):
        store(**SUNDAY_IN_TOKYO)

        assert office_hours.workspace_zone() == ZoneInfo("Asia/Tokyo")
        assert office_hours.is_office_hours(SUNDAY_MORNING)
        assert not office_hours.is_office_hours(MONDAY_MORNING)
        assert office_hours.weekday_name(SUNDAY_MORNING) == "sunday"
        assert office_hours.weekday_name(datetime(2025, 1, 5, 20, 0, tzinfo=UTC)) == "monday"

    def test_the_schedule_is_cached_and_a_save_refreshes_it(self, django_assert_num_queries):
        office_hours.clear_schedule_cache()
        with django_assert_num_queries(1):
            office_hours.workspace_schedule()
        with django_assert_num_queries(0):
            office_hours.workspace_schedule()

        store(**SUNDAY_IN_TOKYO)

        assert office_hours.workspace_schedule().time_zone == "Asia/Tokyo"

    def test_reading_before_any_edit_gives_the_default_and_stores_nothing(self, settings):
        settings.OFFICE_HOURS_TIME_ZONE = "America/New_York"

        assert office_hours.workspace_schedule() == Schedule("America/New_York", WEEKDAYS_9_TO_5)
        assert office_hours.workspace_zone() == ZoneInfo("America/New_York")
        assert not OfficeHours.objects.exists()

    def test_a_row_broken_behind_the_admins_back_falls_back_to_the_defaults(self):
        OfficeHours.load()
        OfficeHours.objects.update(weekly={"monday": [["17:00", "09:00"]]})
        office_hours.clear_schedule_cache()

        assert office_hours.workspace_schedule() == office_hours.default_schedule()


class TestTheAdmin:
    def test_the_list_opens_the_one_row(self, admin_client_logged_in):
        response = admin_client_logged_in.get(reverse("admin:conversations_officehours_changelist"))

        assert response.status_code == 302
        assert response["Location"] == change_url()

    def test_the_change_page_shows_the_schedule_and_how_to_write_it(self, admin_client_logged_in):
        OfficeHours.load()

        response = admin_client_logged_in.get(change_url())

        assert response.status_code == 200
        body = response.content.decode()
        assert 'name="weekly"' in body
        # Help text is rendered as written (the admin marks it safe).
        assert '{"monday": [["09:00", "12:00"], ["13:00", "17:00"]]' in body
        assert '["2025-12-25", "2026-01-01"]' in body
        assert escape(json.dumps(OfficeHours.load().weekly)) in body  # the current value

    def test_there_is_no_adding_or_deleting(self, admin_client_logged_in):
        OfficeHours.load()

        assert (
            admin_client_logged_in.get(reverse("admin:conversations_officehours_add")).status_code
            == 403
        )
        assert (
            admin_client_logged_in.get(
                reverse("admin:conversations_officehours_delete", args=[1])
            ).status_code
            == 403
        )

    def test_a_valid_change_is_saved_and_used_at_once(self, admin_client_logged_in):
        OfficeHours.load()
        assert not office_hours.is_office_hours(SUNDAY_MORNING)

        response = admin_client_logged_in.post(
            change_url(),
            post_data(
                time_zone="Asia/Tokyo",
                weekly=json.dumps(SUNDAY_IN_TOKYO["weekly"]),
                holidays='["2025-01-12"]',
            ),
        )

        assert response.status_code == 302
        row = OfficeHours.load()
        assert row.time_zone == "Asia/Tokyo"
        assert row.holidays == ["2025-01-12"]
        assert office_hours.is_office_hours(SUNDAY_MORNING)
        assert not office_hours.is_office_hours(SUNDAY_MORNING + timedelta(days=7))  # holiday

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("weekly", '{"monday": [["17:00", "09:00"]]}',
             f"monday[0]: {business_time.RANGE_INVERTED}"),
            ("weekly", '{"monday": [["09:00", "12:00"], ["11:00", "17:00"]]}',
             "monday[1]: Overlaps monday[0] (09:00–12:00)."),
            ("weekly", '{"monday": []}', business_time.NO_OPEN_HOURS),
            ("weekly", '{"monday": [["09:00", "17:00"]', "Enter a valid JSON."),
            ("weekly", '"nine to five"', business_time.WEEKLY_SHAPE),
            ("time_zone", "Mars/Olympus", 'Unknown time zone "Mars/Olympus".'),
            ("holidays", '["2025-02-30"]', f"holidays[0]: {business_time.HOLIDAY_INVALID}"),
            ("holidays", '{"christmas": "2025-12-25"}', business_time.HOLIDAYS_SHAPE),
        ],
    )  # fmt: skip
    def test_bad_input_is_shown_beside_its_field_and_nothing_is_saved(
        self, admin_client_logged_in, field, value, message
    ):
        before = OfficeHours.load()

        response = admin_client_logged_in.post(change_url(), post_data(**{field: value}))

        assert response.status_code == 200
        assert message in response.context["adminform"].form.errors[field]
        body = response.content.decode()
        row_html = body[body.index(f"field-{field}") :]
        row_html = row_html[: row_html.index('<div class="form-row')]
        assert 'class="errorlist' in row_html
        assert escape(message) in row_html
        after = OfficeHours.objects.get()
        assert (after.time_zone, after.weekly, after.holidays, after.updated_at) == (
            before.time_zone,
            before.weekly,
            before.holidays,
            before.updated_at,
        )


class TestRuleAttributes:
    def audience_matches(self, conversation, now, value):
        errors = ErrorCollector()
        group = compile_group(
            {"match": "all", "rules": [
                {"attribute": "time.office_hours", "operator": "is", "value": value}
            ]},
            "audience",
            errors,
        )  # fmt: skip
        assert errors.errors == {}
        return group.evaluate(build_facts(conversation, now=now, load_tags=set))

    def test_time_office_hours_and_weekday_use_the_stored_schedule(self, conversation):
        store(**SUNDAY_IN_TOKYO)

        sunday = build_facts(conversation, now=SUNDAY_MORNING, load_tags=set)
        monday = build_facts(conversation, now=MONDAY_MORNING, load_tags=set)

        assert (sunday["time.office_hours"], sunday["time.weekday"]) == (True, "sunday")
        assert (monday["time.office_hours"], monday["time.weekday"]) == (False, "monday")
        assert self.audience_matches(conversation, SUNDAY_MORNING, True)
        assert self.audience_matches(conversation, MONDAY_MORNING, False)

    def test_the_default_schedule_applies_before_any_edit(self, conversation, settings):
        settings.OFFICE_HOURS_TIME_ZONE = "UTC"

        assert self.audience_matches(conversation, MONDAY_MORNING + timedelta(hours=8), True)
        assert self.audience_matches(conversation, SUNDAY_MORNING, False)
