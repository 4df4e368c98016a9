"""Clocks for the broker: the wall clock, and an accelerated one for demos."""

from __future__ import annotations

import time
from typing import Callable

from config.hours import parse_local
from config.schema import Hall


def wall_clock() -> float:
    """The real time, epoch seconds."""
    return time.time()


def accelerated_clock(start: str, speed: float, hall: Hall) -> Callable[[], float]:
    """A clock that starts at hall-local ``start`` and runs ``speed`` times faster.

    It advances with the monotonic clock, so a demo's day never jumps with NTP.
    """
    origin = parse_local(hall, start)
    began = time.monotonic()

    def now() -> float:
        return origin + (time.monotonic() - began) * speed

    return now
