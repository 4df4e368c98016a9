"""What the clerk's LEDs show, worked out from the mirrored counter and the link.

``plan_leds`` is pure; ``LedDriver`` applies a plan to gpiozero output devices,
touching a device only when its part of the plan changed (``blink()`` restarts
gpiozero's blink thread, so re-applying it every loop would never blink).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal, Protocol

from caller.mirrored import counter_view, waiting_for
from protocol.view import PublicView

logger = logging.getLogger(__name__)

SLOW_BLINK_S = 1.0
"""Paused: one second on, one off."""
FAST_BLINK_S = 0.15
"""Broker unreachable or a refused press: fast, hard to miss."""

Status = Literal["off", "on", "slow_blink"]
Fault = Literal["off", "fast_blink", "slow_blink"]


@dataclass(frozen=True)
class LedPlan:
    """The state of each clerk LED.

    Attributes:
        status: green: ``on`` while serving, ``slow_blink`` while paused.
        fault: red: ``fast_blink`` while unreachable or just after a refusal; ``slow_blink``
            (attention) while an alert concerning this counter (a negative rating, a
            transaction past its time limit) waits for a manager's acknowledgement.
        waiting: tickets are waiting for this counter's services.
    """

    status: Status = "off"
    fault: Fault = "off"
    waiting: bool = False


def plan_leds(view: PublicView | None, counter: int, *, link_ok: bool, fault_until: float,
              now: float) -> LedPlan:
    """The LED plan for a counter.

    Args:
        view: the mirrored public view, typed.
        counter: this node's counter number.
        link_ok: the mirror is current (broker reachable).
        fault_until: monotonic time until which a refusal is shown.
        now: monotonic seconds.

    Returns:
        The plan. While the link is lost the status LED is off, because the
        mirrored state may be stale, and the red LED blinks fast.
    """
    if not link_ok:
        return LedPlan(status="off", fault="fast_blink", waiting=False)
    entry = counter_view(view, counter)
    status: Status = "off"
    if entry is not None and entry.mode == "paused":
        status = "slow_blink"
    elif entry is not None and entry.serving:
        status = "on"
    fault: Fault = "off"
    if now < fault_until:
        fault = "fast_blink"
    elif attention(view, counter):
        fault = "slow_blink"
    return LedPlan(status=status, fault=fault, waiting=waiting_for(view, counter) > 0)


def attention(view: PublicView | None, counter: int) -> bool:
    """Whether an alert concerning ``counter`` is raised and not yet acknowledged."""
    return view is not None and any(alert.counter == counter and not alert.acknowledged
                                    for alert in view.alerts.values())


class QueueWatch:
    """Notice when a counter's queue goes from empty to non-empty (the buzzer's cue).

    The first observation only sets the baseline: a node starting up next to a
    full queue does not beep.
    """

    def __init__(self) -> None:
        self._last: int | None = None

    def update(self, waiting: int) -> bool:
        """Record the waiting count.

        Args:
            waiting: tickets waiting now.

        Returns:
            True if the queue just went from empty to non-empty.
        """
        rose = self._last == 0 and waiting > 0
        self._last = waiting
        return rose


class OutputDevice(Protocol):
    """What ``LedDriver`` needs of a gpiozero LED/Buzzer."""

    def on(self) -> None: ...  # noqa: D102
    def off(self) -> None: ...  # noqa: D102
    def blink(self, on_time: float = ..., off_time: float = ..., n: int | None = ...,  # noqa: D102
              background: bool = ...) -> None: ...


class LedDriver:
    """Apply LED plans to output devices; any device may be absent (None).

    Args:
        status: the green LED.
        fault: the red LED.
        waiting: the "tickets waiting" LED.
    """

    def __init__(self, status: OutputDevice | None = None, fault: OutputDevice | None = None,
                 waiting: OutputDevice | None = None) -> None:
        self._devices = {"status": status, "fault": fault, "waiting": waiting}
        self._applied: dict[str, str] = {}

    def apply(self, plan: LedPlan) -> None:
        """Bring the devices to ``plan``, touching only what changed.

        Args:
            plan: the wanted state.
        """
        wanted = {"status": plan.status, "fault": plan.fault,
                  "waiting": "on" if plan.waiting else "off"}
        for name, mode in wanted.items():
            device = self._devices[name]
            if device is None or self._applied.get(name) == mode:
                continue
            self._applied[name] = mode
            if mode == "on":
                device.on()
            elif mode == "off":
                device.off()
            elif mode == "slow_blink":
                device.blink(on_time=SLOW_BLINK_S, off_time=SLOW_BLINK_S, background=True)
            else:
                device.blink(on_time=FAST_BLINK_S, off_time=FAST_BLINK_S, background=True)
            logger.debug("LED %s -> %s", name, mode)
