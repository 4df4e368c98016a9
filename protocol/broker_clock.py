"""The broker's clock as a node sees it: broker timestamps run on with the local monotonic clock.

A Pi without a real-time clock may be hours off, so nodes never read their own
wall clock for anything the broker decides (rating windows, opening hours, the
time on the wall). Every heartbeat (one a second) and every snapshot carries
the broker's time; between them the node's monotonic clock carries it on.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable

WINDOW_S = 10.0
"""Samples younger than this are compared: the one that arrived fastest wins.

A message delayed in a queue says the broker's time was *earlier* than it is,
so the largest offset among recent samples is the best estimate; looking only
at recent ones lets the estimate follow a broker whose clock was set back or
drifts against this node's."""

_KEPT = 64  # heartbeats come once a second: the window never holds more


class BrokerClock:
    """An estimate of the broker's time. Thread-safe.

    Args:
        monotonic: the local monotonic clock.
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._samples: collections.deque[tuple[float, float]] = collections.deque(maxlen=_KEPT)

    def observe(self, broker_time: float) -> None:
        """Record that the broker's clock reads ``broker_time`` (epoch seconds) now."""
        local = self._monotonic()
        with self._lock:
            while self._samples and self._samples[0][0] < local - WINDOW_S:
                self._samples.popleft()
            self._samples.append((local, broker_time - local))

    def observe_reported(self, value: object) -> None:
        """``observe`` a time a reply reported; anything but a finite number is ignored
        (a snapshot from an older broker has no ``now``)."""
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            self.observe(float(value))

    def now(self) -> float | None:
        """The broker's time now (epoch seconds), or None before the first sample.

        With no recent sample (broker away) the last estimate runs on.
        """
        local = self._monotonic()
        with self._lock:
            if not self._samples:
                return None
            offset = max(offset for _, offset in self._samples)
        return local + offset
