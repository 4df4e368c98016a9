"""Folding events into state: the only code that changes a ``HallState``.

``evolve`` applies facts without judging them (the judging happened in
``decide``), so replaying a journal reproduces the live state even when the
policies in the config have changed since the events were written.
"""

from __future__ import annotations

from typing import Callable, Iterable

from broker.rules import quality_fold
from broker.rules.books import AlertBook, can_clear
from broker.rules.model import (
    RECENT_CALLS_KEPT,
    Appointment,
    CallRecord,
    CounterMode,
    CounterState,
    Event,
    HallState,
    NodeHealth,
    Ticket,
    changed,
    initial_state,
)
from broker.rules.rollback import journal_rolled_back
from broker.rules.tickets import TicketBook
from broker.rules.staff_state import HANDLERS as STAFF_HANDLERS
from broker.rules.staff_state import day_reset
from config.schema import Hall


def evolve(state: HallState, event: Event) -> None:
    """Apply one event to ``state`` in place.

    Args:
        state: a state the caller owns (never one shared with others).
        event: a fact produced by ``decide`` or read back from the journal.
    """
    handler = _HANDLERS.get(event.type)
    if handler is not None:
        handler(state, event)
    # Only a handful of event types leave the clock where it was; every fact is
    # at least as late as the last, so the clock never runs backwards.
    state.clock = max(state.clock, event.at)


def replay(hall: Hall, events: Iterable[Event]) -> HallState:
    """Rebuild the state from a journal's events, oldest first."""
    state = initial_state(hall)
    for event in events:
        evolve(state, event)
    return state


def _set_ticket(state: HallState, number: str, **changes: object) -> Ticket:
    ticket = changed(state.tickets[number], **changes)
    state.tickets[number] = ticket
    return ticket


def _set_counter(state: HallState, number: int, **changes: object) -> CounterState:
    counter = changed(state.counter(number), **changes)
    state.counters[number] = counter
    return counter


def _unqueue(state: HallState, number: str) -> None:
    ticket = state.tickets[number]
    if number in state.queue(ticket.service):
        state.own_queue(ticket.service).remove(number)
        _left(state, ticket.service, number)


def _entered(state: HallState, service: str, number: str) -> None:
    """Keep ``state.oldest`` as a ticket enters a line."""
    queued_at = state.tickets[number].queued_at
    current = state.oldest.get(service)
    if current is None or queued_at < current[0]:
        state.oldest[service] = (queued_at, number)


def _left(state: HallState, service: str, number: str) -> None:
    """Keep ``state.oldest`` as a ticket leaves a line: a scan only when the oldest left."""
    current = state.oldest.get(service)
    if current is not None and current[1] != number:
        return
    found = min(((state.tickets[n].queued_at, n) for n in state.queues.get(service, ())),
                default=None)
    if found is None:
        state.oldest.pop(service, None)
    else:
        state.oldest[service] = found


def _release(state: HallState, counter: int, number: str) -> None:
    """Take a ticket off a counter, whether it was serving or held there."""
    current = state.counter(counter)
    if current.serving == number:
        _set_counter(state, counter, serving=None)
    if number in current.held:
        held = tuple(t for t in state.counter(counter).held if t != number)
        _set_counter(state, counter, held=held)


def _day_started(state: HallState, event: Event) -> None:
    hall = state.hall
    state.day = str(event.data["day"])
    state.next_number = {}
    # Journals written before carry-over have no "carried": their tickets ended with the day.
    carried = [str(n) for n in event.data.get("carried", ())]
    state.tickets = TicketBook({n: state.tickets[n] for n in carried if n in state.tickets})
    state.queues = {service.id: [n for n in state.queues.get(service.id, ()) if n in carried]
                    for service in hall.services}
    state.recent_calls = ()
    state.oldest = {}
    for line in state.queues.values():
        for waiting in line:
            _entered(state, state.tickets[waiting].service, waiting)
    # Device faults, a jumped clock and sticky alerts (a negative rating waiting for a
    # manager) outlive the night; queue alerts start afresh.
    state.alerts = AlertBook({k: v for k, v in state.alerts.items() if not can_clear(k, v)})
    quality_fold.carry_over(state)
    configured: dict[int, CounterMode] = {c.number: c.opens for c in hall.counters}
    state.counters = {
        number: _next_day_counter(state, number, configured.get(number, "closed"))
        for number in sorted(set(configured) | set(state.counters))
    }
    # Bookings of earlier days can no longer be checked in.
    state.appointments = {
        code: booking for code, booking in state.appointments.items() if booking.end >= event.at
    }
    day_reset(state)


