"""The read-only ``track`` op's answer: a phone token's ticket and how its visit ended.

The rules' ``ticket_by_track`` finds the ticket (constant-time per comparison, no hint for a
guesser); this adds the ticket's own ``status`` and whether it was rated, so a web node that
restarted (and so never heard the ``finished`` / ``no_show`` / ``rated`` events) shows a
visitor's page right for a ticket the public view no longer lists.
"""

from __future__ import annotations

from typing import Any, Mapping

from broker.rules.model import HallState
from broker.rules.visitor import ticket_by_track


def track_status(state: HallState, args: Mapping[str, Any]) -> dict[str, Any]:
    """``{ticket, day, status, rated}`` for a phone token; refused (``unknown_track``) else.

    Args:
        state: the broker's state now.
        args: the validated ``track`` args (``token``).

    Returns:
        the ticket number, the hall day, the ticket's status (``waiting``, ``serving``,
        ``held``, ``no_show``, ``finished`` or ``expired``) and whether it has a rating.
    """
    ticket = ticket_by_track(state, str(args["token"]))
    return {"ticket": ticket.number, "day": state.day, "status": ticket.status,
            "rated": ticket.rating is not None}
