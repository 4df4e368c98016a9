"""What the caller reads of the mirrored public view: its own counter and its waiting line."""

from __future__ import annotations

from protocol.view import CounterView, PublicView


def counter_view(view: PublicView | None, counter: int) -> CounterView | None:
    """``counter``'s entry in the typed view, or None (no snapshot yet, or not configured)."""
    return None if view is None else view.counters.get(counter)


def waiting_for(view: PublicView | None, counter: int) -> int:
    """How many tickets wait for the services ``counter`` serves.

    Args:
        view: the mirrored public view, typed (None before the first snapshot).
        counter: the counter number.

    Returns:
        The sum of the waiting counts of its services (0 if unknown).
    """
    entry = counter_view(view, counter)
    if view is None or entry is None:
        return 0
    return sum(line.waiting for line in (view.services.get(sid) for sid in entry.services)
               if line is not None)
