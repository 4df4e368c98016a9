"""Commands to events: every queue decision, as a pure function of state, command and time.

``execute`` works on a private copy of the state: each fact it decides is
folded in at once with ``evolve``, so later decisions of the same command see
earlier ones (CALL NEXT finishes the current visitor, then chooses the next).
It reads no clock, touches no file or socket and keeps nothing between calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from config import hours
from broker.rules.alerts import alert_events, raised_data
from broker.rules.estimates import estimate_s
from broker.rules.evolve import evolve
from broker.rules.rollback import journal_rollback
from broker.rules.model import Command, Event, HallState, RuleRefusal, Ticket
from broker.rules.select import choose, is_priority
from protocol import errors

Observer = Callable[[HallState, Event], None]

MAX_NUMBER = 99999
"""Numbers per service per day; the wire's ticket pattern allows up to five digits."""


@dataclass(frozen=True)
class Outcome:
    """What a command did: the new state, the events that record it and the reply's result."""

    state: HallState
    events: list[Event]
    result: dict[str, Any]


class _Tx:
    """One command in progress: a private state and the events decided so far."""

    def __init__(self, state: HallState, now: float, observe: Observer | None,
                 node: str = "") -> None:
        self.state = state.copy()
        self.node = node
        self.now = now
        self.events: list[Event] = []
        self._observe = observe

    def emit(self, type_: str, **data: Any) -> Event:
        event = Event(type_, self.now, data)
        evolve(self.state, event)
        self.events.append(event)
        if self._observe is not None:
            self._observe(self.state, event)
        return event


def apply(state: HallState, command: Command, now: float) -> tuple[HallState, list[Event]]:
    """Apply ``command`` at time ``now`` (epoch seconds): the new state and its events.

    Raises:
        RuleRefusal: the command is refused; ``state`` is unchanged and nothing happened.
    """
    outcome = execute(state, command, now)
    return outcome.state, outcome.events


def execute(state: HallState, command: Command, now: float,
            observe: Observer | None = None) -> Outcome:
    """Like ``apply``, also returning the reply's result.

    Args:
        state: the current state; never modified.
        command: a command whose arguments passed ``protocol.ops`` validation.
        now: the wall-clock time of the command. A clock that jumped back is
            treated as the last time seen, so tickets never reorder and waits
            are never negative.
        observe: called after each event with the state it produced (for views).
    """
    handler = _OPS.get(command.op)
    if handler is None:
        raise RuleRefusal(errors.UNKNOWN_OP, f"unknown op {command.op!r}")
    tx = _Tx(state, max(now, state.clock), observe, command.node)
    _roll_day(tx)
    result = handler(tx, command.args)
    for event in alert_events(tx.state, tx.now):
        tx.emit(event.type, **event.data)
    return Outcome(tx.state, tx.events, result)


def _roll_day(tx: _Tx) -> None:
    day = hours.day_of(tx.state.hall, tx.now)
    if tx.state.day == day:
        return
    left = sorted(n for n, t in tx.state.tickets.items()
                  if t.status in ("waiting", "serving", "held"))
    tx.emit("day_started", day=day, previous=tx.state.day, expired=left)


# --- helpers ---------------------------------------------------------------------------------

def _counter(tx: _Tx, args: Mapping[str, Any], *, must_be_open: bool = False) -> int:
    number = int(args["counter"])
    if tx.state.hall.counter(number) is None:
        known = ", ".join(str(c.number) for c in tx.state.hall.counters)
        raise RuleRefusal(errors.UNKNOWN_COUNTER,
                          f"counter {number} is not in this hall's config (counters: {known})")
    if must_be_open:
        mode = tx.state.counter(number).mode
        if mode == "paused":
            raise RuleRefusal(errors.COUNTER_PAUSED,
                              f"counter {number} is paused (暂停); resume it before calling")
        if mode == "closed":
            raise RuleRefusal(errors.COUNTER_CLOSED,
                              f"counter {number} is closed; open it before calling")
    return number


def _service(tx: _Tx, service_id: str) -> str:
    if tx.state.hall.service(service_id) is None:
        known = ", ".join(s.id for s in tx.state.hall.services)
        raise RuleRefusal(errors.UNKNOWN_SERVICE,
                          f"unknown service {service_id!r}; this hall offers: {known}")
    return service_id


