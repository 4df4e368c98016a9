"""The visitor's phone (issue #15): a ticket found by its track token, and its rating.

The token is drawn by the broker service (``secrets``), outside these pure rules, and added
to the ``issue_ticket`` command; ``issuing`` stores it on the ticket's event (journaled,
never published: ``staff_state.PRIVATE_FIELDS``). Whoever holds the token holds the ticket's
QR code: they may follow the visit and rate it once, after it is finished.
"""

from __future__ import annotations

import hmac
from typing import Any, Mapping

from broker.rules import refusals as why
from broker.rules.feedback import checked_score, record_rating
from broker.rules.model import HallState, RuleRefusal, Ticket
from broker.rules.transaction import Tx


def ticket_by_track(state: HallState, token: str) -> Ticket:
    """Today's ticket whose track token is ``token``; refused (with no hint) otherwise."""
    wanted = token.encode()
    for ticket in state.tickets.values():
        # Constant-time per comparison, so a guesser learns nothing from timing.
        if ticket.track is not None and hmac.compare_digest(ticket.track.encode(), wanted):
            return ticket
    raise RuleRefusal(why.UNKNOWN_TRACK)


def track(state: HallState, args: Mapping[str, Any]) -> dict[str, Any]:
    """The read-only ``track`` op: ``{ticket, day, status, rated}`` for a token.

    The web node caches the answer. ``status`` (``waiting``, ``serving``, ``held``,
    ``no_show``, ``finished`` or ``expired``) and ``rated`` let a web node that restarted,
    and so never heard the ``finished`` / ``no_show`` / ``rated`` events, show a visitor's
    page right for a ticket the public view no longer lists.
    """
    ticket = ticket_by_track(state, str(args["token"]))
    return {"ticket": ticket.number, "day": state.day, "status": ticket.status,
            "rated": ticket.rating is not None}


def rate_visit(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """A visitor's rating from their phone: the pad's scale and one-per-ticket rule, for a
    finished visit only (rated at the counter that finished it)."""
    ticket = ticket_by_track(tx.state, str(args["token"]))
    checked_score(tx, args)
    if ticket.rating is not None:
        raise RuleRefusal(why.ALREADY_RATED, ticket=ticket.number)
    if ticket.status != "finished" or ticket.counter is None:
        raise RuleRefusal(why.NOT_FINISHED, status=ticket.status)
    return record_rating(tx, ticket.number, ticket.counter, args)
