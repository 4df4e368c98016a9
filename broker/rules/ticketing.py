"""Whether the kiosks issue tickets now, as the broker decides it; and telling nodes when
that changes without any command.

The public view shows ticketing as of its clock (the time of the last event). Any
event moves that clock, so a command's own events carry a change of ticketing with
them; when nothing else happens (the periodic ``tick`` at 08:30 on a quiet morning)
``ticketing_events`` adds a ``ticketing_changed`` event so that nodes learn it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any, Sequence

from config import hours
from config.schema import Hall
from broker.rules.model import Event, HallState


@dataclass(frozen=True)
class Ticketing:
    """Ticketing at one moment (times in epoch seconds)."""

    open: bool
    """``issue_ticket`` is accepted (false only outside hours with ``after_hours = "refuse"``)."""
    in_hours: bool
    """The moment falls in an opening period (a ticket issued outside one is ``after_hours``)."""
    closes_at: float | None
    """While in hours: when the opening period ends (adjoining periods count as one)."""
    opens_at: float | None
    """While outside hours: when the next opening period starts (None: none within 15 days)."""
    closed_today: bool = False
    """The calendar date has no opening period at all (a holiday or a day off: 今日休息)."""

    def as_dict(self) -> dict[str, Any]:
        """The fields by name, as ``dataclasses.asdict`` gives them (every field is flat).

        ``asdict`` deep-copies field by field; the view rebuilds ticketing on every event.
        """
        return dict(vars(self))


def _period_end(hall: Hall, now: float) -> float:
    moment = hours.local(hall, now)
    end: time = moment.time()
    extended = True
    while extended:
        extended = False
        for period in hours.periods_on(hall, moment.date()):
            if period.start_time() <= end < period.end_time():
                end, extended = period.end_time(), True
    return datetime.combine(moment.date(), end, tzinfo=moment.tzinfo).timestamp()


_RECENT: dict[tuple[int, float], tuple[Hall, Ticketing]] = {}
"""The last few answers of ``ticketing_at``: one command asks about the same moment up to
four times (issue_ticket's check, ticketing_events, the view of each of its events)."""
_RECENT_KEPT = 4


def ticketing_at(hall: Hall, now: float) -> Ticketing:
    """Ticketing at ``now``: the same hours and policy ``issue_ticket`` applies.

    A pure function of a frozen hall and a time, so a recent answer is given again (the
    hall itself is kept beside it and compared by identity: an id is never mistaken).
    """
    key = (id(hall), now)
    found = _RECENT.get(key)
    if found is not None and found[0] is hall:
        return found[1]
    if len(_RECENT) >= _RECENT_KEPT:
        _RECENT.clear()
    fact = _ticketing_at(hall, now)
    _RECENT[key] = (hall, fact)
    return fact


def _ticketing_at(hall: Hall, now: float) -> Ticketing:
    if hours.is_open(hall, now):
        return Ticketing(open=True, in_hours=True, closes_at=_period_end(hall, now),
                         opens_at=None)
    opening = hours.next_opening(hall, now)
    return Ticketing(open=hall.policies.after_hours != "refuse", in_hours=False, closes_at=None,
                     opens_at=None if opening is None else opening.timestamp(),
                     closed_today=hours.closed_all_day(hall, now))


def ticketing_events(state: HallState, now: float, decided: Sequence[Event]) -> list[Event]:
    """A ``ticketing_changed`` event when ticketing changed since the last event and the
    command decided no other event (any other would carry the change to the view).

    Args:
        state: the state after the command's other events.
        now: the command's time.
        decided: the command's other events (alerts included).
    """
    if decided or state.day is None:
        return []
    fact = ticketing_at(state.hall, now)
    if fact == ticketing_at(state.hall, state.clock):
        return []
    return [Event("ticketing_changed", now, fact.as_dict())]
