"""Appointments (预约): booking slots one at a time or as a whole import."""

from __future__ import annotations

from typing import Any, Mapping

from config import hours
from broker.rules import refusals as why
from broker.rules.model import RuleRefusal
from broker.rules.transaction import Tx, service_of

Booking = tuple[str, str, float, float]


def _booking(tx: Tx, row: Mapping[str, Any]) -> Booking:
    """Check one booking row; refuses with the row's problem."""
    code = str(row["code"])
    service = service_of(tx, str(row["service"]))
    try:
        start = hours.parse_local(tx.state.hall, str(row["start"]))
        end = hours.parse_local(tx.state.hall, str(row["end"]))
    except ValueError as err:
        raise RuleRefusal(why.BAD_SLOT_TIME, start=str(row["start"]),
                          end=str(row["end"])) from err
    if end <= start:
        raise RuleRefusal(why.SLOT_ENDS_BEFORE_START, start=str(row["start"]),
                          end=str(row["end"]))
    if code in tx.state.appointments:
        raise RuleRefusal(why.BOOKING_EXISTS, code=code)
    return code, service, start, end


def book_appointment(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Book one slot under a booking code."""
    code, service, start, end = _booking(tx, args)
    tx.emit("appointment_booked", code=code, service=service, start_at=start, end_at=end)
    return {"code": code, "service": service, "start_at": start, "end_at": end}


def book_appointments(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """All rows or none: every problem is listed so the file can be fixed in one go."""
    problems: list[dict[str, Any]] = []
    checked: list[Booking] = []
    seen: set[str] = set()
    for index, row in enumerate(args["bookings"], start=1):
        try:
            booking = _booking(tx, row)
            if booking[0] in seen:
                raise RuleRefusal(why.DUPLICATE_IN_IMPORT, code=booking[0])
        except RuleRefusal as refusal:
            problems.append({"row": index, "code": str(row.get("code")), "reason": refusal.code,
                             "params": refusal.params})
            continue
        seen.add(booking[0])
        checked.append(booking)
    if problems:
        raise RuleRefusal(why.BAD_BOOKINGS, count=len(problems), rows=problems)
    for code, service, start, end in checked:
        tx.emit("appointment_booked", code=code, service=service, start_at=start, end_at=end)
    return {"booked": len(checked)}