def _serving(tx: _Tx, counter: int) -> Ticket:
    number = tx.state.counter(counter).serving
    if number is None:
        raise RuleRefusal(errors.NOT_SERVING,
                          f"counter {counter} is not serving anyone; call a ticket first")
    return tx.state.tickets[number]


def _ticket(tx: _Tx, number: str) -> Ticket:
    ticket = tx.state.tickets.get(number)
    if ticket is None:
        raise RuleRefusal(errors.UNKNOWN_TICKET, f"no ticket {number} has been issued today")
    return ticket


def _finish_current(tx: _Tx, counter: int) -> str | None:
    """Finish the visitor a counter is serving, if any (CALL NEXT does this first)."""
    number = tx.state.counter(counter).serving
    if number is None:
        return None
    ticket = tx.state.tickets[number]
    began = ticket.started_at if ticket.started_at is not None else ticket.called_at
    tx.emit("finished", ticket=number, counter=counter, service=ticket.service,
            service_s=round(tx.now - began, 3) if began is not None else None)
    return number


def _call(tx: _Tx, counter: int, ticket: Ticket, **audit: Any) -> dict[str, Any]:
    tx.emit("called", ticket=ticket.number, counter=counter, service=ticket.service,
            priority=is_priority(tx.state, ticket), **audit)
    return _ticket_result(tx, tx.state.tickets[ticket.number])


def _ticket_result(tx: _Tx, ticket: Ticket) -> dict[str, Any]:
    return {"ticket": ticket.number, "service": ticket.service, "status": ticket.status,
            "counter": ticket.counter}


def _waiting_count(tx: _Tx, counter: int) -> int:
    configured = tx.state.hall.counter(counter)
    services = configured.services if configured else ()
    return sum(len(tx.state.queues.get(s, ())) for s in services)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60.0, 1)


def _transfer_position(tx: _Tx, service: str) -> int:
    """Behind the tickets already transferred into a line, ahead of its walk-ins (一票到底)."""
    position = 0
    for number in tx.state.queue(service):
        if not tx.state.tickets[number].transferred:
            break
        position += 1
    return position


# --- ops -------------------------------------------------------------------------------------

