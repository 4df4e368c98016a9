"""The facts a period report counts, read from journaled events (pure: no file, clock or socket).

``read_facts`` walks the events of any number of days, oldest first, and turns them into flat
``Fact`` records that each name everything a figure may be grouped by: the day it counts on,
the service, counter, clerk (``staff``), priority class and category. ``broker.report_period``
then groups them by period and scope; nothing here knows about periods.

How the events are read (the choices a reader of the numbers needs to know):

* a ticket counts on its **issue day**: a ticket carried over midnight (``day_started`` lists
  it as ``carried``) brings its calls, service and rating back to the day it was issued;
* **waits** run from the issue (or a transfer) to the ticket's first call after it; a revived
  no-show or a called-back ticket adds none. Waits still open when the events end count nowhere;
* a **no-show** is a ticket whose last word is ``no_show`` (a revived and served one is not),
  counted under the counter and clerk that marked it;
* **service times** come from ``finished`` and ``transferred``. Time-limit compliance counts a
  ``finished`` event flagged ``over_limit: true``, and one within its limit when the service
  has a ``time_limit_minutes`` (the event's ``over_limit: false``, or, for journals written
  before that field, ``service_s`` within the limit). A service without a limit has no
  compliance (the broker writes ``over_limit: false`` for it, which says nothing);
* **ratings** take their ``level`` from the event, or from ``score`` on the ``scale`` for older
  events (5: 非常满意 … 非常不满意; 3: 满意 / 基本满意 / 不满意);
* **paused minutes** run from a counter's ``counter_changed`` to ``paused`` until its next
  ``counter_changed`` or the next ``day_started``, whichever comes first (at the latest the last
  event read), and count on the day the pause began;
* **cases** (差评 cases) count on the day they were opened: closed in time (at or before
  ``due_at``), closed late, overdue (still open after ``due_at`` at the last event read) or open.

Fields that other versions of the broker do not write (``staff``, ``level``, ``reason``,
``over_limit``, the case events) are read defensively: absent means "not known", never zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from broker.journal import StoredEvent
from config import hours, rating
from config.schema import Hall

__all__ = ["LEVELS", "SATISFIED", "Fact", "level_of", "read_facts"]

LEVELS: tuple[str, ...] = tuple(reversed(rating.LEVELS[5]))
"""The national 5-level scale (GB/T 39734), best first:
非常满意, 满意, 基本满意, 不满意, 非常不满意."""

SATISFIED = frozenset({"very_satisfied", "satisfied"})
"""The levels 满意率 counts: 满意 and 非常满意."""

@dataclass(slots=True)
class Fact:
    """One countable thing, with every key a report may group it by.

    ``kind`` is ``issued``, ``called``, ``served``, ``transferred``, ``no_show``, ``rated``,
    ``paused`` or ``case``. ``value`` is the wait (``called``; ``None`` for a call that ends
    no wait), the service time (``served``, ``transferred``) or the paused time (``paused``), in
    seconds. ``ticket`` is ``<issue day>/<number>``, unique over the whole journal.
    """

    kind: str
    day: str
    at: float
    ticket: str | None = None
    service: str | None = None
    counter: int | None = None
    staff: str | None = None
    klass: str | None = None
    category: str | None = None
    value: float | None = None
    hour: int | None = None
    over_limit: bool | None = None
    out_of_order: bool = False
    reason: str | None = None
    node: str | None = None
    level: str | None = None
    negative: bool = False
    case_state: str | None = None


@dataclass
class _Ticket:
    """What must be remembered about one ticket between its events."""

    day: str
    number: str
    service: str
    klass: str | None
    category: str | None
    wait_from: float | None
    no_show: Fact | None = None
    staff: str | None = None
    """The clerk of its latest call: events that name none (older ``no_show``) count under them."""


def level_of(data: dict[str, Any]) -> str | None:
    """The rating level of a ``rated`` event's data: its ``level``, else from score and scale."""
    level = data.get("level")
    if isinstance(level, str) and level:
        return level
    names = rating.LEVELS.get(_int(data.get("scale")) or 0)
    score = _int(data.get("score"))
    if names is None or score is None or not 1 <= score <= len(names):
        return None
    return names[score - 1]


