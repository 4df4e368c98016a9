"""The broker's clock as seen from the kiosk: a Pi without a real-time clock may be wrong."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class BrokerClock:
    """Broker time extrapolated from the last ``snapshot``'s ``now`` with a monotonic clock.

    Args:
        monotonic: the local monotonic clock.
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._base: tuple[float, float] | None = None

    def sync(self, broker_now: float) -> None:
        """Record the broker's ``now`` (epoch seconds) as of this moment."""
        with self._lock:
            self._base = (broker_now, self._monotonic())

    def now(self) -> float | None:
        """Broker time now, or None before the first sync."""
        with self._lock:
            if self._base is None:
                return None
            broker_now, at = self._base
        return broker_now + (self._monotonic() - at)
