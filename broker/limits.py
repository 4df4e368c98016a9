"""Per-node request rate limit: a token bucket per node, on the monotonic clock.

A kiosk pressed by a child, a caller with a stuck button or a hostile device
on the hall's Wi-Fi must not starve the other nodes: past its rate a node gets
``rate_limited`` replies (cheap, nothing journaled) until its bucket refills.
"""

from __future__ import annotations

import collections
import time
from typing import Callable

MAX_TRACKED_NODES = 4096
"""Buckets kept at most; in insecure mode node names are whatever clients claim,
so the table is bounded and the least recently seen node is forgotten first."""


class RateLimiter:
    """``allow(node)`` is True while ``node`` stays within ``rate`` requests per second.

    Args:
        rate: tokens added per second (the sustained request rate).
        burst: bucket size (requests accepted at once after a quiet spell).
        monotonic: the clock; wall-clock jumps (NTP on a Pi without RTC) must not
            refill or drain buckets, hence monotonic.
    """

    def __init__(self, rate: float, burst: int,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be > 0 and burst >= 1, got {rate} and {burst}")
        self.rate = rate
        self.burst = float(burst)
        self._monotonic = monotonic
        self._buckets: collections.OrderedDict[str, tuple[float, float]] = \
            collections.OrderedDict()

    def allow(self, node: str) -> bool:
        """Take one token from ``node``'s bucket; False when it is empty."""
        now = self._monotonic()
        tokens, last = self._buckets.pop(node, (self.burst, now))
        tokens = min(self.burst, tokens + max(0.0, now - last) * self.rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[node] = (tokens, now)
        while len(self._buckets) > MAX_TRACKED_NODES:
            self._buckets.popitem(last=False)
        return allowed