def _int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None


def _seconds(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


class _Reader:
    """Reads events in order; keeps the open tickets, pauses and cases; collects facts."""

    def __init__(self, hall: Hall) -> None:
        self.hall = hall
        self.facts: list[Fact] = []
        self.tickets: dict[str, _Ticket] = {}
        self.pauses: dict[int, tuple[str, float]] = {}
        self.cases: dict[str, dict[str, Any]] = {}
        self.last_at = 0.0

    def klass(self, service: str, data: dict[str, Any]) -> str:
        configured = self.hall.service(service)
        priority = (data.get("kind") == "priority" or bool(data.get("category"))
                    or bool(configured is not None and configured.priority))
        return "priority" if priority else "normal"

    def fact(self, kind: str, stored: StoredEvent, ticket: _Ticket | None, **keys: Any) -> None:
        fields: dict[str, Any] = {"kind": kind, "day": stored.day, "at": stored.at,
                                  "staff": _text(stored.data.get("staff"))}
        if ticket is not None:
            fields.update(day=ticket.day, ticket=f"{ticket.day}/{ticket.number}",
                          service=ticket.service, klass=ticket.klass, category=ticket.category,
                          staff=fields["staff"] or ticket.staff)
        fields.update(keys)
        self.facts.append(Fact(**fields))

    def ticket(self, data: dict[str, Any], stored: StoredEvent) -> _Ticket:
        # A ticket whose issue the events do not hold (a trimmed journal) still counts
        # where it was served, on the day it was seen; it just has no wait.
        number = str(data["ticket"])
        found = self.tickets.get(number)
        if found is None:
            service = str(data.get("service") or data.get("from_service") or "")
            found = _Ticket(stored.day, number, service, self.klass(service, data), None, None)
            self.tickets[number] = found
        return found

    def read(self, stored: StoredEvent) -> None:
        self.last_at = max(self.last_at, stored.at)
        handler = getattr(self, f"_on_{stored.type}", None)
        if handler is not None:
            handler(stored, stored.data)

    def _on_day_started(self, stored: StoredEvent, data: dict[str, Any]) -> None:
        carried = {str(n) for n in data.get("carried", ())}
        for number in [n for n in self.tickets if n not in carried]:
            self._settle(self.tickets.pop(number))
        for counter in list(self.pauses):
            self._end_pause(counter, stored.at)

    def _on_ticket_issued(self, stored: StoredEvent, data: dict[str, Any]) -> None:
        number, service = str(data["ticket"]), str(data["service"])
        ticket = _Ticket(stored.day, number, service, self.klass(service, data),
                         _text(data.get("category")), stored.at)
        self.tickets[number] = ticket
        self.fact("issued", stored, ticket, hour=hours.local(self.hall, stored.at).hour)

    def _on_called(self, stored: StoredEvent, data: dict[str, Any]) -> None:
        ticket = self.ticket(data, stored)
        ticket.service = str(data.get("service") or ticket.service)
        ticket.no_show, ticket.staff = None, _text(data.get("staff"))
        wait = None
        if ticket.wait_from is not None:
            wait, ticket.wait_from = max(0.0, stored.at - ticket.wait_from), None
        self.fact("called", stored, ticket, counter=_int(data.get("counter")), value=wait,
                  out_of_order=bool(data.get("out_of_order")), reason=_text(data.get("reason")),
                  node=stored.node)

    def _on_finished(self, stored: StoredEvent, data: dict[str, Any]) -> None:
        ticket = self.ticket(data, stored)
        ticket.service = str(data.get("service") or ticket.service)
        seconds = _seconds(data.get("service_s"))
        self.fact("served", stored, ticket, counter=_int(data.get("counter")), value=seconds,
                  over_limit=self._over_limit(ticket.service, seconds, data))

    def _over_limit(self, service: str, seconds: float | None,
                    data: dict[str, Any]) -> bool | None:
        flagged = data.get("over_limit")
        if flagged is True:
            return True
        configured = self.hall.service(service)
        limit = _seconds(getattr(configured, "time_limit_minutes", None))
        if limit is None:
            return None
        if flagged is False:
            return False
        return None if seconds is None else seconds > limit * 60.0

    def _on_transferred(self, stored: StoredEvent, data: dict[str, Any]) -> None:
        ticket = self.ticket(data, stored)
        self.fact("transferred", stored, ticket, service=str(data["from_service"]),
                  counter=_int(data.get("counter")), value=_seconds(data.get("service_s")))
        ticket.service, ticket.wait_from = str(data["to_service"]), stored.at

    def _on_no_show(self, stored: StoredEvent, data: dict[str, Any]) -> None:
        ticket = self.tickets.get(str(data["ticket"]))
        if ticket is not None:
            ticket.no_show = Fact(
                "no_show", ticket.day, stored.at, f"{ticket.day}/{ticket.number}",
                ticket.service, counter=_int(data.get("counter")),
                staff=_text(data.get("staff")) or ticket.staff, klass=ticket.klass,
                category=ticket.category)

    def _on_revived(self, stored: StoredEvent, data: dict[str, Any]) -> None:
        self.ticket(data, stored).no_show = None

    def _on_rated(self, stored: StoredEvent, data: dict[str, Any]) -> None:
        ticket = self.tickets.get(str(data.get("ticket")))
        self.fact("rated", stored, ticket, counter=_int(data.get("counter")), level=level_of(data),
                  negative=bool(data.get("negative")), reason=_text(data.get("reason")))

    def _on_counter_changed(self, stored: StoredEvent, data: dict[str, Any]) -> None:
        counter = _int(data.get("counter"))
        if counter is None:
            return
        self._end_pause(counter, stored.at)
        if data.get("mode") == "paused":
            self.pauses[counter] = (stored.day, stored.at)

    def _end_pause(self, counter: int, at: float) -> None:
        began = self.pauses.pop(counter, None)
        if began is not None:
            day, start = began
            self.facts.append(Fact("paused", day, start, counter=counter,
                                   value=max(0.0, at - start)))

    def _on_case_opened(self, stored: StoredEvent, data: dict[str, Any]) -> None:
        key = _text(data.get("case") or data.get("id"))
        if key is not None:
            self.cases[key] = {"day": stored.day, "at": stored.at, "data": data, "closed": None}

    def _on_case_closed(self, stored: StoredEvent, data: dict[str, Any]) -> None:
        case = self.cases.get(str(data.get("case") or data.get("id")))
        if case is not None:
            case["closed"] = stored.at
            case["in_time"] = data.get("in_time")

    def _settle(self, ticket: _Ticket) -> None:
        if ticket.no_show is not None:
            self.facts.append(ticket.no_show)

    def finish(self) -> list[Fact]:
        """Settle what is still open at the last event; the facts, in the order they happened."""
        for ticket in self.tickets.values():
            self._settle(ticket)
        self.tickets.clear()
        for counter in list(self.pauses):
            self._end_pause(counter, self.last_at)
        for case in self.cases.values():
            self.facts.append(self._case_fact(case))
        self.cases.clear()
        return sorted(self.facts, key=lambda f: f.at)

    def _case_fact(self, case: dict[str, Any]) -> Fact:
        data: dict[str, Any] = case["data"]
        due, closed = _seconds(data.get("due_at")), case["closed"]
        if isinstance(case.get("in_time"), bool):  # the broker's own word, when it gave one
            state = "in_time" if case["in_time"] else "late"
        elif closed is not None:
            state = "late" if due is not None and closed > due else "in_time"
        else:
            state = "overdue" if due is not None and self.last_at > due else "open"
        return Fact("case", case["day"], case["at"], service=_text(data.get("service")),
                    counter=_int(data.get("counter")), staff=_text(data.get("staff")),
                    case_state=state)


def read_facts(hall: Hall, events: Iterable[StoredEvent]) -> list[Fact]:
    """Turn journaled events into the facts a report counts (see the module docstring).

    Args:
        hall: the hall's configuration (priority services, time limits, time zone).
        events: journaled events of one or more days, oldest first (by ``seq``).

    Returns:
        The facts, ordered by time. Open things (pauses, cases, no-shows) are settled at the
        last event read, so a report made later can only add to them.
    """
    reader = _Reader(hall)
    for stored in events:
        reader.read(stored)
    return reader.finish()
