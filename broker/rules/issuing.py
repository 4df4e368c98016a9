"""Issuing numbers (取号): walk-ins, priority tickets and appointment check-ins."""

from __future__ import annotations

from typing import Any, Mapping

from config import hours
from broker.rules import refusals as why
from broker.rules.estimates import estimate_s, wait_minutes
from broker.rules.model import RuleRefusal
from broker.rules.ticketing import ticketing_at
from broker.rules.transaction import Tx, service_of

MAX_NUMBER = 99999
"""Numbers per service per day; the wire's ticket pattern allows up to five digits."""


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60.0, 1)


def _hall_time(tx: Tx, at: float) -> str:
    """A hall-local time as staff and visitors read it: the date only when not today."""
    when = hours.local(tx.state.hall, at)
    today = hours.local(tx.state.hall, tx.now).date()
    return when.strftime("%H:%M") if when.date() == today else when.strftime("%m-%d %H:%M")


def _check_in(tx: Tx, code: str, asked: str | None) -> tuple[str, float | None, bool]:
    """An appointment's service, due time and lateness; refused when it cannot check in now."""
    hall = tx.state.hall
    booking = tx.state.appointments.get(code)
    if booking is None:
        raise RuleRefusal(why.UNKNOWN_APPOINTMENT, code=code)
    if booking.ticket is not None:
        raise RuleRefusal(why.ALREADY_CHECKED_IN, code=code, ticket=booking.ticket)
    if asked and asked != booking.service:
        raise RuleRefusal(why.APPOINTMENT_OTHER_SERVICE, code=code, service=booking.service,
                          asked=asked)
    early_limit = booking.start - hall.policies.appointment_early_minutes * 60.0
    if tx.now < early_limit:
        raise RuleRefusal(why.TOO_EARLY, code=code, opens=_hall_time(tx, early_limit),
                          opens_at=early_limit)
    if tx.now > booking.start + hall.policies.appointment_late_minutes * 60.0:
        return booking.service, None, True
    return booking.service, booking.start, False


def _ticketing_hours(tx: Tx) -> bool:
    """True when issuing after hours; refused when the hall's policy is to refuse then."""
    # The same rule the view publishes (broker.rules.ticketing), so a kiosk showing
    # "open" is never refused and one showing "closed" never could have issued.
    fact = ticketing_at(tx.state.hall, tx.now)
    if not fact.open:
        raise RuleRefusal(why.TICKETING_CLOSED, opens_at=fact.opens_at,
                          opens="-" if fact.opens_at is None else _hall_time(tx, fact.opens_at))
    return not fact.in_hours


def _next_number(tx: Tx, service: str, prefix: str) -> tuple[int, str]:
    """The service's next sequence number and ticket number.

    A ticket carried over from the previous day keeps its number for the rest of this
    day, so today's numbering steps over it: two tickets alive at once never share one.
    """
    seq = tx.state.next_number.get(service, 0) + 1
    while f"{prefix}{seq:03d}" in tx.state.tickets:
        seq += 1
    if seq > MAX_NUMBER:
        raise RuleRefusal(why.NUMBERS_USED_UP, service=service, limit=MAX_NUMBER)
    return seq, f"{prefix}{seq:03d}"


def issue_ticket(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Give the next number of a service (or check an appointment in)."""
    hall = tx.state.hall
    kind = str(args.get("kind") or "walkin")
    code = args.get("appointment")
    late = False
    due_at: float | None = None
    service_id = args.get("service")
    if kind == "appointment":
        service_id, due_at, late = _check_in(tx, str(code), service_id)
        if late:
            kind = "walkin"
    service = hall.service(service_of(tx, str(service_id)))
    if service is None:  # pragma: no cover - service_of raised already
        raise RuleRefusal(why.UNKNOWN_SERVICE, service=str(service_id), services=[])
    after_hours = _ticketing_hours(tx)
    seq, number = _next_number(tx, service.id, service.prefix)
    ahead = len(tx.state.queue(service.id))
    estimate = estimate_s(tx.state, service.id, ahead)
    tx.emit("ticket_issued", ticket=number, service=service.id, kind=kind, seq_in_service=seq,
            appointment=str(code) if code else None, due_at=due_at, late=late, ahead=ahead,
            estimate_min=_minutes(estimate), after_hours=after_hours)
    return {"ticket": number, "service": service.id, "kind": kind, "ahead": ahead,
            "estimate_min": _minutes(estimate), "wait_min": wait_minutes(_minutes(estimate)),
            "issued_at": tx.now, "late": late, "after_hours": after_hours,
            "expected_at": None if estimate is None else tx.now + estimate}
