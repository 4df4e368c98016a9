"""The visitor's rating pad (好差评评价器): which press counts, and as what score.

The broker is the authority (it refuses ``rating_closed`` and
``already_rated``); this module only keeps the pad honest to the visitor:
its buttons are live (and lit) from the moment the counter serves a ticket
until ``rating_window_seconds`` after that ticket finished, once per ticket.
The window is measured on the broker's clock (``NodeRuntime.broker_now``,
from the broker's heartbeats), never on the Pi's own clock (a Pi without a
real-time clock may be hours off).

Scores on the wire: 1..scale, higher is better. Buttons are numbered from the
best level, so button ``i`` means score ``scale - i``.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from typing import Any

from config.base import Bilingual

LEVELS: dict[int, tuple[Bilingual, ...]] = {
    3: (Bilingual(zh="满意", en="Satisfied"),
        Bilingual(zh="基本满意", en="Fairly satisfied"),
        Bilingual(zh="不满意", en="Dissatisfied")),
    5: (Bilingual(zh="非常满意", en="Very satisfied"),
        Bilingual(zh="满意", en="Satisfied"),
        Bilingual(zh="基本满意", en="Fairly satisfied"),
        Bilingual(zh="不满意", en="Dissatisfied"),
        Bilingual(zh="非常不满意", en="Very dissatisfied")),
}
"""The levels of each national scale, best first (the order of the pad's buttons)."""

RATED_KEPT = 500
"""Tickets remembered as rated: far more than one counter serves in a day."""


def score_for(button: int, scale: int) -> int:
    """The wire score of the ``button``-th button (0 = best level).

    Args:
        button: index into the pad's buttons, best first.
        scale: 3 or 5.

    Returns:
        ``scale - button`` (5 = 非常满意 ... 1 = 非常不满意 on the 5 scale).

    Raises:
        ValueError: the scale or button index is out of range.
    """
    if scale not in LEVELS or not 0 <= button < scale:
        raise ValueError(f"button {button} does not exist on a {scale}-level pad")
    return scale - button


def ratable_ticket(view: dict[str, Any], counter: int, broker_now: float | None,
                   window_s: float) -> str | None:
    """The ticket a rating at ``counter`` would be recorded against, if any.

    Mirrors the broker's rule: the ticket being served, else the last finished
    one while ``broker_now - last_finished_at <= window_s``.

    Args:
        view: the mirrored public view.
        counter: the counter number.
        broker_now: the broker's clock (None: unknown, so no finished ticket counts).
        window_s: ``policies.rating_window_seconds``.

    Returns:
        The ticket number, or None when the pad should be dark.
    """
    entry = view.get("counters", {}).get(str(counter)) or {}
    serving = entry.get("serving")
    if serving:
        return str(serving)
    finished = entry.get("last_finished")
    finished_at = entry.get("last_finished_at")
    if finished and finished_at is not None and broker_now is not None:
        if broker_now - float(finished_at) <= window_s:
            return str(finished)
    return None


@dataclass(frozen=True)
class RatingDecision:
    """What the pad does with a press.

    Attributes:
        send: True if a ``rate`` command should go to the broker.
        ticket: the ticket it would count for (None if the pad is closed).
        score: the wire score.
        reason: why not, when ``send`` is False: ``closed`` or ``already_rated``.
    """

    send: bool
    ticket: str | None
    score: int
    reason: str = ""


class RatingGate:
    """One rating per ticket, only inside the window. Thread-safe.

    Args:
        counter: this pad's counter.
        scale: ``policies.rating_scale`` (3 or 5).
        window_s: ``policies.rating_window_seconds``.
    """

    def __init__(self, counter: int, scale: int, window_s: float) -> None:
        if scale not in LEVELS:
            raise ValueError(f"rating scale must be 3 or 5, got {scale}")
        self.counter = counter
        self.scale = scale
        self.window_s = window_s
        self._lock = threading.Lock()
        # Insertion-ordered and bounded: the oldest ticket is forgotten first.
        self._rated: collections.OrderedDict[str, None] = collections.OrderedDict()

    def open_ticket(self, view: dict[str, Any], broker_now: float | None) -> str | None:
        """The ticket the pad is open for now (not yet rated), or None.

        Args:
            view: the mirrored public view.
            broker_now: the broker's clock estimate.

        Returns:
            The ticket number while the pad should be lit.
        """
        ticket = ratable_ticket(view, self.counter, broker_now, self.window_s)
        with self._lock:
            return None if ticket is None or ticket in self._rated else ticket

    def press(self, button: int, view: dict[str, Any], broker_now: float | None) -> RatingDecision:
        """Decide about a press of the ``button``-th button (0 = best).

        A press that is sent marks its ticket as rated at once, so a second
        press while the first is in flight is refused here; ``failed`` undoes
        that when the first one never reached the broker.

        Args:
            button: index of the button, best first.
            view: the mirrored public view.
            broker_now: the broker's clock estimate.

        Returns:
            The decision.
        """
        score = score_for(button, self.scale)
        ticket = ratable_ticket(view, self.counter, broker_now, self.window_s)
        if ticket is None:
            return RatingDecision(False, None, score, "closed")
        with self._lock:
            if ticket in self._rated:
                return RatingDecision(False, ticket, score, "already_rated")
            self._rated[ticket] = None
            while len(self._rated) > RATED_KEPT:
                self._rated.popitem(last=False)
        return RatingDecision(True, ticket, score)

    def failed(self, ticket: str) -> None:
        """Re-open ``ticket`` after its rating did not reach the broker.

        Args:
            ticket: the ticket whose ``rate`` command was lost or refused for
                a reason other than ``already_rated``.
        """
        with self._lock:
            self._rated.pop(ticket, None)
