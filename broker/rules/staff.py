"""Staff (工作人员): records, sign-in at a counter, and who may do what at the console.

The staff console (role ``web``) names the staff member each command is for
(``Command.staff``); ``check_staff`` decides whether that member may give it: the member
exists and is enabled, a clerk op is for the counter the member is signed in at, a
manager op is a manager's. Commands without a 工号 (a counter's caller, the admin's tools)
are judged by the broker's roles alone. The PIN is never seen here: the admin's tool sends
its hash, and the console checks PINs itself against ``staff_credential``.
"""

from __future__ import annotations

from typing import Any, Mapping

from broker.rules import refusals as why
from broker.rules.model import Command, HallState, RuleRefusal, StaffRecord
from broker.rules.staff_state import member
from broker.rules.transaction import Tx, counter_of

COUNTER_OPS: frozenset[str] = frozenset({
    "call_next", "recall", "no_show", "hold", "call_back", "transfer", "call_ticket", "start",
    "finish", "pause", "resume", "rate"})
"""Clerk ops for one counter: the 工号 must be signed in at the op's ``counter``
(the registry's counter-scoped ops; a test keeps the two equal)."""

MANAGER_OPS: frozenset[str] = frozenset({
    "open_counter", "close_counter", "staff_disable", "staff_enable", "pause_ticketing",
    "resume_ticketing", "post_notice", "clear_notice",
    "acknowledge_alert", "case_note", "case_close"})
"""The hall manager's ops: the 工号 must be a manager's (the registry's manager ops)."""


def record_of(state: HallState, staff: str) -> StaffRecord:
    """The staff member with 工号 ``staff``; refused when there is none."""
    record = state.staff.get(staff)
    if record is None:
        raise RuleRefusal(why.STAFF_UNKNOWN, staff=staff)
    return record


def enabled_record(state: HallState, staff: str) -> StaffRecord:
    """An existing, enabled staff member; refused otherwise."""
    record = record_of(state, staff)
    if not record.enabled:
        raise RuleRefusal(why.STAFF_DISABLED, staff=staff)
    return record


def counter_of_staff(state: HallState, staff: str) -> int | None:
    """The counter ``staff`` is signed in at, or None."""
    return next((c for c, s in sorted(state.signed_in.items()) if s == staff), None)


def check_staff(state: HallState, command: Command) -> None:
    """Refuse a command the console gives for a staff member who may not give it.

    Raises:
        RuleRefusal: ``staff_unknown``, ``staff_disabled``, ``staff_not_manager`` or
            ``staff_not_at_counter``.
    """
    if command.staff is None:
        return
    record = enabled_record(state, command.staff)
    if command.op in MANAGER_OPS and record.role != "manager":
        raise RuleRefusal(why.STAFF_NOT_MANAGER, staff=record.id, role=record.role)
    if command.op in COUNTER_OPS:
        counter = command.args.get("counter")
        if state.signed_in.get(counter) != record.id:
            raise RuleRefusal(why.STAFF_NOT_AT_COUNTER, staff=record.id, counter=counter,
                              signed_in_at=counter_of_staff(state, record.id))


def staff_add(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """A new, enabled staff member; an existing 工号 is refused (set its PIN instead)."""
    staff = str(args["id"])
    if staff in tx.state.staff:
        raise RuleRefusal(why.STAFF_EXISTS, staff=staff)
    tx.emit("staff_added", staff=staff, name=args["name"], role=args["role"],
            pin_hash=args["pin_hash"])
    return {**member(tx.state.staff[staff], tx.state), "changed": True}


def staff_set_pin(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Replace a member's PIN hash (enabled or not)."""
    record = record_of(tx.state, str(args["id"]))
    tx.emit("staff_pin_set", staff=record.id, pin_hash=args["pin_hash"])
    return {**member(tx.state.staff[record.id], tx.state), "changed": True}


def staff_disable(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Disable a member, signing them out of their counter first."""
    record = record_of(tx.state, str(args["id"]))
    if record.enabled:
        counter = counter_of_staff(tx.state, record.id)
        if counter is not None:
            tx.emit("signed_out", staff=record.id, counter=counter, reason="disabled")
        tx.emit("staff_disabled", staff=record.id)
    return {**member(tx.state.staff[record.id], tx.state), "changed": record.enabled}


def staff_enable(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Enable a disabled member again."""
    record = record_of(tx.state, str(args["id"]))
    if not record.enabled:
        tx.emit("staff_enabled", staff=record.id)
    return {**member(tx.state.staff[record.id], tx.state), "changed": not record.enabled}


def sign_in(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Sign a member in at a counter (or at none: a manager at the hall page).

    At a counter, whoever was signed in there is signed out (``replaced``) and so is this
    member at any other counter (``moved``). Signing in again where one already is
    changes nothing.
    """
    record = enabled_record(tx.state, str(args["staff"]))
    counter = args.get("counter")
    result = {"staff": record.id, "name": record.name, "role": record.role, "counter": None}
    if counter is None:
        tx.emit("signed_in", staff=record.id, counter=None)
        return result
    counter = counter_of(tx, args)
    result["counter"] = counter
    if tx.state.signed_in.get(counter) == record.id:
        return result
    elsewhere = counter_of_staff(tx.state, record.id)
    if elsewhere is not None:
        tx.emit("signed_out", staff=record.id, counter=elsewhere, reason="moved")
    previous = tx.state.signed_in.get(counter)
    if previous is not None:
        tx.emit("signed_out", staff=previous, counter=counter, reason="replaced")
    tx.emit("signed_in", staff=record.id, counter=counter)
    return result


def sign_out(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Sign a member out of their counter; a member at none changes nothing."""
    record = record_of(tx.state, str(args["staff"]))
    counter = counter_of_staff(tx.state, record.id)
    if counter is not None:
        tx.emit("signed_out", staff=record.id, counter=counter, reason="signed_out")
    return {"staff": record.id, "counter": counter}


def staff_credential(state: HallState, args: Mapping[str, Any]) -> dict[str, Any]:
    """The result of ``staff_credential`` (read-only): one member with the PIN hash."""
    record = record_of(state, str(args["id"]))
    return {"id": record.id, "name": record.name, "role": record.role,
            "enabled": record.enabled, "pin_hash": record.pin_hash}
