"""Logging filters (settings.LOGGING): keep the console to what someone should read."""

import logging

from django.conf import settings


def routine_task_names() -> set[str]:
    """The periodic sweeps: the tasks of the beat schedule (their follow-up batches keep
    the same names)."""
    return {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}


def task_name_of(record: logging.LogRecord) -> str | None:
    """The task a Celery log record is about: the worker's "received" and "succeeded"
    lines carry a dict with `name`; beat's "Sending due task %s (%s)" a tuple whose
    second item is the task."""
    args = record.args
    if isinstance(args, dict):
        return args.get("name")
    if isinstance(args, tuple) and len(args) == 2 and isinstance(args[1], str):
        return args[1]
    return None


class RoutineTasksAtDebug(logging.Filter):
    """Logs the sweeps' routine INFO lines at DEBUG: every SWEEP_INTERVAL_SECONDS beat
    sends each sweep and the worker logs it received and succeeded (~144 lines a minute at
    idle). Their failures and warnings keep their level; LOG_LEVEL=DEBUG shows them all.
    Attached to the loggers (celery.beat, celery.worker.strategy, celery.app.trace),
    which Celery leaves alone when it sets up its own handlers."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or task_name_of(record) not in routine_task_names():
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


class PermissionDeniedWithoutTraceback(logging.Filter):
    """A 403 is a teammate reaching a page they may not use, not a fault: its
    "Forbidden (Permission denied): /path" warning is kept, its traceback dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
