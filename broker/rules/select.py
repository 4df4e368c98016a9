"""Which waiting ticket a counter calls next: the hall's calling order in one place.

Order, for the services a counter serves (its configured order breaks ties):
1. priority tickets (优先), by category rank then the longest wait
   (``broker.rules.priority``). At a priority window (``priority_window = true``)
   they all go first, always. Elsewhere priority and normal tickets share the
   line: once the counter has called ``priority_burst`` priority tickets in a row
   while a normal ticket has waited longer than ``starvation_minutes``, the
   longest-waiting such normal ticket goes first;
2. appointments whose slot has begun;
3. the head of the first service line that has someone waiting (transfers and
   revived no-shows were placed in that line when they re-entered it);
4. appointments checked in early, rather than leave the clerk idle.
"""

from __future__ import annotations

from broker.rules.model import HallState, Ticket
from broker.rules.priority import priority_order


def is_priority(state: HallState, ticket: Ticket) -> bool:
    """A priority ticket: issued as priority, or of a service that is priority itself."""
    service = state.hall.service(ticket.service)
    return ticket.kind == "priority" or bool(service and service.priority)


def priority_flags(state: HallState, tickets: list[Ticket]) -> list[bool]:
    """``is_priority`` of each ticket, the service looked up once per service: lines of
    thousands are walked on every call."""
    of_service: dict[str, bool] = {}
    flags = []
    for ticket in tickets:
        service = of_service.get(ticket.service)
        if service is None:
            found = state.hall.service(ticket.service)
            service = of_service[ticket.service] = bool(found and found.priority)
        flags.append(service or ticket.kind == "priority")
    return flags


def _not_yet_due(ticket: Ticket, now: float) -> bool:
    return ticket.kind == "appointment" and ticket.due_at is not None and ticket.due_at > now


def waiting_for(state: HallState, counter: int) -> list[Ticket]:
    """Waiting tickets a counter may call, in its service order then line order."""
    configured = state.hall.counter(counter)
    if configured is None:
        return []
    return [
        state.tickets[number]
        for service in configured.services
        for number in state.queues.get(service, ())
    ]


def choose(state: HallState, counter: int, now: float) -> Ticket | None:
    """The ticket ``counter`` should call at ``now``, or None when nobody waits for it."""
    candidates = waiting_for(state, counter)
    if not candidates:
        return None
    policies = state.hall.policies
    flags = priority_flags(state, candidates)
    normal = [t for t, p in zip(candidates, flags) if not p and not _not_yet_due(t, now)]
    priority = priority_order(state, [t for t, p in zip(candidates, flags) if p])
    configured = state.hall.counter(counter)
    if priority and configured is not None and configured.priority_window:
        return priority[0]
    if priority:
        starving = [t for t in normal if now - t.queued_at > policies.starvation_minutes * 60.0]
        streak = state.counter(counter).priority_streak
        if starving and streak >= policies.priority_burst:
            return min(starving, key=lambda t: t.queued_at)
        return priority[0]
    due = [t for t in normal if t.kind == "appointment"]
    if due:
        return due[0]
    if normal:
        return normal[0]
    early = sorted(candidates, key=lambda t: t.due_at or 0.0)
    return early[0]
