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
