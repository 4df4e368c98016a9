"""The order among priority tickets: category rank first, then the longest wait.

The standards name tiers (critical first; 80+ and pregnant women by the green channel;
the disabled and active-duty military; 70+ as circumstances allow). A hall ranks its
``[[priority_categories]]``; a priority ticket without a category (an older kiosk, a
ticket of a priority service issued as a walk-in, a transfer into such a service) ranks
after every category.
"""

from __future__ import annotations

from collections.abc import Iterable

from broker.rules.model import HallState, Ticket


def last_rank(state: HallState) -> int:
    """The rank of a priority ticket without a category: one past the hall's last rank, so
    no priority ticket ranks after it."""
    return max((c.rank for c in state.hall.priority_categories), default=0) + 1


def rank_of(state: HallState, ticket: Ticket) -> int:
    """A priority ticket's rank: its category's rank, or one past the last rank."""
    category = state.hall.priority_category(ticket.category) if ticket.category else None
    if category is not None:
        return category.rank
    return last_rank(state)


def priority_order(state: HallState, tickets: Iterable[Ticket]) -> list[Ticket]:
    """Priority tickets in calling order: rank, then the longest wait (earliest queued_at).

    The sort is stable, so equal rank and equal wait keep the counter's service order.
    """
    return sorted(tickets, key=lambda t: (rank_of(state, t), t.queued_at))
