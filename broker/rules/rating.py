"""Which ticket a counter's rating pad (好差评) rates, and until when: one rule, used by
the ``rate`` command and by the public view, so the pad and the broker never pick
different visitors.

The visitor at the pad is the one who just left: CALL NEXT finishes one visitor
and calls the next in the same press, so a ticket finished within
``rating_window_seconds`` and not yet rated comes first; after that window (or
once it is rated) the pad rates the visitor being served, while they are served.
"""

from __future__ import annotations

from dataclasses import dataclass

from broker.rules.model import HallState


@dataclass(frozen=True)
class RatingWindow:
    """A ticket the pad rates, and until when (epoch seconds; None: while it is served)."""

    ticket: str
    until: float | None


def _last_finished(state: HallState, counter: int) -> tuple[str, float] | None:
    """The ticket ``counter`` finished last and when its rating window ends."""
    current = state.counter(counter)
    if current.last_finished is None or current.last_finished_at is None:
        return None
    return current.last_finished, (current.last_finished_at
                                   + state.hall.policies.rating_window_seconds)


def _unrated(state: HallState, number: str) -> bool:
    ticket = state.tickets.get(number)
    return ticket is not None and ticket.rating is None


def recently_finished(state: HallState, counter: int, now: float) -> str | None:
    """The ticket ``counter`` finished within the rating window before ``now``, if any."""
    finished = _last_finished(state, counter)
    return finished[0] if finished is not None and now <= finished[1] else None


def rating_windows(state: HallState, counter: int) -> tuple[RatingWindow, ...]:
    """Whom the pad rates from the state's clock on, until the next event: windows in order.

    At a time ``t`` the pad rates the first window with ``until`` None or ``t <= until``;
    a window already over at the state's clock (its last event) is left out.
    """
    windows: list[RatingWindow] = []
    finished = _last_finished(state, counter)
    if finished is not None and finished[1] >= state.clock and _unrated(state, finished[0]):
        windows.append(RatingWindow(*finished))
    serving = state.counter(counter).serving
    if serving is not None and _unrated(state, serving):
        windows.append(RatingWindow(serving, None))
    return tuple(windows)


def rating_target(state: HallState, counter: int, now: float) -> str | None:
    """The ticket a ``rate`` without ``ticket`` records at ``now`` (not before the state's
    clock), or None: the pad is dark."""
    for window in rating_windows(state, counter):
        if window.until is None or now <= window.until:
            return window.ticket
    return None
