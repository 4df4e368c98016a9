"""Buttons and LEDs over gpiozero, with the pin factory always passed in.

No code here sets ``Device.pin_factory``: production builds its factory from
the node's config (``make_pin_factory``: ``lgpio`` by default, an unknown or
unavailable one is a start-up error), tests pass a ``MockFactory``. Edge
callbacks run on the pin driver's thread and must return at once; this module
only forwards the edge, the caller node decides what a press means.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from foundation.errors import CallnextError

logger = logging.getLogger(__name__)

EdgeHandler = Callable[[str, bool], None]
"""``on_edge(name, pressed)``: pressed is True on the falling edge (button to GND)."""


class GpioError(CallnextError, RuntimeError):
    """The GPIO pins cannot be used."""


def make_pin_factory(name: str) -> Any:
    """Build the gpiozero pin factory the config names.

    Args:
        name: ``lgpio`` (Pi 5 and Bookworm), ``rpigpio`` (older Pis) or ``mock``
            (no hardware; demos and tests only, never implied).

    Returns:
        A gpiozero ``Factory``.

    Raises:
        GpioError: the name is unknown or its library is not installed or
            cannot open the GPIO chip.
    """
    try:
        if name == "lgpio":
            from gpiozero.pins.lgpio import LGPIOFactory

            return LGPIOFactory()
        if name == "rpigpio":
            from gpiozero.pins.rpigpio import RPiGPIOFactory

            return RPiGPIOFactory()
        if name == "mock":
            from gpiozero.pins.mock import MockFactory

            logger.warning("GPIO pin factory 'mock': no real buttons or LEDs are used")
            return MockFactory()
    except ImportError as err:
        raise GpioError(f"GPIO backend {name!r} is not installed ({err}); on a Pi install it "
                        f"with `/opt/callnext/venv/bin/pip install lgpio`") from err
    except Exception as err:  # the drivers raise their own OSError/PinFactoryFallback types
        raise GpioError(f"GPIO backend {name!r} cannot open the GPIO chip: {err}; the service "
                        f"user needs the 'gpio' group (/dev/gpiochip*)") from err
    raise GpioError(f"unknown GPIO backend {name!r}; use 'lgpio', 'rpigpio' or 'mock'")


class ButtonBank:
    """A set of named buttons wired GPIO→GND with the internal pull-ups.

    Args:
        pins: name to BCM pin.
        pin_factory: the gpiozero factory (required: never the global default).
        on_edge: called with ``(name, True)`` on press and ``(name, False)`` on release.
        debounce_s: the driver's debounce (lgpio: stable-for time; mock pins ignore it).

    Raises:
        GpioError: a pin cannot be opened (in use, or no access).
    """

    def __init__(self, pins: dict[str, int], pin_factory: Any, on_edge: EdgeHandler,
                 debounce_s: float | None = 0.02) -> None:
        from gpiozero import Button, GPIOZeroError

        self._buttons: dict[str, Any] = {}
        try:
            for name, pin in pins.items():
                button = Button(pin, pull_up=True, bounce_time=debounce_s or None,
                                pin_factory=pin_factory)
                button.when_pressed = _edge(on_edge, name, True)
                button.when_released = _edge(on_edge, name, False)
                self._buttons[name] = button
        except (GPIOZeroError, OSError) as err:
            self.close()
            raise GpioError(f"cannot open button {name!r} on GPIO{pin}: {err}") from err

    @property
    def names(self) -> tuple[str, ...]:
        """The buttons' names."""
        return tuple(self._buttons)

    def close(self) -> None:
        """Release every pin."""
        for button in self._buttons.values():
            button.close()
        self._buttons.clear()


def _edge(on_edge: EdgeHandler, name: str, pressed: bool) -> Callable[[], None]:
    def handler() -> None:
        try:
            on_edge(name, pressed)
        except Exception:  # an exception here would be lost in the driver's thread
            logger.exception("button %s handler failed", name)
    return handler


def open_led(pin: int | None, pin_factory: Any) -> Any:
    """A gpiozero ``LED`` on ``pin``, or None when not fitted.

    Args:
        pin: BCM pin or None.
        pin_factory: the gpiozero factory.

    Returns:
        The LED (off) or None.

    Raises:
        GpioError: the pin cannot be opened.
    """
    return _open_output("LED", "the LED", pin, pin_factory)


def open_buzzer(pin: int | None, pin_factory: Any) -> Any:
    """A gpiozero ``Buzzer`` (active buzzer) on ``pin``, or None when not fitted.

    Args:
        pin: BCM pin or None.
        pin_factory: the gpiozero factory.

    Returns:
        The buzzer (silent) or None.

    Raises:
        GpioError: the pin cannot be opened.
    """
    return _open_output("Buzzer", "the buzzer", pin, pin_factory)


def _open_output(kind: str, what: str, pin: int | None, pin_factory: Any) -> Any:
    if pin is None:
        return None
    import gpiozero

    try:
        return getattr(gpiozero, kind)(pin, pin_factory=pin_factory)
    except (gpiozero.GPIOZeroError, OSError) as err:
        raise GpioError(f"cannot open {what} on GPIO{pin}: {err}") from err
