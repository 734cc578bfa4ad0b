"""The workspace's office hours (DESIGN.md §7), read from the stored OfficeHours row.

Until an admin saves office hours, the default applies: Monday to Friday, 09:00 to 17:00
in OFFICE_HOURS_TIME_ZONE. The schedule is cached per process for CACHE_SECONDS: rule
evaluation asks several times per event and should not query each time. Saving the row
clears this process's cache at once; other processes (workers) see a change within
CACHE_SECONDS.
"""

import logging
import threading
import time as clock
from datetime import datetime
from zoneinfo import ZoneInfo

from django.core.signals import setting_changed
from django.dispatch import receiver

from conversations.business_time import WEEKDAYS, Schedule, ScheduleError

logger = logging.getLogger(__name__)

__all__ = [
    "WEEKDAYS",
    "clear_schedule_cache",
    "default_schedule",
    "is_office_hours",
    "prime_schedule_cache",
    "weekday_name",
    "workspace_schedule",
    "workspace_zone",
]

CACHE_SECONDS = 5.0

_lock = threading.Lock()
_cached: tuple[Schedule, float] | None = None


def clear_schedule_cache() -> None:
    global _cached
    _cached = None


def prime_schedule_cache(schedule: Schedule) -> None:
    """Cache `schedule` as if just read (tests: the schedule of an empty workspace)."""
    global _cached
    with _lock:
        _cached = (schedule, clock.monotonic())


def default_schedule() -> Schedule:
    """The schedule of a workspace that has stored none: weekdays 09:00-17:00."""
    from conversations.models import OfficeHours

    return OfficeHours().schedule()


def workspace_schedule() -> Schedule:
    """The stored schedule, or the default if none is stored; one query when not cached."""
    global _cached
    cached = _cached
    now = clock.monotonic()
    if cached is not None and now - cached[1] < CACHE_SECONDS:
        return cached[0]
    from conversations.models import OfficeHours

    row = OfficeHours.objects.filter(pk=OfficeHours.SINGLETON_PK).first()
    try:
        schedule = row.schedule() if row is not None else default_schedule()
    except ScheduleError as error:
        # Saved through clean(), so only a hand-edited row gets here: keep the defaults.
        logger.error("stored office hours are invalid, using the defaults: %s", error)
        schedule = default_schedule()
    with _lock:
        _cached = (schedule, now)
    return schedule


@receiver(setting_changed)
def _clear_on_setting_change(setting, **kwargs):
    if setting in ("OFFICE_HOURS_TIME_ZONE", "TIME_ZONE"):
        clear_schedule_cache()


def workspace_zone() -> ZoneInfo:
    return workspace_schedule().zone


def weekday_name(moment: datetime) -> str:
    """ "monday" … "sunday": the weekday of an aware moment in the workspace's zone."""
    return workspace_schedule().weekday_name(moment)


def is_office_hours(moment: datetime) -> bool:
    return workspace_schedule().is_open(moment)
