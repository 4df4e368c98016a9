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


def recently_finished(state: HallState, counter: int, now: float) -> str | None:
    """The ticket ``counter`` finished within the rating window before ``now``, if any."""
    current = state.counter(counter)
    if current.last_finished is None or current.last_finished_at is None:
        return None
    if now - current.last_finished_at > state.hall.policies.rating_window_seconds:
        return None
    return current.last_finished


def _unrated(state: HallState, number: str | None) -> bool:
    ticket = state.tickets.get(number) if number is not None else None
    return ticket is not None and ticket.rating is None


def rating_target(state: HallState, counter: int, now: float) -> str | None:
    """The ticket a ``rate`` without ``ticket`` records at ``now``, or None (pad dark)."""
    recent = recently_finished(state, counter, now)
    if _unrated(state, recent):
        return recent
    serving = state.counter(counter).serving
    return serving if _unrated(state, serving) else None


def rating_windows(state: HallState, counter: int) -> tuple[RatingWindow, ...]:
    """``rating_target`` for every future moment until the next event, as windows in order.

    At a time ``t`` the pad rates the first window with ``until`` None or ``t <= until``;
    windows already over at the state's clock (its last event) are left out.
    """
    current = state.counter(counter)
    windows: list[RatingWindow] = []
    finished, finished_at = current.last_finished, current.last_finished_at
    if finished is not None and finished_at is not None and _unrated(state, finished):
        until = finished_at + state.hall.policies.rating_window_seconds
        if until >= state.clock:
            windows.append(RatingWindow(finished, until))
    if current.serving is not None and _unrated(state, current.serving):
        windows.append(RatingWindow(current.serving, None))
    return tuple(windows)
