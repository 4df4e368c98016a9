"""Choosing a TRANSFER target with one button (pure, injected clock).

With one configured target a press transfers at once. With several, the first
press shows the first target, each further press within ``settle_s`` moves to
the next one (wrapping), and once ``settle_s`` passes without a press the
transfer goes to the target shown. Every press visibly changes something
(the target on the text output) and only the settled choice is sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TransferChoice:
    """The TRANSFER button's selection state.

    Args:
        services: the target service ids, in cycling order (at least one).
        settle_s: the quiet time after which the shown target is sent.
    """

    services: tuple[str, ...]
    settle_s: float = 2.0
    _index: int | None = field(default=None, init=False)
    _last_press: float = field(default=float("-inf"), init=False)

    def __post_init__(self) -> None:
        if not self.services:
            raise ValueError("a TRANSFER button needs at least one target service")

    def press(self, now: float) -> str | None:
        """A (filtered) press of TRANSFER.

        Args:
            now: monotonic seconds.

        Returns:
            The service to transfer to right now (one target), else None.
        """
        if len(self.services) == 1:
            return self.services[0]
        self._index = 0 if self._index is None else (self._index + 1) % len(self.services)
        self._last_press = now
        return None

    @property
    def shown(self) -> str | None:
        """The target currently shown while choosing, or None."""
        return None if self._index is None else self.services[self._index]

    def due(self, now: float) -> str | None:
        """The settled choice, once; None while choosing or idle.

        Args:
            now: monotonic seconds.

        Returns:
            The service to transfer to now, or None.
        """
        if self._index is not None and now - self._last_press >= self.settle_s:
            chosen = self.services[self._index]
            self._index = None
            return chosen
        return None

    def cancel(self) -> None:
        """Drop an unsettled choice (e.g. another button was pressed)."""
        self._index = None
