"""Office hours, until the workspace schedule of the SLA issue: a fixed weekly schedule.

Monday to Friday, 09:00 to 17:00 in OFFICE_HOURS_TIME_ZONE (default: TIME_ZONE).
"""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django.conf import settings

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_OPEN_DAYS = range(0, 5)
DEFAULT_OPENS, DEFAULT_CLOSES = time(9), time(17)


def workspace_zone() -> ZoneInfo:
    return ZoneInfo(getattr(settings, "OFFICE_HOURS_TIME_ZONE", settings.TIME_ZONE))


def weekday_name(moment: datetime) -> str:
    return WEEKDAYS[moment.astimezone(workspace_zone()).weekday()]


def is_office_hours(moment: datetime) -> bool:
    local = moment.astimezone(workspace_zone())
    return local.weekday() in DEFAULT_OPEN_DAYS and DEFAULT_OPENS <= local.time() < DEFAULT_CLOSES
