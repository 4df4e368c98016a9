"""The ``[hours]`` table of the hall file: opening days and periods, the calendar (holidays,
调休 workdays, special days) and when the hall's day starts.

The models only check what is written; ``config.hours`` answers questions of time with them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import time
from functools import lru_cache
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, field_validator, model_validator

from config import calendar
from config.base import ConfigModel, InconsistentHallError, Loc

# 24:00 is allowed as the end of a day; 24:30 is not a time of day.
_HHMM = re.compile(r"^(?:([01]\d|2[0-3]):([0-5]\d)|24:00)$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_Model = ConfigModel


class Period(_Model):
    """One opening period of a day, e.g. 08:30-12:00, in hall-local time."""

    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError("must be a time written HH:MM, e.g. '08:30'")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.start >= self.end:
            raise ValueError(f"period start {self.start} must be before its end {self.end}")
        return self

    def start_time(self) -> time:
        """The start as a ``datetime.time``."""
        return time_of_day(self.start)

    def end_time(self) -> time:
        """The end as a ``datetime.time`` (24:00 becomes 23:59:59.999999)."""
        return time_of_day(self.end)


@lru_cache(maxsize=256)
def time_of_day(value: str) -> time:
    """A checked ``HH:MM`` as a ``datetime.time`` (24:00 becomes 23:59:59.999999).

    Kept once per text: the broker asks for the same few period bounds several times in
    every command (is the hall open, when does this period end), and parsing them each
    time was a tenth of a short line's command.
    """
    hours, minutes = (int(part) for part in value.split(":"))
    if hours == 24:
        return time(23, 59, 59, 999999)
    return time(hours, minutes)


def _periods_overlap(periods: Sequence[Period], where: Loc, applies: str) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    ordered = sorted(enumerate(periods), key=lambda item: item[1].start)
    for (_, earlier), (index, later) in zip(ordered, ordered[1:]):
        if later.start < earlier.end:
            problems.append((
                (*where, "periods", index),
                f"period {later.start}-{later.end} overlaps {earlier.start}-{earlier.end} "
                f"({applies}); merge them into one period or "
                "move one so it starts at or after the other's end",
            ))
    return problems


CalendarEntry = Annotated[str, BeforeValidator(calendar.as_text)]
"""A date "YYYY-MM-DD" or an inclusive range "2026-10-01..2026-10-07"."""


class SpecialDay(_Model):
    """A day with its own opening periods (e.g. a half day before a holiday)."""

    date: CalendarEntry
    periods: tuple[Period, ...]

    @field_validator("date")
    @classmethod
    def _a_date(cls, value: str) -> str:
        first, last = calendar.parse_entry(value)
        if first != last:
            raise ValueError(f"a special day is one date, not the range {value!r}; "
                             "add one [[hours.special]] per day")
        return value

    @field_validator("periods")
    @classmethod
    def _some_period(cls, value: tuple[Period, ...]) -> tuple[Period, ...]:
        if not value:
            raise ValueError("a special day needs at least one period; a day closed all "
                             "day belongs in holidays instead")
        return value

    @model_validator(mode="after")
    def _periods_apart(self) -> SpecialDay:
        problems = _periods_overlap(self.periods, (), f"the special day {self.date}")
        if problems:
            raise InconsistentHallError(problems)
        return self


def _entries(value: tuple[str, ...]) -> tuple[str, ...]:
    problems: list[tuple[Loc, str]] = []
    for index, entry in enumerate(value):
        try:
            calendar.parse_entry(entry)
        except ValueError as err:
            problems.append(((index,), str(err)))
    if problems:
        raise InconsistentHallError(problems)
    return value


class Hours(_Model):
    """When the hall issues tickets."""

    timezone: str = "Asia/Shanghai"
    days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = (
        "mon", "tue", "wed", "thu", "fri",
    )
    periods: tuple[Period, ...] = (
        Period(start="08:30", end="12:00"),
        Period(start="13:30", end="17:30"),
    )
    day_starts: str = "00:00"
    """When the hall's day (and its numbering) starts; tickets alive then are carried over."""
    holidays: tuple[CalendarEntry, ...] = ()
    """Dates or inclusive ranges closed all day (法定节假日)."""
    workdays: tuple[CalendarEntry, ...] = ()
    """Dates open with the normal periods although not in ``days`` (调休)."""
    special: tuple[SpecialDay, ...] = ()
    """Days with their own periods; they override ``days`` and ``workdays``."""

    @field_validator("day_starts")
    @classmethod
    def _day_start(cls, value: str) -> str:
        if not _HHMM.match(value) or value == "24:00":
            raise ValueError("must be a time of day written HH:MM, e.g. '00:00' or '04:00'")
        return value

    @field_validator("holidays", "workdays")
    @classmethod
    def _calendar_entries(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _entries(value)

    @field_validator("days")
    @classmethod
    def _some_day(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("no opening day: the hall would never issue a ticket; "
                             'list the days it opens, e.g. days = ["mon", "tue", "wed", "thu", '
                             '"fri"]')
        return value

    @field_validator("periods")
    @classmethod
    def _some_period(cls, value: tuple[Period, ...]) -> tuple[Period, ...]:
        if not value:
            raise ValueError("no opening period: the hall would never issue a ticket; "
                             'add one, e.g. periods = [{ start = "08:30", end = "12:00" }]')
        return value

    @model_validator(mode="after")
    def _periods_apart(self) -> Hours:
        problems = _periods_overlap(self.periods, (), "the periods apply to every opening day")
        problems += _calendar_clashes(self)
        if problems:
            raise InconsistentHallError(problems)
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        # OSError: some Python builds raise IsADirectoryError for "Asia".
        except (ZoneInfoNotFoundError, ValueError, OSError) as err:
            raise ValueError(
                f"unknown time zone {value!r}; use an IANA name such as 'Asia/Shanghai'"
            ) from err
        return value

    def zone(self) -> ZoneInfo:
        """The hall's time zone."""
        return ZoneInfo(self.timezone)


def _calendar_clashes(hours: Hours) -> list[tuple[Loc, str]]:
    """Dates the calendar names twice with different meanings."""
    problems: list[tuple[Loc, str]] = []
    holidays = calendar.day_set(hours.holidays)
    for index, entry in enumerate(hours.workdays):
        both = sorted(holidays & calendar.day_set((entry,)))
        if both:
            problems.append((("workdays", index), f"{both[0].isoformat()} is both a holiday "
                             "and a working day; remove it from one of holidays and workdays"))
    seen: set[str] = set()
    for index, day in enumerate(hours.special):
        when = calendar.parse_entry(day.date)[0]
        if day.date in seen:
            problems.append((("special", index, "date"), f"{day.date} is a special day twice; "
                             "keep one [[hours.special]] for it"))
        seen.add(day.date)
        if when in holidays or when in calendar.day_set(hours.workdays):
            problems.append((("special", index, "date"), f"{day.date} is a special day and "
                             "also in holidays or workdays; list it in one place only"))
    return problems
