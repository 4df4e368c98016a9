"""One command in progress, and the look-ups and steps every op shares.

A ``Tx`` works on a private copy of the state: each fact it decides is folded
in at once with ``evolve``, so later decisions of the same command see earlier
ones (CALL NEXT finishes the current visitor, then chooses the next).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

from broker.rules import refusals as why
from broker.rules.evolve import evolve
from broker.rules.model import Event, HallState, RuleRefusal, Ticket
from broker.rules.select import is_priority
from broker.rules.staff_state import STAFFED_EVENTS, staff_of_event

Observer = Callable[[HallState, Event], None]


class Tx:
    """One command in progress: a private state and the events decided so far."""

    def __init__(self, state: HallState, now: float, observe: Observer | None,
                 node: str = "") -> None:
        self.state = state.copy()
        self.node = node
        self.now = now
        self.events: list[Event] = []
        self._observe = observe
        self.acting: str | None = None
        """The 工号 the command was given for (the audit's ``by_staff``), while its own
        events are decided; None for the alerts and ticketing changes that follow."""

    def emit(self, type_: str, **data: Any) -> Event:
        """Decide one fact: record it and fold it into the private state at once.

        An event at a counter carries the 工号 signed in there (``staff``), and every event
        of a command given for a staff member carries that member as ``by_staff``.
        """
        if type_ in STAFFED_EVENTS and "staff" not in data:
            staff = staff_of_event(self.state, type_, data)
            if staff is not None:
                data["staff"] = staff
        if self.acting is not None:
            data.setdefault("by_staff", self.acting)
        event = Event(type_, self.now, data)
        evolve(self.state, event)
        self.events.append(event)
        if self._observe is not None:
            self._observe(self.state, event)
        return event


def counter_of(tx: Tx, args: Mapping[str, Any], *, must_be_open: bool = False) -> int:
    """The configured counter named in ``args``; refused when unknown (or not open, if asked)."""
    number = int(args["counter"])
    if tx.state.hall.counter(number) is None:
        raise RuleRefusal(why.UNKNOWN_COUNTER, counter=number,
                          counters=[c.number for c in tx.state.hall.counters])
    if must_be_open:
        mode = tx.state.counter(number).mode
        if mode == "paused":
            raise RuleRefusal(why.COUNTER_PAUSED, counter=number)
        if mode == "closed":
            raise RuleRefusal(why.COUNTER_CLOSED, counter=number)
    return number


def service_of(tx: Tx, service_id: str) -> str:
    """``service_id`` when this hall offers it; refused otherwise."""
    if tx.state.hall.service(service_id) is None:
        raise RuleRefusal(why.UNKNOWN_SERVICE, service=service_id,
                          services=[s.id for s in tx.state.hall.services])
    return service_id


def serving_at(tx: Tx, counter: int) -> Ticket:
    """The ticket a counter serves; refused when it serves nobody."""
    number = tx.state.counter(counter).serving
    if number is None:
        raise RuleRefusal(why.NOT_SERVING, counter=counter)
    return tx.state.tickets[number]


def ticket_of(tx: Tx, number: str) -> Ticket:
    """A ticket issued today; refused when there is none with that number."""
    ticket = tx.state.tickets.get(number)
    if ticket is None:
        raise RuleRefusal(why.UNKNOWN_TICKET, ticket=number)
    return ticket


def finish_current(tx: Tx, counter: int) -> str | None:
    """Finish the visitor a counter is serving, if any (CALL NEXT does this first)."""
    number = tx.state.counter(counter).serving
    if number is None:
        return None
    ticket = tx.state.tickets[number]
    seconds = served_s(tx, ticket)
    tx.emit("finished", ticket=number, counter=counter, service=ticket.service,
            service_s=seconds, over_limit=over_limit(tx, ticket, seconds))
    return number


def over_limit(tx: Tx, ticket: Ticket, seconds: float | None) -> bool:
    """Whether a transaction ran past its service's ``time_limit_minutes`` (for reports)."""
    service = tx.state.hall.service(ticket.service)
    limit = service.time_limit_minutes if service is not None else None
    if ticket.over_limit:
        return True
    return limit is not None and seconds is not None and seconds > limit * 60.0


def served_s(tx: Tx, ticket: Ticket) -> float | None:
    """How long the visitor has been at the counter (from start, else from the call)."""
    began = ticket.started_at if ticket.started_at is not None else ticket.called_at
    return round(tx.now - began, 3) if began is not None else None


def call(tx: Tx, counter: int, ticket: Ticket, **audit: Any) -> dict[str, Any]:
    """Call ``ticket`` to ``counter``; ``audit`` says how (out of order, reason, call back)."""
    tx.emit("called", ticket=ticket.number, counter=counter, service=ticket.service,
            priority=is_priority(tx.state, ticket), **audit)
    return ticket_result(tx.state.tickets[ticket.number])


def ticket_result(ticket: Ticket) -> dict[str, Any]:
    """The part of a result that names a ticket and where it stands."""
    return {"ticket": ticket.number, "service": ticket.service, "status": ticket.status,
            "counter": ticket.counter}


def waiting_count(tx: Tx, counter: int) -> int:
    """Tickets waiting in the lines a counter serves."""
    configured = tx.state.hall.counter(counter)
    services = configured.services if configured else ()
    return sum(len(tx.state.queues.get(s, ())) for s in services)


def transfer_position(tx: Tx, service: str) -> int:
    """Behind the tickets already transferred into a line, ahead of its walk-ins (一票到底)."""
    position = 0
    for number in tx.state.queue(service):
        if not tx.state.tickets[number].transferred:
            break
        position += 1
    return position
