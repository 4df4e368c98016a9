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
        # A late visitor loses the slot: they queue as a walk-in of the booked service's
        # walk-in line, with that line's number (an appointment-only service names it).
        booked = hall.service(booking.service)
        walkin = booked.walkin_service if booked and booked.walkin_service else booking.service
        return walkin, None, True
    return booking.service, booking.start, False


def _ahead(tx: Tx, service: str, due_at: float | None) -> int:
    """Tickets in the line this one will really wait behind.

    An on-time appointment is called before the walk-ins of its line once its slot
    begins, so only appointments due no later than it count as ahead of it.
    """
    if due_at is None:
        return len(tx.state.queue(service))  # no look at each ticket: most tickets are walk-ins
    line = [tx.state.tickets[number] for number in tx.state.queue(service)]
    return sum(1 for t in line
               if t.kind == "appointment" and t.due_at is not None and t.due_at <= due_at)


def _beyond_closing(tx: Tx, expected_at: float | None, may_refuse: bool) -> bool:
    """Whether the expected time falls after today's last opening period (延时服务);
    refused when the hall's policy says so.

    No estimate: false. A day without opening periods counts as closed all day. An
    on-time appointment keeps its booked slot: it is only ever warned (``may_refuse``).
    """
    if expected_at is None:
        return False
    closing = hours.closing_at(tx.state.hall, tx.now)
    if closing is not None and expected_at <= closing:
        return False
    policy = tx.state.hall.policies.beyond_closing
    if policy == "warn" or not may_refuse:
        return True
    # The next opening after today's closing, not this afternoon's period.
    opening = hours.next_opening(tx.state.hall, tx.now if closing is None else closing)
    opens_at = None if opening is None else opening.timestamp()
    params = {"expected": _hall_time(tx, expected_at), "expected_at": expected_at,
              "closes": "-" if closing is None else _hall_time(tx, closing),
              "closes_at": closing, "opens_at": opens_at,
              "opens": "-" if opens_at is None else _hall_time(tx, opens_at)}
    if policy == "refuse":
        raise RuleRefusal(why.BEYOND_CLOSING, **params)
    raise RuleRefusal(why.BEYOND_CLOSING_BOOK, **params)


def _ticketing_hours(tx: Tx) -> bool:
    """True when issuing after hours; refused when the hall's policy is to refuse then."""
    # The same rule the view publishes (broker.rules.ticketing), so a kiosk showing
    # "open" is never refused and one showing "closed" never could have issued.
    if tx.state.ticketing_paused is not None:
        # The hall manager's pause (broker.rules.notices): the view says so too.
        raise RuleRefusal(why.TICKETING_PAUSED)
    fact = ticketing_at(tx.state.hall, tx.now)
    if not fact.open:
        raise RuleRefusal(why.TICKETING_CLOSED, opens_at=fact.opens_at,
                          opens="-" if fact.opens_at is None else _hall_time(tx, fact.opens_at))
    return not fact.in_hours


def _category(tx: Tx, kind: str, asked: Any) -> str | None:
    """The priority category of a new ticket; refused when the hall has no such category."""
    if kind != "priority" or not asked:
        # Optional even where categories exist: a ticket without one ranks after them all
        # (broker.rules.priority), so older kiosks and staff tools keep working.
        return None
    categories = tx.state.hall.priority_categories
    if tx.state.hall.priority_category(str(asked)) is None:
        raise RuleRefusal(why.UNKNOWN_CATEGORY, category=str(asked),
                          categories=[c.id for c in categories])
    return str(asked)


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
    category = _category(tx, kind, args.get("category"))
    after_hours = _ticketing_hours(tx)
    seq, number = _next_number(tx, service.id, service.prefix)
    ahead = _ahead(tx, service.id, due_at)
    estimate = estimate_s(tx.state, service.id, ahead)
    expected_at = None if estimate is None else tx.now + estimate
    beyond_closing = _beyond_closing(tx, expected_at, may_refuse=kind != "appointment")
    tx.emit("ticket_issued", ticket=number, service=service.id, kind=kind, seq_in_service=seq,
            appointment=str(code) if code else None, due_at=due_at, late=late, ahead=ahead,
            estimate_min=_minutes(estimate), after_hours=after_hours, category=category,
            track=args.get("track"))
    # ``track``: the phone token the broker service drew for this command (not the rules:
    # they stay pure); stored on the ticket, answered to the kiosk, never published.
    return {"ticket": number, "track": args.get("track"), "service": service.id, "kind": kind,
            "ahead": ahead,
            "estimate_min": _minutes(estimate), "wait_min": wait_minutes(_minutes(estimate)),
            "issued_at": tx.now, "late": late, "after_hours": after_hours, "category": category,
            "expected_at": expected_at, "beyond_closing": beyond_closing}
