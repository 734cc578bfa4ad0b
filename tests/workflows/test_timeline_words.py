"""The timeline's words for a run's go and for skipped workflows, from records alone
(workflows/log_words.run_line, skip_entry_words): no database, no English read back."""

from datetime import UTC, datetime, timedelta

import pytest

from conversations import office_hours
from conversations.business_time import Schedule
from workflows.log_words import run_line, skip_entry_words

STARTED = ("started", {"trigger": "customer_any_message"}, "Started")
COMPLETED = ("completed", {}, "Completed")


@pytest.fixture(autouse=True)
def workspace_in_utc():
    # The dates below are said in the workspace's zone: UTC here, without a database.
    office_hours.prime_schedule_cache(Schedule("UTC", {"monday": [["09:00", "17:00"]]}))
    yield
    office_hours.clear_schedule_cache()


def step(kind, changed=True, **data):
    return ("step", {"type": kind, "changed": changed, **data}, "as the executor wrote it")


def test_a_run_whose_steps_found_everything_done_says_it_changed_nothing():
    line = run_line("Tagger", [STARTED, step("add_tag", False, tag="VIP"), COMPLETED])

    assert line.text == "Tagger: ran, changed nothing"
    assert not line.changed
    assert line.steps == ["Started: Customer sends any message", "Already tagged VIP", "Finished"]


def test_a_run_without_steps_says_it_changed_nothing():
    line = run_line("Empty branch", [STARTED, ("branch", {"branch": "else"}, "x"), COMPLETED])

    assert line.text == "Empty branch: ran, changed nothing"
    assert line.steps[1] == "No branch matched: took the else path"


def test_a_run_says_only_what_changed_and_every_step_when_expanded():
    records = [
        STARTED,
        step("add_tag", tag="VIP"),
        step("assign", False, assignee=None, team="Support"),
        step("set_priority", priority=True),
        ("deferred", {"type": "assign", "assignee": "Ben", "team": "Billing"}, "x"),
        COMPLETED,
    ]

    line = run_line("Route", records)

    assert line.text == (
        "Route: tagged VIP, marked as priority, "
        "assignment to Ben in Billing held until the bot finished"
    )
    assert line.steps[2] == "Already assigned to Support"


def test_the_messages_of_records_are_never_read_for_the_summary():
    records = [STARTED, ("step", {"type": "close", "changed": True}, "Tagged it (not true)")]

    assert run_line("Closer", records).text == "Closer: closed the conversation"


def test_a_wait_and_a_snooze_say_their_end_by_the_calendar():
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=9, minute=5)
    records = [
        STARTED,
        step("snooze", until=tomorrow.isoformat()),
        (
            "waiting",
            {"cause": "wait", "until": tomorrow.isoformat(), "until_reply": "customer"},
            "",
        ),
    ]

    line = run_line("Later", records)

    assert line.text == (
        "Later: snoozed until tomorrow 09:05, "
        "waiting until tomorrow 09:05 or until the customer replies"
    )


def test_a_skipped_workflow_says_the_failing_rule_and_the_value_it_met():
    failure = {"attribute": "contact.plan", "operator": "is", "expected": "Pro",
               "actual": "Free", "expected_shown": '"Pro"', "actual_shown": '"Free"'}  # fmt: skip
    unknown = {"attribute": "contact.monthly_spend", "operator": "gt", "expected": 500,
               "actual": None}  # fmt: skip

    said = skip_entry_words("Pro routing", {"rule": "targeting", "failures": [failure, unknown]})

    assert said.startswith('"Pro routing": ')
    first, second = said.split("; ")
    assert first.endswith("is Pro — was Free")
    assert second.endswith("500 — was unknown")


def test_a_date_the_rule_met_is_said_as_a_date():
    failure = {"attribute": "contact.created_at", "operator": "after",
               "expected": "2026-01-01", "actual": "2025-03-03T09:30:00+00:00"}  # fmt: skip

    said = skip_entry_words("New customers", {"rule": "targeting", "failures": [failure]})

    assert said.endswith("— was Mon 3 Mar 2025, 09:30 UTC")
