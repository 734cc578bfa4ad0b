"""Poison work: a conversation whose processing keeps raising is parked, not hot-looped.

Each failure is recorded (after its transaction rolled back) with the error and a retry
time that doubles with every failure in a row, up to a cap; the sweeps leave the
conversation alone until then. The next success deletes the record. From
PROCESSING_FAILURES_BEFORE_FAILING failures in a row it shows as failing in the inbox
and the admin, whose "Retry processing now" sends it at once.
"""

import logging
import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from conversations.dispatch import without_url_credentials
from conversations.models import Conversation
from workflows.models import PROCESSING_ERROR_MAX_LENGTH, ProcessingFailure

logger = logging.getLogger(__name__)

# The database or the network failing under us: not the conversation's fault. The task
# retries these itself (config/celery.py) and they do not count towards failing.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)
# Of the OperationalErrors with a connection still up, only these pass on their own
# (deadlock, serialization failure); a statement time-out or "stack depth exceeded"
# comes back on every try, so it counts towards failing like any other error.
TRANSIENT_SQLSTATES = {"40P01", "40001"}


def is_transient(error: BaseException) -> bool:
    """Whether `error` is the database's passing trouble rather than this conversation's."""
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    if getattr(error.__cause__, "sqlstate", None) in TRANSIENT_SQLSTATES:
        return True
    try:
        return not connection.is_usable()
    except DatabaseError:
        return True


# Credentials that an error message may quote besides URLs: password=…, token: …
_PASSWORD_VALUE = re.compile(r"(password|passwd|secret|token)(\s*[=:]\s*)\S+", re.IGNORECASE)


def error_text(error: BaseException) -> str:
    """The error as one bounded line of text, without credentials or NUL characters."""
    text = f"{type(error).__name__}: {error}"
    text = without_url_credentials(text)
    text = _PASSWORD_VALUE.sub(r"\1\2***", text)
    text = text.replace("\x00", "")
    if len(text) > PROCESSING_ERROR_MAX_LENGTH:
        text = text[: PROCESSING_ERROR_MAX_LENGTH - 1] + "…"
    return text


def retry_delay(failures: int, *, base_seconds: int, max_seconds: int) -> timedelta:
    """base × 2^(failures-1), at most max: 5 s, 10 s, 20 s, … up to an hour."""
    exponent = min(max(failures - 1, 0), 32)  # 2^32 × base is past any sane cap
    return timedelta(seconds=min(base_seconds * 2**exponent, max_seconds))


def processing_failure_record(
    conversation_id: int, error: BaseException, now: datetime | None = None
) -> ProcessingFailure | None:
    """Count one more failure in a row, keep the error, set the next retry time.

    Call it after the failed transaction rolled back: it writes in its own. A database
    that cannot take the record either is logged; the sweep tries again later anyway.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            # The conversation's lock: two workers failing at once count twice, in turn.
            if not list(
                Conversation.objects.select_for_update().filter(pk=conversation_id).values("pk")
            ):
                return None
            failure = ProcessingFailure.objects.filter(conversation_id=conversation_id).first()
            if failure is None:
                failure = ProcessingFailure(conversation_id=conversation_id, first_failed_at=now)
            failure.failures += 1
            failure.error = error_text(error)
            failure.last_failed_at = now
            failure.retry_at = now + retry_delay(
                failure.failures,
                base_seconds=settings.PROCESSING_RETRY_BASE_SECONDS,
                max_seconds=settings.PROCESSING_RETRY_MAX_SECONDS,
            )
            failure.save()
    except DatabaseError:
        logger.exception("Could not record the processing failure of %s", conversation_id)
        return None
    logger.warning(
        "Processing conversation %s failed (%s in a row%s); next try after %s: %s",
        conversation_id,
        failure.failures,
        ", now failing" if failure.is_failing else "",
        failure.retry_at.isoformat(),
        failure.error,
    )
    return failure


def parked_conversation_ids(now: datetime):
    """Conversations the sweeps leave alone until their retry time (a subquery)."""
    return ProcessingFailure.objects.filter(retry_at__gt=now).values("conversation_id")


def processing_retry_now(conversation_ids, now: datetime | None = None) -> int:
    """Let these conversations be processed at once (the admin's "Retry processing now"):
    their retry time becomes now and their task is sent after the commit."""
    from conversations.dispatch import enqueue_on_commit
    from workflows.tasks import process_conversation_events_task

    now = now or timezone.now()
    ids = list(
        ProcessingFailure.objects.filter(conversation_id__in=conversation_ids).values_list(
            "conversation_id", flat=True
        )
    )
    ProcessingFailure.objects.filter(conversation_id__in=ids).update(retry_at=now)
    for conversation_id in ids:
        enqueue_on_commit(process_conversation_events_task, conversation_id)
    return len(ids)
