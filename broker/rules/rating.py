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


LEVELS: dict[int, tuple[str, ...]] = {
    5: ("very_dissatisfied", "dissatisfied", "basically_satisfied", "satisfied",
        "very_satisfied"),
    3: ("dissatisfied", "basically_satisfied", "satisfied"),
}
"""The level codes of each scale, score 1 (worst) first: the national 好差评 labels
非常不满意 / 不满意 / 基本满意 / 满意 / 非常满意 (3 levels: 不满意 / 基本满意 / 满意)."""

REASONS: tuple[str, ...] = ("attitude", "efficiency", "competence", "environment", "other")
"""Why a rating is negative (GB/T 39734 categories 态度 / 效率 / 业务 / 环境 / 其他)."""


def level_code(score: int, scale: int) -> str:
    """The level code of ``score`` on a ``scale`` of 3 or 5 (``satisfied`` …)."""
    return LEVELS[scale][score - 1]


def is_negative(score: int, scale: int) -> bool:
    """A 差评: 不满意 or worse (score 1 on the 3-level scale, 1–2 on the 5-level one)."""
    return score <= (1 if scale == 3 else 2)
