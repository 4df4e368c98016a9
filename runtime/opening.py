"""When ticketing opens next, in words for people (zh and en): the kiosk's closed screen and
the display's closed-day banner both read ``view.ticketing.opens_at`` through it."""

from __future__ import annotations

from datetime import timedelta

from config import hours
from config.schema import Hall

_WEEKDAY_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
_WEEKDAY_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def opening_words(hall: Hall, now: float | None, opens_at: float | None) -> tuple[str, str]:
    """When ticketing opens next, in words: today, tomorrow or a weekday and date.

    Args:
        hall: the hall (its time zone).
        now: the broker's time, for "today" and "tomorrow" (None: unknown, so the date).
        opens_at: ``view.ticketing.opens_at`` (None: no opening within the broker's horizon).
    """
    if opens_at is None:
        return "暂无开放时间", "no opening time is set"
    opening = hours.local(hall, opens_at)
    today = None if now is None else hours.local(hall, now).date()
    hhmm = opening.strftime("%H:%M")
    if opening.date() == today:
        return f"今天 {hhmm}", f"today at {hhmm}"
    if today is not None and opening.date() == today + timedelta(days=1):
        return f"明天 {hhmm}", f"tomorrow at {hhmm}"
    wd = opening.weekday()
    return (f"{opening.month}月{opening.day}日（{_WEEKDAY_ZH[wd]}）{hhmm}",
            f"{_WEEKDAY_EN[wd]} {opening.strftime('%d %b')} at {hhmm}")
