"""The functional core of webhooks: which outbox events are sent as which types, the
body of a delivery, its signature, the retry schedule and when an endpoint is switched
off. Plain data in, plain data out; no database, no network."""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

# The event types of API.md, "Webhooks, HTTP requests and placeholders".
RUN_STARTED = "workflow.run_started"
RUN_ENDED = "workflow.run_ended"
# The outbox's event types (conversations.models.EventType values) that are sent.
CONVERSATION_EVENT_TYPES = {
    "conversation_opened": "conversation.opened",
    "customer_message": "conversation.customer_message",
    "teammate_replied": "conversation.teammate_reply",
    "note_added": "conversation.note",
    "assigned": "conversation.assigned",
    "state_changed": "conversation.state_changed",
    "tag_added": "conversation.tag_added",
    "tag_removed": "conversation.tag_removed",
    "sla_missed": "conversation.sla_missed",
}
EVENT_TYPES = (*CONVERSATION_EVENT_TYPES.values(), RUN_STARTED, RUN_ENDED)
ALL_EVENTS = "*"
# Sent by the page's "Send test event" (and the API's): to that endpoint only, whatever
# it subscribes to.
TEST_EVENT_TYPE = "webhook.test"

# Attempts past the first: the delays double from the base up to base × 512, 14 retries,
# about 25 hours in all with the default base of 30 s.
RETRIES = 14
LONGEST_DELAY_FACTOR = 512


def webhook_type_of(outbox_event_type: str) -> str | None:
    """The webhook type an outbox event is sent as; None: not sent."""
    return CONVERSATION_EVENT_TYPES.get(outbox_event_type)


def subscribes(events: list[str], webhook_type: str) -> bool:
    return ALL_EVENTS in events or webhook_type in events


def events_problem(events) -> str | None:
    """Why a list of event types is refused (None: fine)."""
    if not isinstance(events, list) or not events:
        return 'Give a list of event types, or ["*"] for all of them.'
    unknown = [name for name in events if name != ALL_EVENTS and name not in EVENT_TYPES]
    if unknown:
        return f"Unknown event type: {unknown[0]!s:.60}."
    return None


@dataclass(frozen=True)
class WebhookEvent:
    """One thing to send, before it is matched with the endpoints that want it."""

    type: str
    conversation_id: int | None
    created_at: datetime
    data: dict


def conversation_event(
    *,
    event_type: str,
    conversation_id: int,
    created_at: datetime,
    actor: dict,
    details: dict,
) -> WebhookEvent | None:
    webhook_type = webhook_type_of(event_type)
    if webhook_type is None:
        return None
    data = {"conversation": {"id": conversation_id}, "actor": actor, "details": details}
    return WebhookEvent(webhook_type, conversation_id, created_at, data)


def run_event(
    webhook_type: str,
    *,
    conversation_id: int,
    at: datetime,
    run_id: int | None,
    workflow_id: int,
    workflow_name: str,
    status: str,
    end_reason: str = "",
) -> WebhookEvent:
    run = {"id": run_id, "status": status}
    if webhook_type == RUN_ENDED:
        run["end_reason"] = end_reason
    data = {
        "conversation": {"id": conversation_id},
        "workflow": {"id": workflow_id, "name": workflow_name},
        "run": run,
    }
    return WebhookEvent(webhook_type, conversation_id, at, data)


def body_fields(delivery_id: str, event: WebhookEvent) -> dict:
    """The delivery's JSON body: {id, type, created_at, data}."""
    return {
        "id": delivery_id,
        "type": event.type,
        "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }


def raw_body(payload: dict) -> bytes:
    """The bytes sent (and signed): the same for every attempt of a delivery."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """Inbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def retry_delays(base_seconds: int) -> list[int]:
    """Seconds to wait before each retry: the first is the base, each one doubles it, up
    to base × 512."""
    return [min(base_seconds * 2**n, base_seconds * LONGEST_DELAY_FACTOR) for n in range(RETRIES)]


def next_delay(attempts_made: int, base_seconds: int) -> int | None:
    """The wait before the next attempt once `attempts_made` failed; None: no more."""
    delays = retry_delays(base_seconds)
    if attempts_made < 1 or attempts_made > len(delays):
        return None
    return delays[attempts_made - 1]


def disable_decision(
    failing_since: datetime | None, now: datetime, disable_after: timedelta, last_error: str
) -> dict | None:
    """After a failed attempt: the record of why the endpoint is switched off (every
    attempt has failed for `disable_after`), or None: it stays on."""
    if failing_since is None or now - failing_since < disable_after:
        return None
    return {
        "kind": "failing",
        "since": failing_since.isoformat(),
        "hours": int(disable_after.total_seconds() // 3600),
        "last_error": last_error[:200],
    }


def attempt_problem(status_code: int | None, error: str) -> str:
    """What went wrong with an attempt, as the attempt row keeps it ("" when it went
    through): the client's error, or the answer's status."""
    if error:
        return error
    if status_code is None or not 200 <= status_code < 300:
        return f"HTTP {status_code}"
    return ""
