"""Opening, pausing and closing counters (窗口)."""

from __future__ import annotations

from typing import Any, Mapping

from broker.rules import refusals as why
from broker.rules.model import RuleRefusal
from broker.rules.transaction import Tx, counter_of, transfer_position


def _set_mode(tx: Tx, counter: int, mode: str, by: str) -> dict[str, Any]:
    before = tx.state.counter(counter).mode
    if before != mode:
        tx.emit("counter_changed", counter=counter, mode=mode, previous=before, by=by)
    return {"counter": counter, "mode": mode, "changed": before != mode}


def pause(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Briefly unstaffed (暂停); its lines are still served by other counters."""
    counter = counter_of(tx, args)
    if tx.state.counter(counter).mode == "closed":
        raise RuleRefusal(why.COUNTER_CLOSED, counter=counter)
    return _set_mode(tx, counter, "paused", "pause")


def resume(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Back from a pause (a closed counter is opened with ``open_counter``)."""
    counter = counter_of(tx, args)
    if tx.state.counter(counter).mode == "closed":
        raise RuleRefusal(why.COUNTER_CLOSED, counter=counter)
    return _set_mode(tx, counter, "open", "resume")


def open_counter(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Open a counter."""
    return _set_mode(tx, counter_of(tx, args), "open", "open_counter")


def close_counter(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Close a counter; whoever it served or held goes back to the front of their line."""
    counter = counter_of(tx, args)
    state = tx.state.counter(counter)
    # Nobody loses their place when a window closes: the visitor being served
    # and any held there go back to the front of their lines for other counters.
    requeued = [n for n in ((state.serving,) if state.serving else ()) + state.held]
    for number in requeued:
        ticket = tx.state.tickets[number]
        tx.emit("requeued", ticket=number, counter=counter, service=ticket.service,
                position=transfer_position(tx, ticket.service), reason="counter_closed")
    result = _set_mode(tx, counter, "closed", "close_counter")
    return {**result, "requeued": requeued}
