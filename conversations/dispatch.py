"""The one way work leaves the database: Celery tasks sent after the commit."""

import logging
import re
import time

from django.db import transaction

logger = logging.getLogger(__name__)

# user:password@ in a broker or database URL that an error message may quote.
_URL_CREDENTIALS = re.compile(r"(\w+://)[^/\s@]+@")


def without_url_credentials(text: str) -> str:
    """`redis://:s3cret@host` → `redis://***@host`: error texts go to logs and pages."""
    return _URL_CREDENTIALS.sub(r"\1***@", text)


# After a failed publish this process leaves its publishes to the sweep for a while: a
# broker that drops packets costs each publish its connect time-out and retries, and a
# request sending several tasks would otherwise outlast the web server's time-out.
BROKER_BACK_OFF_SECONDS = 5.0
_broker_away_until = 0.0


def enqueue_on_commit(task, *args, eta=None) -> None:
    """Send `task(*args)` once the current transaction commits (at once outside one).

    A rolled-back change sends nothing. A publish that fails (the broker is away: Celery
    retries it briefly, CELERY_TASK_PUBLISH_RETRY_POLICY) is logged and left to the
    sweeps, which find the work in the database: the change is committed, so the request
    that made it must not fail.
    """
    transaction.on_commit(lambda: send_or_leave_to_sweep(task, args, eta))


def send_or_leave_to_sweep(task, args: tuple, eta=None) -> bool:
    """Publish the task; on any error log a warning (no credentials) and return False.
    Within BROKER_BACK_OFF_SECONDS of a failure, do not try: the sweep will send it."""
    global _broker_away_until
    if time.monotonic() < _broker_away_until:
        return False
    try:
        if eta is None:
            task.delay(*args)
        else:
            task.apply_async(args=args, eta=eta)
    except Exception as error:  # whatever the broker raised, the commit stands
        _broker_away_until = time.monotonic() + BROKER_BACK_OFF_SECONDS
        logger.warning(
            "Could not send %s%r to the broker (%s); the periodic sweep will send it.",
            task.name,
            args,
            without_url_credentials(f"{type(error).__name__}: {error}")[:300],
        )
        return False
    return True


# --- coalescing: a conversation already queued is not queued again -------------------
#
# A marker per (task, key) in the "dispatch" cache (shared by the web server and the
# workers: Redis with CACHE_URL, else a folder under VAR_DIR) says "a task is on its
# way". It is added when the task is sent and deleted when the task starts, before the
# task reads anything: a change committed after that start sends a new task; a change
# committed before it is read by the task that started. The marker expires after
# QUEUED_MARKER_SECONDS, so a task the broker lost holds nothing back for longer: the
# sweeps send it again then. A cache that fails counts as "not queued" (one task too
# many, never one too few).


def _markers():
    from django.core.cache import caches

    return caches["dispatch"]


def _marker_key(task, key) -> str:
    return f"queued:{task.name}:{key}"


def queued_mark(task, key) -> bool:
    """Mark `task(key)` as queued; False when it already was (then send nothing)."""
    from django.conf import settings

    try:
        return _markers().add(_marker_key(task, key), 1, timeout=settings.QUEUED_MARKER_SECONDS)
    except Exception:  # the cache is away: send, a duplicate task finds nothing to do
        logger.warning("Could not mark %s(%r) as queued; sending it anyway.", task.name, key)
        return True


def queued_clear(task, key) -> None:
    """The task has started: from now on a new change must send it again."""
    try:
        _markers().delete(_marker_key(task, key))
    except Exception:  # the marker expires on its own
        logger.warning("Could not clear the queued marker of %s(%r).", task.name, key)


def send_unless_queued(task, key) -> bool:
    """Send `task(key)` unless it is queued already; True when it was sent now."""
    if not queued_mark(task, key):
        return False
    if not send_or_leave_to_sweep(task, (key,)):
        queued_clear(task, key)  # not queued after all: the sweep must be free to send it
        return False
    return True


def enqueue_coalesced_on_commit(task, key) -> None:
    """`enqueue_on_commit(task, key)`, except when `task(key)` is queued already and has
    not started yet (the marker is checked after the commit, see above)."""
    transaction.on_commit(lambda: send_unless_queued(task, key))
