"""Hall-local time: which day a moment belongs to and whether the hall is open.

Pure functions of the hall's configuration and a time, shared by the broker's rules and
the kiosk (which reads them against the broker's clock).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

from config import calendar
from config.hours_table import time_of_day
from config.schema import WEEKDAYS, Hall, Period

LOOKAHEAD_DAYS = 15
"""How far ahead ``next_opening`` looks (a fortnight and a day: a long holiday fits)."""


def local(hall: Hall, at: float) -> datetime:
    """The moment ``at`` (epoch seconds) on the hall's wall clock."""
    return datetime.fromtimestamp(at, hall.hours.zone())


def day_start_time(hall: Hall) -> time:
    """When the hall's day starts (``hours.day_starts``, checked when the hall was loaded)."""
    # Not through a new ``Period``: a model built and validated on every command's day_of.
    return time_of_day(hall.hours.day_starts)


def day_of(hall: Hall, at: float) -> str:
    """The hall-local day (YYYY-MM-DD) a moment belongs to; numbering restarts with it.

    The day starts at ``hours.day_starts``: with "04:00", 02:00 on the 2nd still belongs
    to the 1st.
    """
    moment = local(hall, at)
    if moment.time() < day_start_time(hall):
        return (moment.date() - timedelta(days=1)).isoformat()
    return moment.date().isoformat()


@lru_cache(maxsize=64)
def _days(entries: tuple[str, ...]) -> frozenset[date]:
    return calendar.day_set(entries)


def is_holiday(hall: Hall, day: date) -> bool:
    """Whether the calendar closes ``day`` all day (a listed holiday)."""
    return day in _days(hall.hours.holidays)


def periods_on(hall: Hall, day: date) -> tuple[Period, ...]:
    """The opening periods of a calendar date: a special day's own, none on a holiday or a
    day off, the normal ones on an opening day or a moved working day (调休)."""
    for special in hall.hours.special:
        if special.date == day.isoformat():
            return special.periods
    if is_holiday(hall, day):
        return ()
    if WEEKDAYS[day.weekday()] in hall.hours.days or day in _days(hall.hours.workdays):
        return hall.hours.periods
    return ()


def closed_all_day(hall: Hall, at: float) -> bool:
    """Whether the calendar date of ``at`` has no opening period at all (a holiday, a
    weekend, a day off) — as against a moment outside an open day's periods."""
    return not periods_on(hall, local(hall, at).date())


def is_open(hall: Hall, at: float) -> bool:
    """Whether ``at`` falls in one of its date's opening periods."""
    moment = local(hall, at)
    now = moment.time()
    return any(p.start_time() <= now < p.end_time() for p in periods_on(hall, moment.date()))


def next_opening(hall: Hall, at: float) -> datetime | None:
    """The start of the next opening period after ``at``, within ``LOOKAHEAD_DAYS``."""
    moment = local(hall, at)
    for days_ahead in range(LOOKAHEAD_DAYS):
        day = (moment + timedelta(days=days_ahead)).date()
        for period in sorted(periods_on(hall, day), key=lambda p: p.start):
            start = datetime.combine(day, period.start_time(), tzinfo=moment.tzinfo)
            if start > moment:
                return start
    return None


def parse_local(hall: Hall, text: str) -> float:
    """Epoch seconds of an ISO-8601 datetime; a naive one is read as hall-local time.

    Raises:
        ValueError: when the text is not an ISO-8601 datetime.
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=hall.hours.zone())
    return moment.timestamp()


def closing_at(hall: Hall, at: float) -> float | None:
    """When the last opening period of ``at``'s calendar date ends (epoch seconds).

    None when the hall does not open that day (the calendar's holidays, 调休 workdays and
    special days included). A period ending "24:00" closes at the last instant of the day.
    For "will this visitor be served before we close today?" (延时服务).
    """
    moment = local(hall, at)
    periods = periods_on(hall, moment.date())
    if not periods:
        return None
    end = max(p.end_time() for p in periods)
    return datetime.combine(moment.date(), end, tzinfo=moment.tzinfo).timestamp()
