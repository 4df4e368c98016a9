"""Estimated waits from rolling service times and the counters open for a service."""

from __future__ import annotations

import math

from broker.rules.model import HallState

PRIOR_WEIGHT = 3
"""The configured prior counts as this many measured services."""


def mean_service_s(state: HallState, service: str) -> float:
    """Rolling mean service time of a service, seeded by its configured prior."""
    configured = state.hall.service(service)
    prior = (configured.expected_minutes if configured else 8.0) * 60.0
    samples = state.service_times.get(service, ())
    return (prior * PRIOR_WEIGHT + sum(samples)) / (PRIOR_WEIGHT + len(samples))


def open_counters(state: HallState, service: str) -> list[int]:
    """Counters that are open (not paused or closed) and serve this service."""
    return [
        counter.number
        for counter in state.hall.counters
        if service in counter.services and state.counter(counter.number).mode == "open"
    ]


def estimate_s(state: HallState, service: str, ahead: int) -> float | None:
    """Expected wait of a ticket with ``ahead`` tickets before it, or None if nobody serves it.

    Each open counter for the service takes one ticket per mean service time, so
    a ticket waits for its share of the tickets ahead plus the visitor being
    served now; the estimate is deliberately simple so staff can explain it.
    """
    counters = len(open_counters(state, service))
    if counters == 0:
        return None
    return (ahead + 1) * mean_service_s(state, service) / counters


def wait_minutes(estimate_min: float | None) -> int | None:
    """The estimate as the whole minutes people are told: rounded up, at least 1.

    One rule for the wall display, the kiosk and the ticket. Up, because a visitor
    told "8 minutes" for an 8.3-minute estimate is kept waiting past the promise;
    from the published one-decimal ``estimate_min``, so 8.0 stays 8 next to it.
    None (nobody serves the line) stays None.
    """
    return None if estimate_min is None else max(1, math.ceil(estimate_min))
