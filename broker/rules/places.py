"""Each waiting ticket's place: how many are ahead of it and its estimated wait.

Published in the view (``services[id].places``) so the visitor's phone page shows the
broker's own figures and no node re-derives the calling order. The count follows what a
ticket is told when it is issued (``issuing``): the tickets before it in its line, plus
priority tickets behind it (they are called first); a priority ticket counts the priority
tickets ranked before it; an appointment counts the appointments due no later than it.
"""

from __future__ import annotations

from typing import Any

from broker.rules.estimates import mean_service_s, open_counters, wait_minutes
from broker.rules.model import HallState, Ticket
from broker.rules.priority import priority_order
from broker.rules.select import is_priority


def _ahead_counts(state: HallState, line: list[Ticket]) -> dict[str, int]:
    """Ticket number → tickets ahead of it, for one service's line."""
    ranked = priority_order(state, (t for t in line if is_priority(state, t)))
    ahead = {t.number: i for i, t in enumerate(ranked)}
    due = sorted((t.due_at, t.queued_at) for t in line
                 if t.kind == "appointment" and t.due_at is not None)
    priority_behind = len(ranked)
    for index, ticket in enumerate(line):
        if ticket.number in ahead:
            priority_behind -= 1
        elif ticket.kind == "appointment" and ticket.due_at is not None:
            ahead[ticket.number] = due.index((ticket.due_at, ticket.queued_at))
        else:
            ahead[ticket.number] = index + priority_behind
    return ahead


def places(state: HallState, service: str) -> dict[str, dict[str, Any]]:
    """The ``places`` of a service's view entry: ticket → ``{ahead, estimate_min, wait_min}``."""
    line = [state.tickets[n] for n in state.queues.get(service, ())]
    if not line:
        return {}
    counters = len(open_counters(state, service))
    mean = mean_service_s(state, service)
    found: dict[str, dict[str, Any]] = {}
    for number, ahead in _ahead_counts(state, line).items():
        # estimates.estimate_s, with the mean and the counters worked out once per line.
        estimate = None if counters == 0 else round((ahead + 1) * mean / counters / 60.0, 1)
        found[number] = {"ahead": ahead, "estimate_min": estimate,
                         "wait_min": wait_minutes(estimate)}
    return found
