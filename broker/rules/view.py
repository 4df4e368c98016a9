"""The public view: what nodes may know of the state (no personal data exists to leak).

Snapshots carry the whole view; each published event carries only the parts it
changed, merged one level deep by the node's mirror (``protocol.mirror``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from broker.rules.estimates import estimate_s, mean_service_s, open_counters, wait_minutes
from broker.rules.model import Alert, HallState
from broker.rules.notices import ticketing_view
from broker.rules.rating import rating_windows
from broker.rules.staff_state import notice_at

NEXT_SHOWN = 5
NO_SHOWS_SHOWN = 5
"""过号 tickets listed per counter (the newest), for the staff console's revive list."""


def _no_shows(state: HallState) -> dict[int, list[dict[str, Any]]]:
    """Per counter, its 过号 tickets still within the revive grace, newest first."""
    grace_s = state.hall.policies.no_show_grace_minutes * 60.0
    found: dict[int, list[tuple[float, str]]] = {}
    for ticket in state.tickets.values():
        if (ticket.status == "no_show" and ticket.no_show_at is not None
                and ticket.counter is not None and ticket.no_show_at + grace_s >= state.clock):
            found.setdefault(ticket.counter, []).append((ticket.no_show_at, ticket.number))
    return {counter: [{"ticket": number, "until": at + grace_s}
                      for at, number in sorted(pairs, reverse=True)[:NO_SHOWS_SHOWN]]
            for counter, pairs in found.items()}


def _counters(state: HallState) -> dict[str, Any]:
    """One entry per configured counter, keyed by its number as a string (JSON keys)."""
    counters: dict[str, Any] = {}
    no_shows = _no_shows(state)
    for configured in state.hall.counters:
        current = state.counter(configured.number)
        serving = state.tickets.get(current.serving) if current.serving else None
        counters[str(configured.number)] = {
            "number": configured.number,
            "mode": current.mode,
            "serving": serving.number if serving else None,
            "service": serving.service if serving else None,
            "called_at": serving.called_at if serving else None,
            "recalls": serving.recalls if serving else 0,
            "held": list(current.held),
            "last_finished": current.last_finished,
            "last_finished_at": current.last_finished_at,
            "services": list(configured.services),
            "rating": [asdict(w) for w in rating_windows(state, configured.number)],
            "category": serving.category if serving else None,
            "no_shows": no_shows.get(configured.number, []),
            # The 工号 only: never the name, never a hash.
            "staff": state.signed_in.get(configured.number),
        }
    return counters


def _services(state: HallState) -> dict[str, Any]:
    """One entry per configured service: its line and the wait for a ticket issued now."""
    services: dict[str, Any] = {}
    for service in state.hall.services:
        queue = state.queues.get(service.id, [])
        longest = min((state.tickets[n].queued_at for n in queue), default=None)
        estimate = estimate_s(state, service.id, len(queue))
        estimate_min = None if estimate is None else round(estimate / 60.0, 1)
        last = state.next_number.get(service.id, 0)
        services[service.id] = {
            "id": service.id,
            "prefix": service.prefix,
            "waiting": len(queue),
            "next": queue[:NEXT_SHOWN],
            "longest_since": longest,
            "mean_service_min": round(mean_service_s(state, service.id) / 60.0, 1),
            "estimate_min": estimate_min,
            "wait_min": wait_minutes(estimate_min),
            "open_counters": open_counters(state, service.id),
            "last_issued": f"{service.prefix}{last:03d}" if last else None,
        }
    return services


def public_view(state: HallState) -> dict[str, Any]:
    """The whole public view of ``state``: JSON-ready, deterministic."""
    return {
        "day": state.day,
        "clock": state.clock,
        "counters": _counters(state),
        "services": _services(state),
        "recent_calls": [
            {"ticket": c.ticket, "counter": c.counter, "at": c.at, "recall": c.recall}
            for c in reversed(state.recent_calls)
        ],
        "health": {
            key: {"node": h.node, "component": h.component, "status": h.status,
                  "message": h.message, "at": h.at}
            for key, h in sorted(state.health.items())
        },
        "alerts": [_alert(a) for a in state.alerts.values()],
        "cases": [asdict(c) for c in sorted(state.cases.values(), key=lambda c: c.id)],
        # As of the clock (the last event); ticketing_changed moves it when nothing else does.
        "ticketing": ticketing_view(state),
        "notice": notice_at(state),
    }


def _alert(alert: Alert) -> dict[str, Any]:
    """One alert as the view lists it: its code and facts, who raised and acknowledged it."""
    return {"key": alert.key, "kind": alert.kind, "service": alert.service,
            "value": alert.value, "threshold": alert.threshold, "code": alert.kind,
            "params": dict(alert.params), "raised_at": alert.raised_at, "source": alert.source,
            "sticky": alert.sticky, "counter": alert.counter,
            "acknowledged_by": alert.acknowledged_by, "acknowledged_at": alert.acknowledged_at,
            "note": alert.note}


def view_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The part of ``after`` that differs from ``before``, one level deep for objects."""
    changes: dict[str, Any] = {}
    for key, value in after.items():
        old = before.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            inner = {k: v for k, v in value.items() if old.get(k) != v}
            if inner:
                changes[key] = inner
        elif old != value:
            changes[key] = value
    return changes