def _next_day_counter(state: HallState, number: int, opens: CounterMode) -> CounterState:
    """A counter as the new day finds it: serving or holding a carried ticket, it goes on
    as it was (its visitor is still at the window); otherwise in its configured mode."""
    current = state.counter(number)
    if current.serving in state.tickets or any(t in state.tickets for t in current.held):
        return changed(current, held=tuple(t for t in current.held if t in state.tickets),
                       priority_streak=0)
    return CounterState(number=number, mode=opens)


def _ticket_issued(state: HallState, event: Event) -> None:
    data = event.data
    number = str(data["ticket"])
    service = str(data["service"])
    state.next_number[service] = int(data["seq_in_service"])
    state.tickets[number] = Ticket(
        number=number,
        service=service,
        origin_service=service,
        kind=data["kind"],
        issued_at=event.at,
        queued_at=event.at,
        appointment=data.get("appointment"),
        due_at=data.get("due_at"),
        category=data.get("category"),
        track=data.get("track"),
    )
    state.own_queue(service).append(number)
    _entered(state, service, number)
    code = data.get("appointment")
    if code and code in state.appointments:
        state.appointments[code] = changed(state.appointments[code], ticket=number)


def _called(state: HallState, event: Event) -> None:
    data = event.data
    number = str(data["ticket"])
    counter = int(data["counter"])
    previous = state.tickets[number]
    _unqueue(state, number)
    if previous.counter is not None and previous.status == "held":
        _release(state, previous.counter, number)
    _set_ticket(state, number, status="serving", counter=counter, called_at=event.at,
                started_at=None, recalls=0, staff=data.get("staff"))
    streak = state.counter(counter).priority_streak
    _set_counter(state, counter, serving=number,
                 priority_streak=streak + 1 if data.get("priority") else 0)
    _remember_call(state, number, counter, event.at, recall=False)


def _remember_call(state: HallState, number: str, counter: int, at: float, *, recall: bool) -> None:
    calls = state.recent_calls + (CallRecord(ticket=number, counter=counter, at=at, recall=recall),)
    state.recent_calls = calls[-RECENT_CALLS_KEPT:]


def _recalled(state: HallState, event: Event) -> None:
    number = str(event.data["ticket"])
    _set_ticket(state, number, recalls=int(event.data["recalls"]))
    _remember_call(state, number, int(event.data["counter"]), event.at, recall=True)


def _started(state: HallState, event: Event) -> None:
    _set_ticket(state, str(event.data["ticket"]), started_at=event.at)


def _finished(state: HallState, event: Event) -> None:
    number = str(event.data["ticket"])
    counter = int(event.data["counter"])
    _set_ticket(state, number, status="finished", finished_at=event.at)
    _release(state, counter, number)
    _set_counter(state, counter, last_finished=number, last_finished_at=event.at)
    _sample(state, str(event.data["service"]), event.data.get("service_s"))


def _sample(state: HallState, service: str, seconds: object) -> None:
    if not isinstance(seconds, (int, float)) or seconds <= 0:
        return
    window = state.hall.policies.service_time_window
    samples = state.service_times.get(service, ()) + (float(seconds),)
    state.service_times[service] = samples[-window:]


def _no_show(state: HallState, event: Event) -> None:
    number = str(event.data["ticket"])
    _release(state, int(event.data["counter"]), number)
    _set_ticket(state, number, status="no_show", no_show_at=event.at)


def _insert(state: HallState, number: str, service: str, position: int) -> None:
    queue = state.own_queue(service)
    if number in queue:
        queue.remove(number)
        _left(state, service, number)
    queue.insert(min(max(position, 0), len(queue)), number)
    _entered(state, service, number)


