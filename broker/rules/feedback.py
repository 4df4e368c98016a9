"""What visitors and devices tell the hall: ratings (好差评) and node health reports."""

from __future__ import annotations

from typing import Any, Mapping

from broker.rules import refusals as why
from broker.rules.alerts import raised_data
from broker.rules.cases import open_case, rating_alert_key
from broker.rules.model import HallState, RuleRefusal
from broker.rules.rating import rating_target, recently_finished
from broker.rules.transaction import Tx, counter_of
from config.rating import is_negative, level_code
from config.schema import Hall

MAX_COMPONENTS_PER_NODE = 32
"""Health components one node may report; a new name beyond them is refused, so no node
can grow the hall's state (and every snapshot and alert) without bound."""


def rate(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """A visitor's rating of the visit just served at a counter; a negative one (差评)
    raises a sticky alert and opens a case."""
    counter = counter_of(tx, args)
    scale = tx.state.hall.policies.rating_scale
    score = int(args["score"])
    if not 1 <= score <= scale:
        raise RuleRefusal(why.SCORE_OUT_OF_RANGE, score=score, scale=scale)
    negative = is_negative(score, scale)
    reason = args.get("reason")
    if reason is not None and not negative:
        raise RuleRefusal(why.REASON_NOT_ALLOWED, score=score, scale=scale)
    number = _rated_ticket(tx, counter, args.get("ticket"))
    ticket = tx.state.tickets[number]
    if ticket.rating is not None:
        raise RuleRefusal(why.ALREADY_RATED, ticket=number)
    staff = ticket.staff  # the clerk who called the visit (the staff contract)
    tx.emit("rated", ticket=number, counter=counter, score=score, scale=scale,
            negative=negative, level=level_code(score, scale), reason=reason, staff=staff,
            service=ticket.service)
    case = None
    if negative:
        case = open_case(tx, ticket, counter, score, reason, staff)
        tx.emit("alert_raised", **raised_data(
            "negative_rating", ticket.service, float(score), 0.0, key=rating_alert_key(case),
            counter=counter, sticky=True, source="rating", ticket=number, case=case,
            reason=reason))
    return {"ticket": number, "score": score, "negative": negative, "case": case}


def _rated_ticket(tx: Tx, counter: int, asked: str | None) -> str:
    """The ticket a rating at ``counter`` is for (the pad's, else the published rule's)."""
    state = tx.state.counter(counter)
    recent = recently_finished(tx.state, counter, tx.now)
    if asked is not None:
        if asked not in (state.serving, recent):
            raise RuleRefusal(why.NOT_RATEABLE_HERE, ticket=asked, counter=counter)
        return asked
    # The published rule (broker.rules.rating); else whom to name in the refusal.
    number = rating_target(tx.state, counter, tx.now) or state.serving or recent
    if number is None:
        raise RuleRefusal(why.NOBODY_TO_RATE, counter=counter)
    return number


def report_health(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """A node reports a part's health; staff are alerted while it is not ok."""
    node = tx.node or "unknown"
    component = str(args["component"])
    status = str(args["status"])
    message = str(args.get("message") or "")
    key = f"node:{node}/{component}"
    previous = tx.state.health.get(f"{node}/{component}")
    if previous is None:
        reported = sum(1 for h in tx.state.health.values() if h.node == node)
        if reported >= MAX_COMPONENTS_PER_NODE:
            raise RuleRefusal(why.TOO_MANY_COMPONENTS, node=node, component=component,
                              limit=MAX_COMPONENTS_PER_NODE)
    if previous is None or (previous.status, previous.message) != (status, message):
        tx.emit("node_health", node=node, component=component, status=status, message=message)
    if status == "ok" and key in tx.state.alerts:
        tx.emit("alert_cleared", key=key)
    elif status != "ok" and (key not in tx.state.alerts or previous is None
                             or previous.status != status):
        data = raised_data("node_" + status, None, 0.0, 0.0, key=key, node=node,
                           component=component, detail=message, source=node)
        tx.emit("alert_raised", **data, node=node, component=component)
    return {"node": node, "component": component, "status": status}


def hall_nodes(hall: Hall) -> frozenset[str]:
    """The nodes a hall file names: its kiosks and displays by id, a caller per counter
    (``caller-N``) and every node given a role in ``[security.roles]``."""
    names = {kiosk.id for kiosk in hall.kiosks} | {display.id for display in hall.displays}
    names |= {f"caller-{counter.number}" for counter in hall.counters}
    return frozenset(names | set(hall.security.roles))


def unlisted_nodes(state: HallState) -> list[str]:
    """Nodes with health entries or alerts that the hall file no longer names."""
    listed = hall_nodes(state.hall)
    reported = {h.node for h in state.health.values()}
    reported |= {key[len("node:"):].split("/", 1)[0] for key in state.alerts
                 if key.startswith("node:")}
    return sorted(reported - listed)


def expire_nodes(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Forget the health (and clear the alerts) of nodes no longer in the hall file.

    The broker gives this command at start; a node it forgets that still runs is
    refused nothing, and its next report makes it known again.
    """
    gone = unlisted_nodes(tx.state)
    for node in gone:
        for key in sorted(k for k in tx.state.alerts if k.startswith(f"node:{node}/")):
            tx.emit("alert_cleared", key=key)
        components = sorted(h.component for h in tx.state.health.values() if h.node == node)
        tx.emit("node_forgotten", node=node, components=components)
    return {"nodes": gone}
