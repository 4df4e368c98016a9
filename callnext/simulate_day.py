"""The visitors and clerk acts of a simulated day: drawn at random or read from a script.

A random day draws ``N`` arrivals over the day's opening periods with an intraday profile
(a morning peak, a smaller afternoon one), a service mix from the hall's kiosks, a share of
priority visitors (with a category when the hall defines them) and a few visitors who do
not come when called. A scripted day reads the same facts from a CSV file::

    at,what,service,kind,category,minutes,counter,ticket
    08:31,arrive,general,walkin,,10,,
    08:33,arrive,priority,priority,elderly80,8,,
    08:40,absent,general,walkin,,,,
    09:00,pause,,,,15,4,
    09:20,call,,,,,5,A003

``at`` is hall-local HH:MM or HH:MM:SS on the simulated date. ``what``: ``arrive`` (a
visitor takes a ticket and comes when called; ``minutes`` at the counter, default drawn
around the service's ``expected_minutes``), ``absent`` (takes a ticket, never comes: the
clerk recalls until the rules mark a no-show), ``pause`` (counter ``counter`` pauses after
its current visitor for ``minutes``, default 15), ``call`` (the clerk at ``counter`` calls
``ticket`` by number, out of machine order). Blank cells take defaults; ``#`` starts a
comment line.
"""

from __future__ import annotations

import csv
import io
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Sequence

from broker.rules.ticketing import ticketing_at
from config import hours
from config.schema import Hall
from foundation.errors import CallnextError

__all__ = ["Act", "ScriptError", "draw_minutes", "open_periods", "random_day", "read_script"]

HOURLY_PROFILE = {7: 0.5, 8: 1.0, 9: 1.8, 10: 1.6, 11: 1.1, 12: 0.6, 13: 0.8, 14: 1.2,
                  15: 1.1, 16: 0.8, 17: 0.4}
"""Relative arrival rate by hall-local hour (a morning peak, a smaller one after lunch)."""
OTHER_HOURS = 0.5
"""The rate of hours not in the profile (24-hour halls: nights, evenings)."""
PRIORITY_SHARE = 0.08
"""Share of visitors entitled to priority (elderly, disabled, military, pregnant ...)."""
ABSENT_SHARE = 0.04
"""Share of visitors who have left when called (过号)."""
BREAK_CHANCE = 0.3
"""Chance that a counter takes one 15-minute break (暂停) during the day."""
BREAK_MINUTES = 15.0
SCRIPT_COLUMNS = ("at", "what", "service", "kind", "category", "minutes", "counter", "ticket")
ACTS = ("arrive", "absent", "pause", "call")


class ScriptError(CallnextError):
    """A day script that cannot be read; the message names the line and what to fix."""


@dataclass(frozen=True)
class Act:
    """One thing that happens in the day: a visitor arrives, a clerk pauses or calls."""

    at: float
    what: str
    service: str = ""
    kind: str = "walkin"
    category: str | None = None
    minutes: float | None = None
    counter: int | None = None
    ticket: str | None = None


def open_periods(hall: Hall, day: date) -> list[tuple[float, float]]:
    """The day's ticketing periods as (start, end) epoch seconds, asked of the rules."""
    moment = datetime.combine(day, time(0), tzinfo=hall.hours.zone()).timestamp()
    end_of_day = moment + 86400.0
    periods: list[tuple[float, float]] = []
    while moment < end_of_day:
        fact = ticketing_at(hall, moment)
        if fact.in_hours and fact.closes_at is not None:
            closes = min(max(fact.closes_at, moment + 60.0), end_of_day)
            periods.append((moment, closes))
            moment = closes
        elif fact.opens_at is not None and fact.opens_at < end_of_day:
            moment = fact.opens_at
        else:
            break
    return periods


def draw_minutes(rng: random.Random, mean: float) -> float:
    """A service time around ``mean`` minutes (log-normal, same mean, at least one minute)."""
    sigma = 0.4
    return max(1.0, rng.lognormvariate(math.log(mean) - sigma * sigma / 2.0, sigma))


def _kiosk_services(hall: Hall) -> list[str]:
    offered = [s for kiosk in hall.kiosks for s in kiosk.services]
    if not offered:
        offered = [s.id for s in hall.services if s.kiosk]
    return list(dict.fromkeys(offered))


def _mix(hall: Hall, services: Sequence[str]) -> list[float]:
    # A hall staffs for its demand: a service's share of the counters' time (1 at a counter
    # that lists it first, 1/2 second, ...) divided by its minutes per visitor.
    shares = {s: 0.0 for s in services}
    for counter in hall.counters:
        for position, service in enumerate(counter.services):
            if service in shares:
                shares[service] += 1.0 / (position + 1)
    return [max(shares[s], 0.1) / _expected(hall, s) for s in services]


