"""Commands to events: every queue decision, as a pure function of state, command and time.

``execute`` dispatches a command to its op's handler, which decides on a
private copy of the state (``transaction.Tx``). It reads no clock, touches no
file or socket and keeps nothing between calls. The handlers live with what
they are about: ``issuing``, ``calling``, ``counters``, ``bookings``, ``feedback``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from config import hours
from broker.rules import (bookings, calling, cases, counters, feedback, issuing, notices, staff,
                          timekeeping)
from broker.rules import refusals as why
from broker.rules.alerts import alert_events, time_limit_events
from broker.rules.model import Command, Event, HallState, RuleRefusal
from broker.rules.rollback import journal_rollback
from broker.rules.ticketing import ticketing_events
from broker.rules.transaction import Observer, Tx


@dataclass(frozen=True)
class Outcome:
    """What a command did: the new state, the events that record it and the reply's result."""

    state: HallState
    events: list[Event]
    result: dict[str, Any]


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

    Raises:
        RuleRefusal: the command is refused (a code from ``broker.rules.refusals``).
    """
    handler = _OPS.get(command.op)
    if handler is None:
        raise RuleRefusal(why.UNKNOWN_OP, op=command.op)
    tx = Tx(state, max(now, state.clock), observe, command.node)
    _roll_day(tx)
    staff.check_staff(tx.state, command)
    # Before the op (the broker's own finding, given for nobody): a FINISH past the limit
    # still raises the counter's alert first.
    for event in time_limit_events(tx.state, tx.now):
        tx.emit(event.type, **event.data)
    tx.acting = command.staff
    result = handler(tx, command.args)
    tx.acting = None
    for event in alert_events(tx.state, tx.now) + cases.overdue_events(tx.state, tx.now):
        tx.emit(event.type, **event.data)
    for event in notices.notice_events(tx.state, tx.now):
        tx.emit(event.type, **event.data)
    for event in ticketing_events(tx.state, tx.now, tx.events):
        tx.emit(event.type, **event.data)
    return Outcome(tx.state, tx.events, result)


def _roll_day(tx: Tx) -> None:
    day = hours.day_of(tx.state.hall, tx.now)
    if tx.state.day == day:
        return
    # A visitor still waiting, held or at a window when the day turns (a 24-hour hall at
    # midnight) is carried into the new day and served; numbering restarts, skipping the
    # numbers carried tickets still hold (see issuing).
    carried = sorted(n for n, t in tx.state.tickets.items()
                     if t.status in ("waiting", "serving", "held"))
    tx.emit("day_started", day=day, previous=tx.state.day, carried=carried)


def _tick(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Let time pass: day roll-over and time-based alerts, nothing else."""
    return {}


_OPS: dict[str, Callable[[Tx, Mapping[str, Any]], dict[str, Any]]] = {
    "issue_ticket": issuing.issue_ticket,
    "call_next": calling.call_next,
    "recall": calling.recall,
    "no_show": calling.no_show,
    "revive": calling.revive,
    "hold": calling.hold,
    "call_back": calling.call_back,
    "transfer": calling.transfer,
    "call_ticket": calling.call_ticket,
    "start": calling.start,
    "finish": calling.finish,
    "pause": counters.pause,
    "resume": counters.resume,
    "open_counter": counters.open_counter,
    "close_counter": counters.close_counter,
    "rate": feedback.rate,
    "book_appointment": bookings.book_appointment,
    "book_appointments": bookings.book_appointments,
    "report_health": feedback.report_health,
    "staff_add": staff.staff_add,
    "staff_set_pin": staff.staff_set_pin,
    "staff_disable": staff.staff_disable,
    "staff_enable": staff.staff_enable,
    "sign_in": staff.sign_in,
    "sign_out": staff.sign_out,
    "pause_ticketing": notices.pause_ticketing,
    "resume_ticketing": notices.resume_ticketing,
    "post_notice": notices.post_notice,
    "clear_notice": notices.clear_notice,
    "tick": _tick,
    "journal_rollback": journal_rollback,
    "clock_jump": timekeeping.clock_jump,
    "expire_nodes": feedback.expire_nodes,
    "acknowledge_alert": cases.acknowledge_alert,
    "case_note": cases.case_note,
    "case_close": cases.case_close,
}

COMMAND_OPS: frozenset[str] = frozenset(_OPS)

BROKER_OPS: frozenset[str] = frozenset({"tick", "clock_jump", "expire_nodes", "journal_rollback"})
"""Commands only the broker itself gives (time passing, its clock, its start); they are not
in the op registry, so no node can send them."""