def _issue_ticket(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    hall = tx.state.hall
    kind = str(args.get("kind") or "walkin")
    code = args.get("appointment")
    late = False
    due_at: float | None = None
    service_id = args.get("service")
    if kind == "appointment":
        booking = tx.state.appointments.get(str(code))
        if booking is None:
            raise RuleRefusal(errors.UNKNOWN_APPOINTMENT,
                              f"预约码 {code} 无效 / booking code {code} is not known; "
                              "check the code or take a normal ticket")
        if booking.ticket is not None:
            raise RuleRefusal(errors.INVALID_STATE,
                              f"预约码 {code} 已取号 {booking.ticket} / booking {code} already "
                              f"checked in as {booking.ticket}")
        if service_id and service_id != booking.service:
            raise RuleRefusal(errors.BAD_ARGS,
                              f"booking {code} is for service {booking.service!r}, "
                              f"not {service_id!r}")
        service_id = booking.service
        early_limit = booking.start - hall.policies.appointment_early_minutes * 60.0
        if tx.now < early_limit:
            opens = hours.local(hall, early_limit).strftime("%H:%M")
            raise RuleRefusal(errors.TOO_EARLY,
                              f"预约未到签到时间，请于 {opens} 后签到 / too early to check in; "
                              f"please check in after {opens}")
        if tx.now > booking.start + hall.policies.appointment_late_minutes * 60.0:
            late = True
            kind = "walkin"
        else:
            due_at = booking.start
    service = hall.service(_service(tx, str(service_id)))
    if service is None:  # pragma: no cover - _service raised already
        raise RuleRefusal(errors.UNKNOWN_SERVICE, f"unknown service {service_id!r}")
    after_hours = not hours.is_open(hall, tx.now)
    if after_hours and hall.policies.after_hours == "refuse":
        opening = hours.next_opening(hall, tx.now)
        today = hours.local(hall, tx.now).date()
        when = ("-" if opening is None else opening.strftime("%H:%M")
                if opening.date() == today else opening.strftime("%m-%d %H:%M"))
        raise RuleRefusal(errors.CLOSED_FOR_DAY,
                          f"现在不在取号时间，下次开始取号 {when} / ticketing is closed now; "
                          f"it opens again at {when}")
    seq = tx.state.next_number.get(service.id, 0) + 1
    if seq > MAX_NUMBER:
        raise RuleRefusal(errors.INVALID_STATE,
                          f"{service.name.zh}今日号码已用完 / all {MAX_NUMBER} numbers of "
                          f"{service.name.en} are used today")
    number = f"{service.prefix}{seq:03d}"
    ahead = len(tx.state.queue(service.id))
    estimate = estimate_s(tx.state, service.id, ahead)
    tx.emit("ticket_issued", ticket=number, service=service.id, kind=kind, seq_in_service=seq,
            appointment=str(code) if code else None, due_at=due_at, late=late, ahead=ahead,
            estimate_min=_minutes(estimate), after_hours=after_hours)
    return {"ticket": number, "service": service.id, "kind": kind, "ahead": ahead,
            "estimate_min": _minutes(estimate), "issued_at": tx.now, "late": late,
            "after_hours": after_hours,
            "expected_at": None if estimate is None else tx.now + estimate}


def _call_next(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    counter = _counter(tx, args, must_be_open=True)
    finished = _finish_current(tx, counter)
    ticket = choose(tx.state, counter, tx.now)
    if ticket is None:
        return {"ticket": None, "finished": finished, "waiting": 0,
                "message": "无人等候 / nobody is waiting for this counter"}
    result = _call(tx, counter, ticket, out_of_order=False, reason=None, call_back=False)
    return {**result, "finished": finished, "waiting": _waiting_count(tx, counter)}


def _recall(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    counter = _counter(tx, args)
    ticket = _serving(tx, counter)
    if ticket.recalls >= tx.state.hall.policies.recall_cap:
        tx.emit("no_show", ticket=ticket.number, counter=counter, auto=True)
        return {"ticket": ticket.number, "status": "no_show", "recalls": ticket.recalls,
                "message": "已达重呼上限，按过号处理 / recall limit reached: marked no-show"}
    tx.emit("recalled", ticket=ticket.number, counter=counter, recalls=ticket.recalls + 1)
    return {"ticket": ticket.number, "status": "serving", "recalls": ticket.recalls + 1}


def _no_show(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    counter = _counter(tx, args)
    ticket = _serving(tx, counter)
    tx.emit("no_show", ticket=ticket.number, counter=counter, auto=False)
    return {"ticket": ticket.number, "status": "no_show"}


def _revive(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    ticket = _ticket(tx, str(args["ticket"]))
    if ticket.status != "no_show" or ticket.no_show_at is None:
        raise RuleRefusal(errors.INVALID_STATE,
                          f"ticket {ticket.number} is {ticket.status}, not a no-show (过号)")
    grace_s = tx.state.hall.policies.no_show_grace_minutes * 60.0
    if tx.now - ticket.no_show_at > grace_s:
        raise RuleRefusal(errors.GRACE_EXPIRED,
                          f"过号超过 {tx.state.hall.policies.no_show_grace_minutes:g} 分钟，请重新取号 / "
                          f"ticket {ticket.number} missed its call over "
                          f"{tx.state.hall.policies.no_show_grace_minutes:g} min ago; "
                          "please take a new ticket")
    position = min(tx.state.hall.policies.requeue_offset, len(tx.state.queue(ticket.service)))
    tx.emit("revived", ticket=ticket.number, service=ticket.service, position=position)
    return {"ticket": ticket.number, "status": "waiting", "ahead": position}


def _hold(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    counter = _counter(tx, args)
    ticket = _serving(tx, counter)
    tx.emit("held", ticket=ticket.number, counter=counter)
    return {"ticket": ticket.number, "status": "held"}


def _call_back(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    counter = _counter(tx, args, must_be_open=True)
    ticket = _ticket(tx, str(args["ticket"]))
    if ticket.status != "held" or ticket.counter != counter:
        raise RuleRefusal(errors.INVALID_STATE,
                          f"ticket {ticket.number} is not held at counter {counter}")
    finished = _finish_current(tx, counter)
    result = _call(tx, counter, ticket, out_of_order=False, reason=None, call_back=True)
    return {**result, "finished": finished}


def _transfer(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    counter = _counter(tx, args)
    target = _service(tx, str(args["service"]))
    ticket = _serving(tx, counter)
    if target == ticket.service:
        raise RuleRefusal(errors.INVALID_STATE,
                          f"ticket {ticket.number} is already in service {target!r}")
    began = ticket.started_at if ticket.started_at is not None else ticket.called_at
    position = _transfer_position(tx, target)
    tx.emit("transferred", ticket=ticket.number, counter=counter, from_service=ticket.service,
            to_service=target, position=position,
            service_s=round(tx.now - began, 3) if began is not None else None)
    return {"ticket": ticket.number, "service": target, "status": "waiting", "ahead": position}


def _call_ticket(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    counter = _counter(tx, args, must_be_open=True)
    reason = str(args.get("reason") or "").strip()
    if not reason:
        raise RuleRefusal(errors.BAD_ARGS,
                          "calling a ticket out of order needs a reason; it is audited")
    ticket = _ticket(tx, str(args["ticket"]))
    if ticket.status != "waiting":
        raise RuleRefusal(errors.INVALID_STATE,
                          f"ticket {ticket.number} is {ticket.status}; only a waiting ticket "
                          "can be called out of order")
    expected = choose(tx.state, counter, tx.now)
    out_of_order = expected is None or expected.number != ticket.number
    finished = _finish_current(tx, counter)
    result = _call(tx, counter, ticket, out_of_order=out_of_order, reason=reason,
                   call_back=False)
    return {**result, "finished": finished, "out_of_order": out_of_order}


def _start(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    counter = _counter(tx, args)
    ticket = _serving(tx, counter)
    if ticket.started_at is None:
        tx.emit("started", ticket=ticket.number, counter=counter)
    return {"ticket": ticket.number, "status": "serving"}


def _finish(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    counter = _counter(tx, args)
    ticket = _serving(tx, counter)
    _finish_current(tx, counter)
    return {"ticket": ticket.number, "status": "finished"}


def _set_mode(tx: _Tx, counter: int, mode: str, by: str) -> dict[str, Any]:
    before = tx.state.counter(counter).mode
    if before != mode:
        tx.emit("counter_changed", counter=counter, mode=mode, previous=before, by=by)
    return {"counter": counter, "mode": mode, "changed": before != mode}


def _pause(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    counter = _counter(tx, args)
    if tx.state.counter(counter).mode == "closed":
        raise RuleRefusal(errors.COUNTER_CLOSED, f"counter {counter} is closed; open it first")
    return _set_mode(tx, counter, "paused", "pause")


def _resume(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    counter = _counter(tx, args)
    if tx.state.counter(counter).mode == "closed":
        raise RuleRefusal(errors.COUNTER_CLOSED,
                          f"counter {counter} is closed; use open_counter to open it")
    return _set_mode(tx, counter, "open", "resume")


def _open_counter(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    return _set_mode(tx, _counter(tx, args), "open", "open_counter")


def _close_counter(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    counter = _counter(tx, args)
    state = tx.state.counter(counter)
    # Nobody loses their place when a window closes: the visitor being served
    # and any held there go back to the front of their lines for other counters.
    requeued = [n for n in ((state.serving,) if state.serving else ()) + state.held]
    for number in requeued:
        ticket = tx.state.tickets[number]
        tx.emit("requeued", ticket=number, counter=counter, service=ticket.service,
                position=_transfer_position(tx, ticket.service), reason="counter_closed")
    result = _set_mode(tx, counter, "closed", "close_counter")
    return {**result, "requeued": requeued}


def _rate(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    counter = _counter(tx, args)
    policies = tx.state.hall.policies
    score = int(args["score"])
    if not 1 <= score <= policies.rating_scale:
        raise RuleRefusal(errors.BAD_ARGS,
                          f"score must be 1..{policies.rating_scale} in this hall, got {score}")
    state = tx.state.counter(counter)
    recent = None
    if state.last_finished is not None and state.last_finished_at is not None and \
            tx.now - state.last_finished_at <= policies.rating_window_seconds:
        recent = state.last_finished
    asked = args.get("ticket")
    if asked is not None:
        if asked not in (state.serving, recent):
            raise RuleRefusal(errors.RATING_CLOSED,
                              f"ticket {asked} cannot be rated at counter {counter} now")
        number = asked
    elif recent is not None and tx.state.tickets[recent].rating is None:
        # CALL NEXT finishes one visitor and calls the next in the same press; the
        # visitor who just left is the one at the pad, not the one walking up.
        number = recent
    else:
        number = state.serving or recent
    if number is None:
        raise RuleRefusal(errors.RATING_CLOSED,
                          f"no visitor to rate at counter {counter} right now")
    ticket = tx.state.tickets[number]
    if ticket.rating is not None:
        raise RuleRefusal(errors.ALREADY_RATED, f"ticket {number} has already been rated")
    negative = score <= (1 if policies.rating_scale == 3 else 2)
    tx.emit("rated", ticket=number, counter=counter, score=score, scale=policies.rating_scale,
            negative=negative)
    if negative:
        tx.emit("alert_raised", **raised_data(tx.state, "negative_rating", ticket.service,
                                              float(score), 0.0, key=f"rating:{number}",
                                              counter=counter, sticky=False))
    return {"ticket": number, "score": score, "negative": negative}


def _booking(tx: _Tx, row: Mapping[str, Any]) -> tuple[str, str, float, float]:
    """Check one booking row; refuses with the row's problem."""
    code = str(row["code"])
    service = _service(tx, str(row["service"]))
    try:
        start = hours.parse_local(tx.state.hall, str(row["start"]))
        end = hours.parse_local(tx.state.hall, str(row["end"]))
    except ValueError as err:
        raise RuleRefusal(errors.BAD_ARGS, f"start/end must be ISO-8601 datetimes: {err}") from err
    if end <= start:
        raise RuleRefusal(errors.BAD_ARGS, "the slot's end must be after its start")
    if code in tx.state.appointments:
        raise RuleRefusal(errors.INVALID_STATE, f"booking code {code} exists already")
    return code, service, start, end


def _book_appointment(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    code, service, start, end = _booking(tx, args)
    tx.emit("appointment_booked", code=code, service=service, start_at=start, end_at=end)
    return {"code": code, "service": service, "start_at": start, "end_at": end}


def _book_appointments(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """All rows or none: every problem is listed so the file can be fixed in one go."""
    problems: list[str] = []
    checked: list[tuple[str, str, float, float]] = []
    seen: set[str] = set()
    for index, row in enumerate(args["bookings"], start=1):
        try:
            booking = _booking(tx, row)
        except RuleRefusal as refusal:
            problems.append(f"row {index} ({row.get('code')}): {refusal.message}")
            continue
        if booking[0] in seen:
            problems.append(f"row {index} ({booking[0]}): the code appears twice in this import")
            continue
        seen.add(booking[0])
        checked.append(booking)
    if problems:
        raise RuleRefusal(errors.BAD_ARGS, f"nothing was imported; {len(problems)} bad row(s): "
                          + "; ".join(problems))
    for code, service, start, end in checked:
        tx.emit("appointment_booked", code=code, service=service, start_at=start, end_at=end)
    return {"booked": len(checked)}


def _report_health(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """A node reports a part's health; staff are alerted while it is not ok."""
    node = tx.node or "unknown"
    component = str(args["component"])
    status = str(args["status"])
    message = str(args.get("message") or "")
    key = f"node:{node}/{component}"
    previous = tx.state.health.get(f"{node}/{component}")
    if previous is None or (previous.status, previous.message) != (status, message):
        tx.emit("node_health", node=node, component=component, status=status, message=message)
    if status == "ok" and key in tx.state.alerts:
        tx.emit("alert_cleared", key=key)
    elif status != "ok" and (key not in tx.state.alerts or previous is None
                             or previous.status != status):
        data = raised_data(tx.state, "node_" + status, None, 0.0, 0.0, key=key)
        data["node"], data["component"] = node, component
        data["message"] = {"zh": f"{node} {component}: {message}", "en": f"{node} {component}: {message}"}
        tx.emit("alert_raised", **data)
    return {"node": node, "component": component, "status": status}


def _tick(tx: _Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Let time pass: day roll-over and time-based alerts, nothing else."""
    return {}


_OPS: dict[str, Callable[[_Tx, Mapping[str, Any]], dict[str, Any]]] = {
    "issue_ticket": _issue_ticket,
    "call_next": _call_next,
    "recall": _recall,
    "no_show": _no_show,
    "revive": _revive,
    "hold": _hold,
    "call_back": _call_back,
    "transfer": _transfer,
    "call_ticket": _call_ticket,
    "start": _start,
    "finish": _finish,
    "pause": _pause,
    "resume": _resume,
    "open_counter": _open_counter,
    "close_counter": _close_counter,
    "rate": _rate,
    "book_appointment": _book_appointment,
    "book_appointments": _book_appointments,
    "report_health": _report_health,
    "tick": _tick,
    "journal_rollback": journal_rollback,  # internal, like tick: not a wire op
}

COMMAND_OPS: frozenset[str] = frozenset(_OPS)
