import datetime as dt

import pytest
import time_machine

from accounts.models import CalendarDay
from accounts.selectors import working_day_add
from core.clock import SHANGHAI, add_calendar_months, shanghai_date, shanghai_day_bounds


def test_shanghai_day_is_the_unit_of_per_day_limits():
    # 2026-11-23 17:30 UTC is already 2026-11-24 01:30 in Shanghai.
    with time_machine.travel(dt.datetime(2026, 11, 23, 17, 30, tzinfo=dt.UTC), tick=False):
        assert shanghai_date() == dt.date(2026, 11, 24)
    start, end = shanghai_day_bounds(dt.date(2026, 11, 24))
    assert start == dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)
    assert end - start == dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.datetime(2026, 1, 31, 10, tzinfo=SHANGHAI), 1, dt.datetime(2026, 2, 28, 10, tzinfo=SHANGHAI)),
        (dt.datetime(2025, 11, 23, 0, 30, tzinfo=SHANGHAI), 12, dt.datetime(2026, 11, 23, 0, 30, tzinfo=SHANGHAI)),
        (dt.datetime(2026, 11, 23, 9, tzinfo=SHANGHAI), -12, dt.datetime(2025, 11, 23, 9, tzinfo=SHANGHAI)),
        (dt.datetime(2024, 2, 29, 9, tzinfo=SHANGHAI), 12, dt.datetime(2025, 2, 28, 9, tzinfo=SHANGHAI)),
    ],
)
def test_calendar_months_in_shanghai(start, months, expected):
    assert add_calendar_months(start, months) == expected


@pytest.mark.django_db
def test_working_days_skip_weekends_and_holidays_and_count_make_up_days():
    # Friday 2026-09-25 + 3 working days, with the National Day week off and Sunday 2026-09-27 a make-up day.
    for day in range(1, 8):
        CalendarDay.objects.create(date=dt.date(2026, 10, day), kind=CalendarDay.Kind.HOLIDAY)
    CalendarDay.objects.create(date=dt.date(2026, 9, 27), kind=CalendarDay.Kind.WORKDAY)
    assert working_day_add(start=dt.date(2026, 9, 25), days=1) == dt.date(2026, 9, 27)
    assert working_day_add(start=dt.date(2026, 9, 25), days=2) == dt.date(2026, 9, 28)
    assert working_day_add(start=dt.date(2026, 9, 25), days=3) == dt.date(2026, 9, 29)
    assert working_day_add(start=dt.date(2026, 9, 29), days=2) == dt.date(2026, 10, 8)


@pytest.mark.django_db
def test_working_days_plain_week():
    assert working_day_add(start=dt.date(2026, 11, 20), days=3) == dt.date(2026, 11, 25)  # Fri → Wed
