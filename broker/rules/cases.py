"""差评 cases and acknowledging alerts: every negative rating is verified, fixed and answered
by a due date counted in working days on the hall calendar (the service standards).

A negative ``rate`` opens a case (``open_case``); managers note and close it
(``case_note``, ``case_close``) and acknowledge alerts (``acknowledge_alert``): manager ops,
whose manager check is the staff rules' (``broker.rules.staff.MANAGER_OPS``). The broker
marks an open case overdue on the first command or tick past its ``due_at``.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any, Mapping

from broker.rules import refusals as why
from broker.rules.model import Case, Event, HallState, RuleRefusal, Ticket
from broker.rules.transaction import Tx
from config import hours
from config.schema import Hall

OUTCOMES: tuple[str, ...] = ("callback_made", "fixed", "withdrawn")
"""How a case may close: 回访 made, 整改 done, the visitor withdrew the rating."""

CALENDAR_HORIZON_DAYS = 400
"""How far the due-date count looks for working days before it gives up on the calendar
(a hall file with no opening day at all) and counts calendar days instead."""


def is_working_day(hall: Hall, day: date) -> bool:
    """A day the hall opens on (weekday or 调休 workday, not a holiday; special days count)."""
    return bool(hours.periods_on(hall, day))


def due_day(hall: Hall, rated: date, working_days: int) -> date:
    """The ``working_days``-th working day after ``rated`` (the rating's own day not counted)."""
    day, counted = rated, 0
    for _ in range(CALENDAR_HORIZON_DAYS):
        day += timedelta(days=1)
        if is_working_day(hall, day):
            counted += 1
            if counted == working_days:
                return day
    # No working day in sight: a misconfigured calendar must not hide the case.
    return rated + timedelta(days=working_days)


def due_at(hall: Hall, rated_at: float) -> float:
    """When a case of a rating at ``rated_at`` is due: the end (local midnight) of the
    ``case_due_working_days``-th working day after the rating's day."""
    moment = hours.local(hall, rated_at)
    day = due_day(hall, moment.date(), hall.policies.case_due_working_days)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=moment.tzinfo)
    return end.timestamp()


def case_id(state: HallState, ticket: str) -> str:
    """A case's id: the hall day and the ticket (numbers restart every day)."""
    return f"{(state.day or '').replace('-', '')}-{ticket}"


def rating_alert_key(case: str) -> str:
    """The key of the sticky alert a negative rating raises (one per case)."""
    return f"rating:{case}"


def open_case(tx: Tx, ticket: Ticket, counter: int, score: int, reason: str | None,
              staff: str | None) -> str:
    """Open the case of a negative rating just recorded; returns its id."""
    found = case_id(tx.state, ticket.number)
    tx.emit("case_opened", case=found, counter=counter, staff=staff, ticket=ticket.number,
            service=ticket.service, level=score, scale=tx.state.hall.policies.rating_scale,
            reason=reason, rated_at=tx.now, due_at=due_at(tx.state.hall, tx.now))
    return found


def _case(tx: Tx, args: Mapping[str, Any]) -> Case:
    found = tx.state.cases.get(str(args["case"]))
    if found is None:
        raise RuleRefusal(why.UNKNOWN_CASE, case=str(args["case"]),
                          cases=sorted(tx.state.cases))
    if found.state == "closed":
        raise RuleRefusal(why.CASE_CLOSED, case=found.id, outcome=found.outcome)
    return found


def case_note(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """A manager records what was done so far on an open case."""
    found = _case(tx, args)
    tx.emit("case_noted", case=found.id, note=str(args["note"]), staff=tx.acting, node=tx.node)
    return {"case": found.id, "notes_count": tx.state.cases[found.id].notes_count}


def case_close(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Close a case with its outcome; its rating alert is acknowledged with it."""
    found = _case(tx, args)
    outcome, note = str(args["outcome"]), str(args.get("note") or "")
    tx.emit("case_closed", case=found.id, outcome=outcome, note=note, staff=tx.acting,
            node=tx.node, counter=found.counter, ticket=found.ticket,
            case_staff=found.staff, in_time=tx.now < found.due_at)
    key = rating_alert_key(found.id)
    if key in tx.state.alerts:
        _acknowledge(tx, key, "")  # the closing note is the case's, in case_closed
    return {"case": found.id, "outcome": outcome, "in_time": tx.now < found.due_at}


def acknowledge_alert(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """A manager acknowledges an alert: a sticky one is cleared, a condition one silenced."""
    key = str(args["key"])
    if key not in tx.state.alerts:
        raise RuleRefusal(why.UNKNOWN_ALERT, key=key, keys=sorted(tx.state.alerts))
    cleared = _acknowledge(tx, key, str(args.get("note") or ""))
    return {"key": key, "cleared": cleared}


def _acknowledge(tx: Tx, key: str, note: str) -> bool:
    alert = tx.state.alerts[key]
    tx.emit("alert_acknowledged", key=key, code=alert.kind, sticky=alert.sticky,
            staff=tx.acting, node=tx.node, note=note)
    if alert.sticky:
        tx.emit("alert_cleared", key=key)
    return alert.sticky


def overdue_events(state: HallState, now: float) -> list[Event]:
    """``case_overdue`` for each open case whose due time has passed at ``now``, by id.

    The state's ``CaseBook`` keeps the open cases by due time: the cases a month of
    negative ratings left open are not walked after every command.
    """
    due = state.cases.open_due_by(now)
    return [Event("case_overdue", now, {"case": c.id, "due_at": c.due_at}) for c in due]
