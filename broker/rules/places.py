"""Each waiting ticket's place: how many are ahead of it and its estimated wait.

Published in the view (the keyed map ``places``: ticket → its place) so the visitor's phone
page shows the broker's own figures and no node re-derives the calling order. The count
follows what a ticket is told when it is issued (``issuing``): the tickets before it in its
line, plus priority tickets behind it (they are called first); a priority ticket counts the
priority tickets ranked before it; an appointment counts the appointments due no later than
it. A ticket's place depends on its own line only (and on that service's open counters and
mean service time), so an event rebuilds the places of the lines it touched
(``line_places``), and the commonest event, an ordinary ticket joining the end of its line,
adds one place and moves no other (``appended_place``).
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from broker.rules.estimates import mean_service_s, open_counters, wait_minutes
from broker.rules.model import HallState, Ticket
from broker.rules.priority import last_rank, priority_order, rank_of
from broker.rules.select import is_priority, priority_flags


def _booked(ticket: Ticket) -> bool:
    """An on-time appointment: it counts only the appointments due no later than it."""
    return ticket.kind == "appointment" and ticket.due_at is not None


def _ahead_counts(state: HallState, line: list[Ticket]) -> dict[str, int]:
    """Ticket number → tickets ahead of it, for one service's line."""
    flags = priority_flags(state, line)
    ranked = priority_order(state, [t for t, p in zip(line, flags) if p])
    ahead = {t.number: i for i, t in enumerate(ranked)}
    due = sorted((t.due_at, t.queued_at) for t in line if _booked(t))
    priority_behind = len(ranked)
    for index, (ticket, priority) in enumerate(zip(line, flags)):
        if priority:
            priority_behind -= 1
        elif _booked(ticket):
            # The first of equal keys, as list.index found it, in log time.
            ahead[ticket.number] = bisect_left(due, (ticket.due_at, ticket.queued_at))
        else:
            ahead[ticket.number] = index + priority_behind
    return ahead


def _place(service: str, ahead: int, mean_s: float, counters: int) -> dict[str, Any]:
    """One place: ``estimates.estimate_s`` with the mean and the open counters worked out
    once per line, in the minutes the view publishes."""
    estimate = None if counters == 0 else round((ahead + 1) * mean_s / counters / 60.0, 1)
    return {"service": service, "ahead": ahead, "estimate_min": estimate,
            "wait_min": wait_minutes(estimate)}


_TABLES: dict[tuple[str, float, int], list[dict[str, Any]]] = {}
"""Place entries by ``ahead`` for (service, mean, open counters): a call moves every place
of a long line one up, twice per call (the finish before it changes the mean), and building
a thousand entries each time was most of a call's cost. A memo of a pure function: the
entries are shared read-only, as every view entry is."""
_TABLES_KEPT = 16


def _table(service: str, mean_s: float, counters: int, size: int) -> list[dict[str, Any]]:
    """``_place`` for ``ahead`` 0 .. at least ``size`` - 1, built once per mean and counters."""
    key = (service, mean_s, counters)
    table = _TABLES.get(key)
    if table is None:
        if len(_TABLES) >= _TABLES_KEPT:
            _TABLES.clear()
        table = _TABLES[key] = []
    table.extend(_place(service, ahead, mean_s, counters)
                 for ahead in range(len(table), size))
    return table


def line_places(state: HallState, service: str) -> dict[str, dict[str, Any]]:
    """The places of one service's waiting line, in line order: ticket →
    ``{service, ahead, estimate_min, wait_min}``."""
    line = [state.tickets[n] for n in state.queues.get(service, ())]
    if not line:
        return {}
    aheads = _ahead_counts(state, line)
    table = _table(service, mean_service_s(state, service),
                   len(open_counters(state, service)), max(aheads.values()) + 1)
    return {t.number: table[aheads[t.number]] for t in line}


def all_places(state: HallState) -> dict[str, dict[str, Any]]:
    """The view's ``places``: every waiting ticket of every configured service → its place
    (ticket numbers are unique within a hall day, across services)."""
    found: dict[str, dict[str, Any]] = {}
    for service in state.hall.services:
        found.update(line_places(state, service.id))
    return found


def _joins_last(state: HallState, ticket: Ticket) -> bool:
    """Whether ``ticket``, appended to its line, is called after every ticket in it and is
    counted by none of them (see ``appended_place``)."""
    if _booked(ticket):
        return False
    if not is_priority(state, ticket):
        return True
    service = state.hall.service(ticket.service)
    return bool(service and service.priority) and rank_of(state, ticket) == last_rank(state)


def appended_place(state: HallState, number: str) -> dict[str, Any] | None:
    """The place of ticket ``number`` just appended to the end of its line, when that moved
    no other place of the line; None when it may have (rebuild the line's places then).

    An ordinary ticket (neither priority nor an on-time appointment) at the end has every
    ticket of its line ahead of it and no priority ticket behind it. It moves no other place:
    the ordinary tickets count those before them and the priority tickets behind them, the
    priority tickets count priority tickets only, the appointments appointments only; the
    open counters and the mean service time that the estimates use did not change. So does
    a ticket of a priority service (all its tickets are priority: none counts priority
    tickets behind it) that ranks last (no category): the newest of the last rank.
    """
    ticket = state.tickets.get(number)
    if ticket is None or not _joins_last(state, ticket):
        return None
    line = state.queues.get(ticket.service, ())
    if not line or line[-1] != number:
        return None
    counters = len(open_counters(state, ticket.service))
    return _place(ticket.service, len(line) - 1, mean_service_s(state, ticket.service), counters)
