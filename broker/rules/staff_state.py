"""Folding staff, sign-in, ticketing-pause and notice events into state; what of them is public.

Staff records (with their PIN hashes) live in the journal's events, because the state is
rebuilt from the journal alone. They never reach a node: the public view carries each
counter's 工号 only, and ``public_data`` strips the hash and the staff member's name from
an event before the broker publishes it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Mapping

from broker.rules.model import Event, HallState, Notice, StaffRecord

PRIVATE_FIELDS: frozenset[str] = frozenset({"pin_hash", "name", "note"})
"""Event fields kept in the journal but never published (the PIN hash, the member's name, a
manager's ``note`` on a 差评 case or an alert: a callback note may name the visitor)."""

STAFFED_EVENTS: frozenset[str] = frozenset(
    {"called", "recalled", "started", "finished", "no_show", "held", "transferred", "rated"})
"""Events at a counter that carry the 工号 signed in there (``staff``), so reports can go per
clerk; ``rated`` carries the 工号 that called the rated ticket."""

def public_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """An event's data as it may be published: without ``PRIVATE_FIELDS``."""
    return {key: value for key, value in data.items() if key not in PRIVATE_FIELDS}


def staff_of_event(state: HallState, type_: str, data: Mapping[str, Any]) -> str | None:
    """The 工号 an event at a counter carries, or None (nobody signed in, or no counter)."""
    if type_ == "rated":
        ticket = state.tickets.get(str(data.get("ticket")))
        return ticket.staff if ticket is not None else None
    counter = data.get("counter")
    return state.signed_in.get(counter) if isinstance(counter, int) else None


def member(record: StaffRecord, state: HallState) -> dict[str, Any]:
    """A staff member as anyone may see it: never the PIN hash."""
    counter = next((c for c, s in sorted(state.signed_in.items()) if s == record.id), None)
    return {"id": record.id, "name": record.name, "role": record.role,
            "enabled": record.enabled, "counter": counter}


def staff_list(state: HallState) -> dict[str, Any]:
    """The result of ``staff_list``: every member ordered by id (numerically, then as text)."""
    ordered = sorted(state.staff.values(), key=lambda r: (len(r.id), r.id))
    return {"staff": [member(record, state) for record in ordered]}


def notice_at(state: HallState) -> dict[str, Any] | None:
    """The view's ``notice``: the manager's notice while the broker's clock is before its end."""
    notice = state.notice
    if notice is None or notice.until <= state.clock:
        return None
    return {"zh": notice.zh, "en": notice.en, "until": notice.until}


def day_reset(state: HallState) -> None:
    """What a new day clears: sign-ins (except at counters still serving a carried visitor)
    and the manager's ticketing pause. Staff records and a notice's time outlive the day."""
    state.signed_in = {
        number: staff for number, staff in state.signed_in.items()
        if state.counter(number).serving is not None or state.counter(number).held}
    state.ticketing_paused = None


def _staff_added(state: HallState, event: Event) -> None:
    data = event.data
    staff = str(data["staff"])
    state.staff[staff] = StaffRecord(id=staff, name=str(data["name"]), role=data["role"],
                                     pin_hash=str(data["pin_hash"]))


def _staff_changed(state: HallState, event: Event, **changes: Any) -> None:
    staff = str(event.data["staff"])
    if staff in state.staff:
        state.staff[staff] = replace(state.staff[staff], **changes)


def _staff_pin_set(state: HallState, event: Event) -> None:
    _staff_changed(state, event, pin_hash=str(event.data["pin_hash"]))


def _staff_disabled(state: HallState, event: Event) -> None:
    _staff_changed(state, event, enabled=False)


def _staff_enabled(state: HallState, event: Event) -> None:
    _staff_changed(state, event, enabled=True)


def _signed_in(state: HallState, event: Event) -> None:
    counter = event.data.get("counter")
    if isinstance(counter, int):
        state.signed_in[counter] = str(event.data["staff"])


def _signed_out(state: HallState, event: Event) -> None:
    counter = event.data.get("counter")
    if isinstance(counter, int) and state.signed_in.get(counter) == event.data["staff"]:
        del state.signed_in[counter]


def _ticketing_paused(state: HallState, event: Event) -> None:
    state.ticketing_paused = str(event.data.get("reason") or "")


def _ticketing_resumed(state: HallState, event: Event) -> None:
    state.ticketing_paused = None


def _notice_posted(state: HallState, event: Event) -> None:
    data = event.data
    state.notice = Notice(zh=str(data["zh"]), en=str(data["en"]), until=float(data["until"]))


def _notice_cleared(state: HallState, event: Event) -> None:
    state.notice = None


HANDLERS: dict[str, Callable[[HallState, Event], None]] = {
    "staff_added": _staff_added,
    "staff_pin_set": _staff_pin_set,
    "staff_disabled": _staff_disabled,
    "staff_enabled": _staff_enabled,
    "signed_in": _signed_in,
    "signed_out": _signed_out,
    "ticketing_paused": _ticketing_paused,
    "ticketing_resumed": _ticketing_resumed,
    "notice_posted": _notice_posted,
    "notice_cleared": _notice_cleared,
}
"""The staff and hall-control event types, folded by ``broker.rules.evolve``."""
