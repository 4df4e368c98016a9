"""The hall manager's controls over the whole hall: pausing ticketing, and timed notices.

A pause stops ``issue_ticket`` until resumed (or until the day ends); the view's
``ticketing`` then says ``open: false`` with the code ``paused_by_manager``, which the
kiosks word. A notice shows on the displays' ticker until its end by the broker's clock;
the broker's tick clears it then (``notice_cleared`` with reason ``expired``), so nodes
never judge the time themselves.
"""

from __future__ import annotations

from typing import Any, Mapping

from broker.rules.model import Event, HallState
from broker.rules.staff_state import notice_at
from broker.rules.ticketing import ticketing_at
from broker.rules.transaction import Tx

PAUSED_BY_MANAGER = "paused_by_manager"
"""The view's ``ticketing.code`` while the manager's pause is on."""


def ticketing_view(state: HallState) -> dict[str, Any] | None:
    """The view's ``ticketing``: hours and policy as of the clock, and the manager's pause."""
    if state.day is None:
        return None
    view: dict[str, Any] = ticketing_at(state.hall, state.clock).as_dict()
    paused = state.ticketing_paused is not None
    view.update(paused=paused, code=PAUSED_BY_MANAGER if paused else None,
                reason=state.ticketing_paused or "")
    if paused:
        view["open"] = False
    return view


def pause_ticketing(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Stop the kiosks issuing; pausing while paused changes nothing."""
    changed = tx.state.ticketing_paused is None
    if changed:
        tx.emit("ticketing_paused", reason=str(args.get("reason") or ""))
    return {"paused": True, "changed": changed}


def resume_ticketing(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Let the kiosks issue again; resuming while not paused changes nothing."""
    changed = tx.state.ticketing_paused is not None
    if changed:
        tx.emit("ticketing_resumed")
    return {"paused": False, "changed": changed}


def post_notice(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Show a notice for ``minutes`` from now (broker clock), replacing any current one."""
    until = round(tx.now + 60.0 * int(args["minutes"]), 3)
    tx.emit("notice_posted", zh=args["zh"], en=args["en"], until=until)
    return {"notice": notice_at(tx.state), "changed": True}


def clear_notice(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Take the current notice down; without one, nothing changes."""
    changed = notice_at(tx.state) is not None
    if changed:
        tx.emit("notice_cleared", reason="cleared")
    return {"notice": None, "changed": changed}


def notice_events(state: HallState, now: float) -> list[Event]:
    """``notice_cleared`` (reason ``expired``) once the notice's end has come."""
    if state.notice is None or state.notice.until > now:
        return []
    return [Event("notice_cleared", now, {"reason": "expired"})]
