"""The hall calendar: public holidays, moved working days (调休) and special days.

A calendar entry is a date ``"2026-10-01"`` or an inclusive range
``"2026-10-01..2026-10-07"``. These pure helpers parse entries and answer which
periods a given date opens with; ``config.hours`` reads time through them and the
schema's checks (``config.schema.Hours``) report bad entries with a hint.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta

RANGE_SEPARATOR = ".."
LONGEST_RANGE_DAYS = 366
"""A holiday range longer than a year is a typo (a wrong year), not a holiday."""

DATE_HINT = 'write a date as "YYYY-MM-DD" or an inclusive range "2026-10-01..2026-10-07"'


def as_text(value: object) -> object:
    """A TOML date written without quotes (``2026-10-01``) read as the same text as a quoted one."""
    if isinstance(value, date):
        return value.isoformat()
    return value


def _one_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as err:
        raise ValueError(f"{text.strip()!r} is not a date; {DATE_HINT}") from err


def parse_entry(text: str) -> tuple[date, date]:
    """The first and last day of a calendar entry (both the same for a single date).

    Raises:
        ValueError: the entry is not a date or a range, a range runs backwards or is longer
            than a year; the message ends in a hint after "; ".
    """
    first_text, separator, last_text = text.partition(RANGE_SEPARATOR)
    first = _one_date(first_text)
    last = _one_date(last_text) if separator else first
    if last < first:
        raise ValueError(f"the range {text!r} ends before it starts; write the earlier date "
                         f"first, e.g. \"{last.isoformat()}..{first.isoformat()}\"")
    if (last - first).days >= LONGEST_RANGE_DAYS:
        raise ValueError(f"the range {text!r} is longer than a year; check the years")
    return first, last


def days_of(entries: Iterable[str]) -> Iterator[date]:
    """Every day the (valid) entries name, ranges expanded."""
    for entry in entries:
        first, last = parse_entry(entry)
        for offset in range((last - first).days + 1):
            yield first + timedelta(days=offset)


def day_set(entries: Iterable[str]) -> frozenset[date]:
    """The days the (valid) entries name, as a set."""
    return frozenset(days_of(entries))