def _revived(state: HallState, event: Event) -> None:
    number = str(event.data["ticket"])
    ticket = state.tickets[number]
    _set_ticket(state, number, status="waiting", counter=None, queued_at=event.at, no_show_at=None)
    _insert(state, number, ticket.service, int(event.data["position"]))


def _held(state: HallState, event: Event) -> None:
    number = str(event.data["ticket"])
    counter = int(event.data["counter"])
    current = state.counter(counter)
    _set_counter(state, counter, serving=None, held=current.held + (number,))
    _set_ticket(state, number, status="held")


def _transferred(state: HallState, event: Event) -> None:
    number = str(event.data["ticket"])
    counter = int(event.data["counter"])
    target = str(event.data["to_service"])
    _release(state, counter, number)
    _set_ticket(state, number, status="waiting", service=target, counter=None, queued_at=event.at,
                called_at=None, started_at=None, recalls=0, transferred=True)
    _insert(state, number, target, int(event.data["position"]))
    _sample(state, str(event.data["from_service"]), event.data.get("service_s"))


def _requeued(state: HallState, event: Event) -> None:
    number = str(event.data["ticket"])
    ticket = state.tickets[number]
    if ticket.counter is not None:
        _release(state, ticket.counter, number)
    _set_ticket(state, number, status="waiting", counter=None, called_at=None, started_at=None,
                recalls=0, transferred=True)
    _insert(state, number, ticket.service, int(event.data["position"]))


def _counter_changed(state: HallState, event: Event) -> None:
    counter = int(event.data["counter"])
    mode = event.data["mode"]
    changes: dict[str, object] = {"mode": mode}
    if mode != "paused":
        changes["priority_streak"] = 0
    _set_counter(state, counter, **changes)


def _rated(state: HallState, event: Event) -> None:
    _set_ticket(state, str(event.data["ticket"]), rating=int(event.data["score"]))


def _appointment_booked(state: HallState, event: Event) -> None:
    data = event.data
    code = str(data["code"])
    state.appointments[code] = Appointment(
        code=code, service=str(data["service"]), start=float(data["start_at"]),
        end=float(data["end_at"]),
    )


def _alert_cleared(state: HallState, event: Event) -> None:
    state.alerts.pop(str(event.data["key"]), None)


def _node_health(state: HallState, event: Event) -> None:
    data = event.data
    node, component = str(data["node"]), str(data["component"])
    state.health[f"{node}/{component}"] = NodeHealth(
        node=node, component=component, status=data["status"], message=str(data["message"]),
        at=event.at)


def _node_forgotten(state: HallState, event: Event) -> None:
    node = str(event.data["node"])
    state.health = {k: h for k, h in state.health.items() if h.node != node}


def _ticketing_changed(state: HallState, event: Event) -> None:
    """Nothing to fold: the view computes ticketing from the clock this event moves."""


_HANDLERS: dict[str, Callable[[HallState, Event], None]] = {
    "day_started": _day_started,
    "ticket_issued": _ticket_issued,
    "called": _called,
    "recalled": _recalled,
    "started": _started,
    "finished": _finished,
    "no_show": _no_show,
    "revived": _revived,
    "held": _held,
    "transferred": _transferred,
    "requeued": _requeued,
    "counter_changed": _counter_changed,
    "rated": _rated,
    "appointment_booked": _appointment_booked,
    "alert_raised": quality_fold.alert_raised,
    "alert_acknowledged": quality_fold.alert_acknowledged,
    "alert_cleared": _alert_cleared,
    "node_health": _node_health,
    "node_forgotten": _node_forgotten,
    "ticketing_changed": _ticketing_changed,
    "time_limit_exceeded": quality_fold.time_limit_exceeded,
    "case_opened": quality_fold.case_opened,
    "case_noted": quality_fold.case_noted,
    "case_overdue": quality_fold.case_overdue,
    "case_closed": quality_fold.case_closed,
    "journal_rolled_back": journal_rolled_back,
    **STAFF_HANDLERS,
}

EVENT_TYPES: tuple[str, ...] = tuple(_HANDLERS)
