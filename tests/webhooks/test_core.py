"""The pure part of webhooks: signature, schedule, switch-off, event types."""

import hashlib
import hmac
import itertools
from datetime import UTC, datetime, timedelta

from webhooks import events as core


def test_the_signature_is_stripes_scheme_over_the_raw_body():
    body = core.raw_body({"id": "d1", "type": "conversation.opened"})
    header = core.signature_header("whsec_test", 1700000000, body)
    expected = hmac.new(b"whsec_test", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert core.signature_header("other", 1700000000, body) != header


def test_retries_grow_and_last_about_a_day_with_the_default_base():
    delays = core.retry_delays(30)
    assert delays[:4] == [30, 60, 120, 240]
    assert all(later >= earlier for earlier, later in itertools.pairwise(delays))
    assert timedelta(hours=22) < timedelta(seconds=sum(delays)) < timedelta(hours=28)
    assert core.next_delay(1, 30) == 30
    assert core.next_delay(len(delays), 30) == delays[-1]
    assert core.next_delay(len(delays) + 1, 30) is None  # failed for good


def test_an_endpoint_is_switched_off_after_a_day_of_failures_only():
    since = datetime(2026, 1, 1, tzinfo=UTC)
    day = timedelta(hours=24)
    assert core.disable_decision(None, since, day, "HTTP 500") is None
    assert core.disable_decision(since, since + timedelta(hours=23), day, "HTTP 500") is None
    reason = core.disable_decision(since, since + timedelta(hours=24, minutes=1), day, "HTTP 500")
    assert reason["kind"] == "failing" and reason["last_error"] == "HTTP 500"


def test_event_types_are_api_mds_and_unknown_ones_are_named():
    assert core.webhook_type_of("teammate_replied") == "conversation.teammate_reply"
    assert core.webhook_type_of("bot_inbox_changed") is None
    assert core.events_problem(["*"]) is None
    assert core.events_problem(["conversation.opened", "workflow.run_ended"]) is None
    assert "conversation.closed" in core.events_problem(["conversation.closed"])
    assert core.events_problem([]) is not None
