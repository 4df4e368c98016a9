"""Alerts for staff, derived from the state: too many waiting, too long a wait, nobody serving."""

from __future__ import annotations

from dataclasses import dataclass

from broker.rules.estimates import open_counters
from broker.rules.model import Event, HallState

MESSAGES: dict[str, tuple[str, str]] = {
    "queue_length": ("{service} 等候 {value:.0f} 人，请增开窗口",
                     "{service}: {value:.0f} waiting - please open more counters"),
    "longest_wait": ("{service} 最长等候 {value:.0f} 分钟",
                     "{service}: longest wait {value:.0f} min"),
    "unserved": ("{service} 有人等候但无窗口受理",
                 "{service}: visitors waiting but no open counter serves it"),
    "node_warning": ("{service}设备提醒", "device warning"),
    "node_fault": ("{service}设备故障", "device fault"),
    "negative_rating": ("{counter} 号窗口收到差评",
                        "Counter {counter} received a negative rating"),
}


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
    for service in state.hall.services:
        queue = state.queues.get(service.id, [])
        if not queue:
            continue
        if len(queue) > _limit(state, f"queue_length:{service.id}", policies.queue_alert_waiting):
            found[f"queue_length:{service.id}"] = Wanted(
                f"queue_length:{service.id}", "queue_length", service.id,
                float(len(queue)), float(policies.queue_alert_waiting))
        longest_min = max(0.0, now - min(state.tickets[n].queued_at for n in queue)) / 60.0
        if longest_min > _limit(state, f"longest_wait:{service.id}", policies.wait_alert_minutes):
            found[f"longest_wait:{service.id}"] = Wanted(
                f"longest_wait:{service.id}", "longest_wait", service.id,
                round(longest_min, 1), policies.wait_alert_minutes)
        if not open_counters(state, service.id):
            found[f"unserved:{service.id}"] = Wanted(
                f"unserved:{service.id}", "unserved", service.id, float(len(queue)), 0.0)
    return found


def alert_events(state: HallState, now: float) -> list[Event]:
    """Raise the alerts that newly hold and clear those that stopped holding.

    A longest-wait alert stays raised while its value grows; it is not raised
    again every minute, which would drown the one that matters.
    """
    current = wanted(state, now)
    events: list[Event] = []
    for key, alert in current.items():
        if key not in state.alerts:
            events.append(Event("alert_raised", now, raised_data(state, alert.kind, alert.service,
                                                                   alert.value, alert.threshold,
                                                                   key=key)))
    for key in state.alerts:
        # Node alerts are raised and cleared by the nodes' own health reports.
        if key not in current and not key.startswith("node:"):
            events.append(Event("alert_cleared", now, {"key": key}))
    return events


def raised_data(state: HallState, kind: str, service: str | None, value: float, threshold: float,
                *, key: str, counter: int | None = None, sticky: bool = True) -> dict[str, object]:
    """The data of an ``alert_raised`` event, with its bilingual message."""
    configured = state.hall.service(service) if service else None
    zh_name = configured.name.zh if configured else (service or "")
    en_name = configured.name.en if configured else (service or "")
    zh, en = MESSAGES[kind]
    return {
        "key": key, "kind": kind, "service": service, "counter": counter,
        "value": value, "threshold": threshold, "sticky": sticky,
        "message": {"zh": zh.format(service=zh_name, value=value, counter=counter),
                    "en": en.format(service=en_name, value=value, counter=counter)},
    }
