"""Time helpers. The product reads the time only from django.utils.timezone.now() (API.md: Clocks),
never from the database, so tests can move the clock with time-machine."""

import datetime as dt
from zoneinfo import ZoneInfo

from django.utils import timezone

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> dt.datetime:
    return timezone.now()


def shanghai_date(moment: dt.datetime | None = None) -> dt.date:
    """The Asia/Shanghai calendar day of a moment: the unit of every "per day" limit."""
    return (moment or now()).astimezone(SHANGHAI).date()


def shanghai_day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of an Asia/Shanghai calendar day, as aware datetimes."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI)
    return start, start + dt.timedelta(days=1)


def add_calendar_months(moment: dt.datetime, months: int) -> dt.datetime:
    """Calendar months in Asia/Shanghai (SPEC §8); the 31st falls back to the month's last day."""
    local = moment.astimezone(SHANGHAI)
    month_index = local.month - 1 + months
    year, month = local.year + month_index // 12, month_index % 12 + 1
    for day in (local.day, 30, 29, 28):
        try:
            return local.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable")
