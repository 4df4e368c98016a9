"""Calling visitors to a counter and what follows: recall, no-show, hold, transfer, finish."""

from __future__ import annotations

from typing import Any, Mapping

from broker.rules import refusals as why
from broker.rules.model import RuleRefusal
from broker.rules.select import choose
from broker.rules.transaction import (
    Tx,
    call,
    counter_of,
    finish_current,
    served_s,
    service_of,
    serving_at,
    ticket_of,
    transfer_position,
    waiting_count,
)


def call_next(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Finish the current visitor and call the next in machine order."""
    counter = counter_of(tx, args, must_be_open=True)
    finished = finish_current(tx, counter)
    ticket = choose(tx.state, counter, tx.now)
    if ticket is None:
        return {"ticket": None, "finished": finished, "waiting": 0,
                "note": why.NOTE_NOBODY_WAITING}
    result = call(tx, counter, ticket, out_of_order=False, reason=None, call_back=False)
    return {**result, "finished": finished, "waiting": waiting_count(tx, counter)}


def recall(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Announce the current ticket again; past the hall's cap it becomes a no-show."""
    counter = counter_of(tx, args)
    ticket = serving_at(tx, counter)
    if ticket.recalls >= tx.state.hall.policies.recall_cap:
        tx.emit("no_show", ticket=ticket.number, counter=counter, auto=True)
        return {"ticket": ticket.number, "status": "no_show", "recalls": ticket.recalls,
                "note": why.NOTE_RECALL_LIMIT}
    # ``slow`` is for the displays only (a slower, louder announcement); no rule reads it.
    extra = {"slow": True} if args.get("slow") else {}
    tx.emit("recalled", ticket=ticket.number, counter=counter, recalls=ticket.recalls + 1,
            **extra)
    return {"ticket": ticket.number, "status": "serving", "recalls": ticket.recalls + 1}


def no_show(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """The called visitor did not come (过号)."""
    counter = counter_of(tx, args)
    ticket = serving_at(tx, counter)
    tx.emit("no_show", ticket=ticket.number, counter=counter, auto=False)
    return {"ticket": ticket.number, "status": "no_show"}


def revive(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """A no-show came back within the grace period: back into the line, near the front."""
    ticket = ticket_of(tx, str(args["ticket"]))
    if ticket.status != "no_show" or ticket.no_show_at is None:
        raise RuleRefusal(why.NOT_NO_SHOW, ticket=ticket.number, status=ticket.status)
    grace_min = tx.state.hall.policies.no_show_grace_minutes
    if tx.now - ticket.no_show_at > grace_min * 60.0:
        raise RuleRefusal(why.GRACE_EXPIRED, ticket=ticket.number, grace_min=grace_min)
    position = min(tx.state.hall.policies.requeue_offset, len(tx.state.queue(ticket.service)))
    tx.emit("revived", ticket=ticket.number, service=ticket.service, position=position)
    return {"ticket": ticket.number, "status": "waiting", "ahead": position}


def hold(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Put the current visitor aside at this counter (e.g. to fetch a document)."""
    counter = counter_of(tx, args)
    ticket = serving_at(tx, counter)
    tx.emit("held", ticket=ticket.number, counter=counter)
    return {"ticket": ticket.number, "status": "held"}


def call_back(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Call a ticket held at this counter back to it."""
    counter = counter_of(tx, args, must_be_open=True)
    ticket = ticket_of(tx, str(args["ticket"]))
    if ticket.status != "held" or ticket.counter != counter:
        raise RuleRefusal(why.NOT_HELD_HERE, ticket=ticket.number, counter=counter)
    finished = finish_current(tx, counter)
    result = call(tx, counter, ticket, out_of_order=False, reason=None, call_back=True)
    return {**result, "finished": finished}


def transfer(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Send the current visitor to another service without a new ticket (一票到底)."""
    counter = counter_of(tx, args)
    target = service_of(tx, str(args["service"]))
    ticket = serving_at(tx, counter)
    if target == ticket.service:
        raise RuleRefusal(why.ALREADY_IN_SERVICE, ticket=ticket.number, service=target)
    position = transfer_position(tx, target)
    tx.emit("transferred", ticket=ticket.number, counter=counter, from_service=ticket.service,
            to_service=target, position=position, service_s=served_s(tx, ticket))
    return {"ticket": ticket.number, "service": target, "status": "waiting", "ahead": position}


def call_ticket(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Call a named waiting ticket; out of machine order it is audited with the reason."""
    counter = counter_of(tx, args, must_be_open=True)
    reason = str(args.get("reason") or "").strip()
    if not reason:
        raise RuleRefusal(why.REASON_REQUIRED)
    ticket = ticket_of(tx, str(args["ticket"]))
    if ticket.status != "waiting":
        raise RuleRefusal(why.NOT_WAITING, ticket=ticket.number, status=ticket.status)
    expected = choose(tx.state, counter, tx.now)
    out_of_order = expected is None or expected.number != ticket.number
    finished = finish_current(tx, counter)
    result = call(tx, counter, ticket, out_of_order=out_of_order, reason=reason,
                  call_back=False)
    return {**result, "finished": finished, "out_of_order": out_of_order}


def start(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """The visitor arrived at the counter: service time runs from now."""
    counter = counter_of(tx, args)
    ticket = serving_at(tx, counter)
    if ticket.started_at is None:
        tx.emit("started", ticket=ticket.number, counter=counter)
    return {"ticket": ticket.number, "status": "serving"}


def finish(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """The current visitor is done."""
    counter = counter_of(tx, args)
    ticket = serving_at(tx, counter)
    finish_current(tx, counter)
    return {"ticket": ticket.number, "status": "finished"}
