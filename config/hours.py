"""Hall-local time: which day a moment belongs to and whether the hall is open.

Pure functions of the hall's configuration and a time, shared by the broker's rules and
the kiosk (which reads them against the broker's clock).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from config.schema import WEEKDAYS, Hall


def local(hall: Hall, at: float) -> datetime:
    """The moment ``at`` (epoch seconds) on the hall's wall clock."""
    return datetime.fromtimestamp(at, hall.hours.zone())


def day_of(hall: Hall, at: float) -> str:
    """The hall-local date (YYYY-MM-DD) a moment belongs to; numbering restarts with it."""
    return local(hall, at).date().isoformat()


def is_open(hall: Hall, at: float) -> bool:
    """Whether ``at`` falls in one of today's opening periods."""
    moment = local(hall, at)
    if WEEKDAYS[moment.weekday()] not in hall.hours.days:
        return False
    now = moment.time()
    return any(p.start_time() <= now < p.end_time() for p in hall.hours.periods)


def next_opening(hall: Hall, at: float) -> datetime | None:
    """The start of the next opening period after ``at``, within a fortnight."""
    moment = local(hall, at)
    for days_ahead in range(15):
        date = (moment + timedelta(days=days_ahead)).date()
        if WEEKDAYS[date.weekday()] not in hall.hours.days:
            continue
        for period in sorted(hall.hours.periods, key=lambda p: p.start):
            start = datetime.combine(date, period.start_time(), tzinfo=moment.tzinfo)
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
    """When the last opening period of ``at``'s hall-local day ends (epoch seconds).

    None when the hall does not open that day. A period ending "24:00" closes at the
    last instant of the day.
    """
    moment = local(hall, at)
    if WEEKDAYS[moment.weekday()] not in hall.hours.days:
        return None
    end = max(period.end_time() for period in hall.hours.periods)
    return datetime.combine(moment.date(), end, tzinfo=moment.tzinfo).timestamp()
