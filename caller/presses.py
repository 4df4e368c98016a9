"""Turn raw button edges into presses: one physical press is one action.

gpiozero's mock pins ignore ``bounce_time`` and lgpio has been seen to
deliver phantom edges, so duplicate suppression lives here, as pure code
over an injected clock (seconds, monotonic). Nothing here touches GPIO,
threads or the network; the caller wires edges in and actions out.

Rules, per button:

* A button without a long-press action fires on the press edge.
* A button with one fires its own action on release if it was held less than
  ``hold_s``, and the long action as soon as ``tick`` sees it held ``hold_s``
  (never both for one press).
* After an action is taken, further presses of that button within ``guard_s``
  are ignored (contact bounce, phantom edges, an impatient double press).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass
class _ButtonState:
    down_at: float | None = None
    long_fired: bool = False
    last_taken: float = float("-inf")
    ignoring: bool = False
    """This press began inside the guard time: its release must not fire either."""


@dataclass
class PressFilter:
    """Duplicate-press suppression and long presses for a set of buttons.

    Not thread-safe on its own: call it from one thread or under one lock.

    Args:
        long_actions: button name to the action of a long press of it.
        guard_s: the quiet time after a taken press.
        hold_s: how long a press must be held to count as long.
    """

    long_actions: dict[str, str] = field(default_factory=dict)
    guard_s: float = 0.4
    hold_s: float = 1.5
    _buttons: dict[str, _ButtonState] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if self.guard_s < 0 or self.hold_s <= 0:
            raise ValueError(f"guard_s must be >= 0 and hold_s > 0, got {self.guard_s}, "
                             f"{self.hold_s}")

    def _state(self, button: str) -> _ButtonState:
        return self._buttons.setdefault(button, _ButtonState())

    def pressed(self, button: str, now: float) -> str | None:
        """A press (falling) edge of ``button``.

        Args:
            button: the button's name (its short action).
            now: monotonic seconds.

        Returns:
            The action to take now, or None (suppressed, or decided on release).
        """
        state = self._state(button)
        if state.down_at is not None:
            # A second press edge without a release between: a phantom edge.
            return None
        state.down_at = now
        state.long_fired = False
        state.ignoring = now - state.last_taken < self.guard_s
        if state.ignoring:
            logger.debug("press of %s suppressed (%.3f s after the last one)", button,
                         now - state.last_taken)
            return None
        if button in self.long_actions:
            return None
        state.last_taken = now
        return button

    def released(self, button: str, now: float) -> str | None:
        """A release (rising) edge of ``button``.

        Args:
            button: the button's name.
            now: monotonic seconds.

        Returns:
            The short action of a button with a long-press action released
            before ``hold_s``, else None.
        """
        state = self._state(button)
        down_at = state.down_at
        state.down_at = None
        if down_at is None or state.ignoring or button not in self.long_actions:
            return None
        if state.long_fired:
            return None
        if now - down_at >= self.hold_s:
            # Held long enough but no tick saw it: the long action, on release.
            state.long_fired = True
            state.last_taken = now
            return self.long_actions[button]
        state.last_taken = now
        return button

    def tick(self, now: float) -> list[str]:
        """Fire long presses whose hold time has passed.

        Args:
            now: monotonic seconds.

        Returns:
            The long actions due now (usually none).
        """
        due: list[str] = []
        for button, state in self._buttons.items():
            if (state.down_at is not None and not state.ignoring and not state.long_fired
                    and button in self.long_actions and now - state.down_at >= self.hold_s):
                state.long_fired = True
                state.last_taken = now
                due.append(self.long_actions[button])
        return due

    def reset(self, button: str) -> None:
        """Forget a button's state (e.g. after its pin was re-opened).

        Args:
            button: the button's name.
        """
        self._buttons.pop(button, None)
