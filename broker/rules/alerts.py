"""Alerts for staff, derived from the state: too many waiting, too long a wait, nobody serving."""

from __future__ import annotations

from dataclasses import dataclass

from broker.rules.model import Event, HallState

ALERT_CODES: dict[str, tuple[str, ...]] = {
    "queue_length": ("service", "waiting", "threshold"),
    "longest_wait": ("service", "minutes", "threshold"),
    "unserved": ("service", "waiting"),
    "negative_rating": ("counter", "ticket", "score", "case", "reason"),
    "node_warning": ("node", "component", "detail"),
    "node_fault": ("node", "component", "detail"),
    "clock_jump": ("minutes",),
    "time_limit": ("counter", "ticket", "service", "limit"),
}
"""Every alert code (an alert's ``kind``) and the parameters its ``alert_raised`` carries.
``detail`` is the node's own short report (English, for logs), possibly empty; ``minutes``
(of ``clock_jump``) is how far the wall clock is from the broker's time, signed (+ ahead)."""

CLOCK_ALERT_KEY = "clock:jump"
"""The key of the alert raised while the wall clock is away from the broker's time."""


@dataclass(frozen=True)
class Wanted:
    """An alert condition that holds right now."""

    key: str
    kind: str
    service: str
    value: float
    threshold: float


CLEAR_RATIO = 0.8
"""A raised alert clears only once its value falls below this share of the threshold,
so a queue hovering around the threshold does not raise the alert again and again."""


def _limit(state: HallState, key: str, threshold: float) -> float:
    return threshold * CLEAR_RATIO if key in state.alerts else threshold


def wanted(state: HallState, now: float) -> dict[str, Wanted]:
    """Every alert condition that holds at ``now``, keyed by a stable alert key."""
    policies = state.hall.policies
    found: dict[str, Wanted] = {}
    served: set[str] | None = None  # services with an open counter: one walk, when needed
    for service in state.hall.services:
        queue = state.queues.get(service.id, [])
        if not queue:
            continue
        if len(queue) > _limit(state, f"queue_length:{service.id}", policies.queue_alert_waiting):
            found[f"queue_length:{service.id}"] = Wanted(
                f"queue_length:{service.id}", "queue_length", service.id,
                float(len(queue)), float(policies.queue_alert_waiting))
        longest_min = max(0.0, now - state.oldest[service.id][0]) / 60.0
        if longest_min > _limit(state, f"longest_wait:{service.id}", policies.wait_alert_minutes):
            found[f"longest_wait:{service.id}"] = Wanted(
                f"longest_wait:{service.id}", "longest_wait", service.id,
                round(longest_min, 1), policies.wait_alert_minutes)
        if served is None:
            served = _served(state)
        if service.id not in served:
            found[f"unserved:{service.id}"] = Wanted(
                f"unserved:{service.id}", "unserved", service.id, float(len(queue)), 0.0)
    return found


def _served(state: HallState) -> set[str]:
    """The services some open counter serves (``estimates.open_counters`` is not empty):
    one walk over the counters, not one per service (a scaled hall has 200 and 10)."""
    return {service for counter in state.hall.counters
            if state.counter(counter.number).mode == "open" for service in counter.services}


def alert_events(state: HallState, now: float) -> list[Event]:
    """Raise the alerts that newly hold and clear those that stopped holding.

    A longest-wait alert stays raised while its value grows; it is not raised
    again every minute, which would drown the one that matters.
    """
    current = wanted(state, now)
    events: list[Event] = []
    for key, alert in current.items():
        if key not in state.alerts:
            events.append(Event("alert_raised", now, raised_data(
                alert.kind, alert.service, alert.value, alert.threshold, key=key)))
    # Node and clock alerts are raised and cleared by their own reports; sticky ones (a
    # negative rating, a time limit) stay until acknowledged. The state's AlertBook keeps
    # the rest as alerts come and go, so sticky ones nobody acknowledged are not walked.
    for key in state.alerts.clearable():
        if key not in current:
            events.append(Event("alert_cleared", now, {"key": key}))
    return events


def time_limit_events(state: HallState, now: float) -> list[Event]:
    """Raise the counter's sticky ``time_limit`` alert for a transaction past its service's
    ``time_limit_minutes`` (once per ticket: ``time_limit_exceeded`` marks the ticket)."""
    events: list[Event] = []
    # Asked after every command: only services with a limit, only counters serving someone.
    limits = {s.id: s.time_limit_minutes for s in state.hall.services
              if s.time_limit_minutes is not None}
    if not limits:
        return events
    serving = [c for c in state.counters.values() if c.serving]
    for counter in sorted(serving, key=lambda c: c.number):
        ticket = state.tickets.get(counter.serving) if counter.serving else None
        if ticket is None or ticket.over_limit:
            continue
        limit = limits.get(ticket.service)
        began = ticket.started_at if ticket.started_at is not None else ticket.called_at
        if limit is None or began is None or now - began <= limit * 60.0:
            continue
        staff = state.signed_in.get(counter.number)
        events.append(Event("time_limit_exceeded", now, {
            "ticket": ticket.number, "counter": counter.number, "service": ticket.service,
            "limit_minutes": limit, "staff": staff}))
        events.append(Event("alert_raised", now, raised_data(
            "time_limit", ticket.service, round((now - began) / 60.0, 1), limit,
            key=f"time_limit:{counter.number}:{ticket.number}", counter=counter.number,
            sticky=True, ticket=ticket.number)))
    return events


def alert_params(kind: str, service: str | None, value: float, threshold: float,
                 **extra: object) -> dict[str, object]:
    """The parameters an alert of ``kind`` carries, from its measured value and threshold.

    Also rebuilds them for alerts journaled before alerts carried parameters.
    """
    if kind == "queue_length":
        return {"service": service, "waiting": round(value), "threshold": round(threshold)}
    if kind == "longest_wait":
        return {"service": service, "minutes": round(value), "threshold": threshold}
    if kind == "unserved":
        return {"service": service, "waiting": round(value)}
    if kind == "negative_rating":
        return {"counter": extra.get("counter"), "ticket": extra.get("ticket"),
                "score": round(value), "case": extra.get("case"),
                "reason": extra.get("reason")}
    if kind == "clock_jump":
        return {"minutes": round(value)}
    if kind == "time_limit":
        return {"counter": extra.get("counter"), "ticket": extra.get("ticket"),
                "service": service, "limit": threshold}
    return {"node": extra.get("node", ""), "component": extra.get("component", ""),
            "detail": extra.get("detail", "")}


def raised_data(kind: str, service: str | None, value: float, threshold: float, *, key: str,
                counter: int | None = None, sticky: bool = False, source: str = "rules",
                **extra: object) -> dict[str, object]:
    """The data of an ``alert_raised`` event: the alert's code and parameters, no words.

    Args:
        kind: the alert code (a key of ``ALERT_CODES``).
        service: the service concerned, if any.
        value: the measured value (waiting count, minutes, score, clock skew in minutes).
        threshold: the configured limit it crossed.
        key: the stable key it is cleared by.
        counter: the counter concerned, if any.
        sticky: True for alerts that stay until acknowledged (a negative rating, a time
            limit); False for condition alerts that clear when their condition ends.
        source: what raised it (``rules``, ``rating``, ``broker`` or a node's name).
        extra: further parameters (``ticket``, ``node``, ``component``, ``detail``).
    """
    return {
        "key": key, "kind": kind, "code": kind, "service": service, "counter": counter,
        "value": value, "threshold": threshold, "sticky": sticky, "source": source,
        "params": alert_params(kind, service, value, threshold, counter=counter, **extra),
    }
