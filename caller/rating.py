"""The visitor's rating pad (好差评评价器): which press counts, and as what score.

The broker decides whom the pad rates and publishes it: ``view.counters[n].rating``,
read with ``CounterView.rating_target`` at the broker's time (``NodeRuntime.broker_now``,
from its heartbeats — never the Pi's own clock, which may be hours off). The pad is
lit while there is a target, and takes one press per ticket; the broker stays the
authority (it refuses ``rating_closed`` and ``already_rated``).

Scores on the wire: 1..scale, higher is better. Buttons are numbered from the
best level, so button ``i`` means score ``scale - i``.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from caller.mirrored import counter_view
from config.base import Bilingual
from config.rating import REASONS, is_negative
from protocol.view import PublicView

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
    """

    def __init__(self, counter: int, scale: int) -> None:
        if scale not in LEVELS:
            raise ValueError(f"rating scale must be 3 or 5, got {scale}")
        self.counter = counter
        self.scale = scale
        self._lock = threading.Lock()
        # Insertion-ordered and bounded: the oldest ticket is forgotten first.
        self._rated: collections.OrderedDict[str, None] = collections.OrderedDict()

    def target(self, view: PublicView | None, broker_now: float | None) -> str | None:
        """The ticket the broker says this pad rates at ``broker_now`` (rated or not), or None.

        Args:
            view: the mirrored public view, typed.
            broker_now: the broker's clock estimate.
        """
        entry = counter_view(view, self.counter)
        return None if entry is None else entry.rating_target(broker_now)

    def open_ticket(self, view: PublicView | None, broker_now: float | None) -> str | None:
        """The ticket the pad is open for now (not yet rated from here), or None.

        Args:
            view: the mirrored public view, typed.
            broker_now: the broker's clock estimate.

        Returns:
            The ticket number while the pad should be lit.
        """
        ticket = self.target(view, broker_now)
        with self._lock:
            return None if ticket is None or ticket in self._rated else ticket

    def press(self, button: int, view: PublicView | None,
              broker_now: float | None) -> RatingDecision:
        """Decide about a press of the ``button``-th button (0 = best).

        A press that is sent marks its ticket as rated at once, so a second
        press while the first is in flight is refused here; ``failed`` undoes
        that when the first one never reached the broker.

        Args:
            button: index of the button, best first.
            view: the mirrored public view, typed.
            broker_now: the broker's clock estimate.

        Returns:
            The decision.
        """
        score = score_for(button, self.scale)
        ticket = self.target(view, broker_now)
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


@dataclass(frozen=True)
class PendingRating:
    """A negative level waiting for its reason: the decided rating and until when."""

    ticket: str | None
    score: int
    button: int
    deadline: float


class ReasonPrompt:
    """After a negative level on a pad with a button per reason (5 levels, 5 reasons), the
    next press names the reason (button ``i`` = ``config.rating.REASONS[i]``); without one
    within ``seconds`` the rating goes without a reason. Thread-safe.

    Args:
        scale: the hall's rating scale; a 3-level pad never asks (3 buttons, 5 reasons).
        seconds: how long the pad waits for the reason.
    """

    def __init__(self, scale: int, seconds: float) -> None:
        self.asks = scale >= len(REASONS)
        self.seconds = seconds
        self._pending: PendingRating | None = None
        self._lock = threading.Lock()

    def wants_reason(self, score: int, scale: int) -> bool:
        """Whether a rating of ``score`` should wait for a reason on this pad."""
        return self.asks and is_negative(score, scale)

    def start(self, ticket: str | None, score: int, button: int, now: float) -> None:
        """Hold a negative rating until its reason is pressed (or the time is up)."""
        with self._lock:
            self._pending = PendingRating(ticket, score, button, now + self.seconds)

    def take(self, now: float) -> PendingRating | None:
        """The rating waiting for a reason, if still waiting at ``now`` (then no longer)."""
        with self._lock:
            pending, self._pending = self._pending, None
        return pending if pending is not None and now < pending.deadline else None

    def expired(self, now: float) -> PendingRating | None:
        """The rating whose time for a reason ran out at ``now`` (then no longer held)."""
        with self._lock:
            pending = self._pending
            if pending is None or now < pending.deadline:
                return None
            self._pending = None
        return pending

    @property
    def waiting(self) -> bool:
        """A negative level is waiting for its reason (the pad shows the reasons)."""
        with self._lock:
            return self._pending is not None


def reason_for(button: int) -> str | None:
    """The reason code of the ``button``-th button (0 = first) in reason mode."""
    return REASONS[button] if 0 <= button < len(REASONS) else None