def _categories(hall: Hall) -> tuple[list[str], list[float]]:
    # Read generically: halls (and versions of callnext) without categories have none.
    found = list(getattr(hall, "priority_categories", ()) or ())
    ids = [str(getattr(c, "id")) for c in found]
    # Rarer the higher the rank: critical patients are few, visitors over 70 many.
    weights = [float(getattr(c, "rank", i + 1)) for i, c in enumerate(found)]
    return ids, weights


def random_day(hall: Hall, day: date, arrivals: int, rng: random.Random) -> list[Act]:
    """``arrivals`` visitors over the day's opening periods, and a few counter breaks."""
    periods = open_periods(hall, day)
    if not periods:
        raise ScriptError(f"the hall is closed on {day.isoformat()}; pick an opening day "
                          "with --date")
    minutes = [m for start, end in periods for m in _range(start, end)]
    weights = [HOURLY_PROFILE.get(hours.local(hall, m).hour, OTHER_HOURS) for m in minutes]
    services = _kiosk_services(hall)
    normal = [s for s in services if not _is_priority_service(hall, s)] or services
    priority = [s for s in services if _is_priority_service(hall, s)]
    categories, category_weights = _categories(hall)
    acts = []
    for start in sorted(rng.choices(minutes, weights, k=arrivals)):
        at = start + rng.uniform(0.0, 60.0)
        if rng.random() < PRIORITY_SHARE:
            service = priority[0] if priority else rng.choice(normal)
            category = rng.choices(categories, category_weights)[0] if categories else None
            kind = "priority"
        else:
            service, kind, category = rng.choices(normal, _mix(hall, normal))[0], "walkin", None
        what = "absent" if rng.random() < ABSENT_SHARE else "arrive"
        acts.append(Act(at, what, service, kind, category,
                        draw_minutes(rng, _expected(hall, service))))
    for counter in hall.counters:
        if rng.random() < BREAK_CHANCE:
            begin, end = rng.choice(periods)
            acts.append(Act(rng.uniform(begin, end), "pause", minutes=BREAK_MINUTES,
                            counter=counter.number))
    return sorted(acts, key=lambda act: act.at)


def _range(start: float, end: float) -> list[float]:
    return [start + 60.0 * i for i in range(int((end - start) // 60.0))]


def _is_priority_service(hall: Hall, service_id: str) -> bool:
    service = hall.service(service_id)
    return bool(service and service.priority)


def _expected(hall: Hall, service_id: str) -> float:
    service = hall.service(service_id)
    return service.expected_minutes if service else 8.0


def read_script(hall: Hall, day: date, path: Path) -> list[Act]:
    """The acts of a day script (the CSV format in this module's docstring).

    Raises:
        ScriptError: the file cannot be read, or a line is wrong (its number and the fix).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ScriptError(f"cannot read the day script {path}: {err.strerror}") from err
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip()
             .startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)), skipinitialspace=True)
    unknown = set(reader.fieldnames or ()) - set(SCRIPT_COLUMNS)
    if not reader.fieldnames or "at" not in reader.fieldnames or unknown:
        raise ScriptError(f"{path}: the first line must name the columns, e.g. "
                          f"{','.join(SCRIPT_COLUMNS)}" + (f" (unknown: {', '.join(sorted(unknown))})"
                                                           if unknown else ""))
    acts = []
    for number, row in enumerate(reader, start=2):
        try:
            acts.append(_act(hall, day, {k: (v or "").strip() for k, v in row.items() if k}))
        except ValueError as err:
            raise ScriptError(f"{path}, row {number}: {err}") from err
    return sorted(acts, key=lambda act: act.at)


def _act(hall: Hall, day: date, row: dict[str, str]) -> Act:
    what = row.get("what") or "arrive"
    if what not in ACTS:
        raise ValueError(f"what is {what!r}; use one of {', '.join(ACTS)}")
    try:
        moment = time.fromisoformat(row["at"])
    except ValueError:
        raise ValueError(f"at is {row['at']!r}; write a hall-local time HH:MM or HH:MM:SS")
    at = datetime.combine(day, moment, tzinfo=hall.hours.zone()).timestamp()
    minutes = float(row["minutes"]) if row.get("minutes") else None
    counter = int(row["counter"]) if row.get("counter") else None
    if what in ("pause", "call") and (counter is None or hall.counter(counter) is None):
        raise ValueError(f"{what} needs a counter of this hall in the counter column "
                         f"({', '.join(str(c.number) for c in hall.counters)})")
    if what == "call" and not row.get("ticket"):
        raise ValueError("call needs the ticket number to call, e.g. A003")
    service = row.get("service", "")
    if what in ("arrive", "absent") and hall.service(service) is None:
        raise ValueError(f"service {service!r} is not in this hall; use one of "
                         f"{', '.join(s.id for s in hall.services)}")
    return Act(at, what, service, row.get("kind") or "walkin", row.get("category") or None,
               minutes, counter, row.get("ticket") or None)
