"""The public view: what nodes may know of the state (no personal data exists to leak).

Snapshots carry the whole view; each published event carries only the parts it
changed, merged one level deep by the node's mirror (``protocol.mirror``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Callable

from broker.rules.estimates import estimate_s, mean_service_s, open_counters, wait_minutes
from broker.rules.model import Alert, HallState
from broker.rules.notices import ticketing_view
from broker.rules.places import all_places
from broker.rules.rating import rating_windows
from broker.rules.staff_state import notice_at

KEYED_MAPS = frozenset({"counters", "services", "places", "health", "alerts", "cases"})
"""View keys that map an id to an entry: a diff names an entry gone from one as ``None``
(the merge rule of ``protocol.view``, which keeps the same set; a test holds them equal)."""

NEXT_SHOWN = 5
NO_SHOWS_SHOWN = 5
"""过号 tickets listed per counter (the newest), for the staff console's revive list."""


def no_shows_at(state: HallState, number: int) -> list[dict[str, Any]]:
    """A counter's 过号 tickets not revived today, newest first, each with the end of its
    revive grace (``until``). Not filtered by the clock: the view then changes only on the
    events of that counter, and the console greys out a ticket whose ``until`` passed."""
    grace_s = state.hall.policies.no_show_grace_minutes * 60.0
    # The book's index, not a scan of the day's tickets: oldest first, so the newest are last.
    newest = state.tickets.no_shows(number)[-NO_SHOWS_SHOWN:]
    return [{"ticket": n, "until": at + grace_s} for at, n in reversed(newest)]


def counter_entry(state: HallState, number: int) -> dict[str, Any]:
    """The view of one configured counter (``counters[n]``)."""
    configured = state.hall.counter(number)
    current = state.counter(number)
    serving = state.tickets.get(current.serving) if current.serving else None
    return {
        "number": number,
        "mode": current.mode,
        "serving": serving.number if serving else None,
        "service": serving.service if serving else None,
        "called_at": serving.called_at if serving else None,
        "started_at": serving.started_at if serving else None,
        "recalls": serving.recalls if serving else 0,
        "held": list(current.held),
        "last_finished": current.last_finished,
        "last_finished_at": current.last_finished_at,
        "services": list(configured.services) if configured else [],
        "rating": [asdict(w) for w in rating_windows(state, number)],
        "category": serving.category if serving else None,
        "no_shows": no_shows_at(state, number),
        # The 工号 only: never the name, never a hash.
        "staff": state.signed_in.get(number),
    }


def service_entry(state: HallState, service_id: str) -> dict[str, Any]:
    """The view of one configured service (``services[id]``): its line and the wait for a
    ticket issued now."""
    service = state.hall.service(service_id)
    prefix = service.prefix if service else ""
    queue = state.queues.get(service_id, [])
    oldest = state.oldest.get(service_id)
    longest = None if oldest is None else oldest[0]
    estimate = estimate_s(state, service_id, len(queue))
    estimate_min = None if estimate is None else round(estimate / 60.0, 1)
    last = state.next_number.get(service_id, 0)
    return {
        "id": service_id,
        "prefix": prefix,
        "waiting": len(queue),
        "next": queue[:NEXT_SHOWN],
        "longest_since": longest,
        "mean_service_min": round(mean_service_s(state, service_id) / 60.0, 1),
        "estimate_min": estimate_min,
        "wait_min": wait_minutes(estimate_min),
        "open_counters": open_counters(state, service_id),
        "last_issued": f"{prefix}{last:03d}" if last else None,
    }


def _counters(state: HallState) -> dict[str, Any]:
    """One entry per configured counter, keyed by its number as a string (JSON keys)."""
    return {str(c.number): counter_entry(state, c.number) for c in state.hall.counters}


def _services(state: HallState) -> dict[str, Any]:
    """One entry per configured service."""
    return {s.id: service_entry(state, s.id) for s in state.hall.services}


def _recent_calls(state: HallState) -> list[dict[str, Any]]:
    return [{"ticket": c.ticket, "counter": c.counter, "at": c.at, "recall": c.recall}
            for c in reversed(state.recent_calls)]


def _health(state: HallState) -> dict[str, Any]:
    return {key: {"node": h.node, "component": h.component, "status": h.status,
                  "message": h.message, "at": h.at}
            for key, h in sorted(state.health.items())}


def _alerts(state: HallState) -> dict[str, Any]:
    """Every raised alert by its key, in the order raised."""
    return {key: _alert(a) for key, a in state.alerts.items()}


def _cases(state: HallState) -> dict[str, Any]:
    """Every 差评 case by its id, in the order opened (the state's order: a case opened
    later is added at the end, so the broker's view after a patch keeps the same order as
    one rebuilt, without re-sorting thousands of open cases)."""
    return {case_id: asdict(c) for case_id, c in state.cases.items()}


def alert_entry(state: HallState, key: str) -> dict[str, Any] | None:
    """``alerts[key]``, or None when no such alert is raised (an entry depends on its alert
    alone, so an event that changed one alert rebuilds just that entry)."""
    alert = state.alerts.get(key)
    return None if alert is None else _alert(alert)


def case_entry(state: HallState, case: str) -> dict[str, Any] | None:
    """``cases[case]``, or None when the case is gone (closed ones leave at the day's end)."""
    found = state.cases.get(case)
    return None if found is None else asdict(found)


VIEW_KEYS: dict[str, Callable[[HallState], Any]] = {
    "day": lambda state: state.day,
    "clock": lambda state: state.clock,
    "counters": _counters,
    "services": _services,
    # Every waiting ticket's place, for the visitor's phone page (issue #15): a keyed map of
    # its own, so an event carries only the places it moved (issue #17).
    "places": all_places,
    "recent_calls": _recent_calls,
    "health": _health,
    "alerts": _alerts,
    "cases": _cases,
    # As of the clock (the last event); ticketing_changed moves it when nothing else does.
    "ticketing": ticketing_view,
    "notice": notice_at,
}
"""Every top-level key of the public view and how it is built from the state. A new key is
added here (and, when it need not be rebuilt after every event, to ``view_delta.TOUCHES``)."""


def public_view(state: HallState) -> dict[str, Any]:
    """The whole public view of ``state``: JSON-ready, deterministic."""
    return {key: build(state) for key, build in VIEW_KEYS.items()}


def _alert(alert: Alert) -> dict[str, Any]:
    """One alert as the view lists it: its code and facts, who raised and acknowledged it."""
    return {"key": alert.key, "kind": alert.kind, "service": alert.service,
            "value": alert.value, "threshold": alert.threshold, "code": alert.kind,
            "params": dict(alert.params), "raised_at": alert.raised_at, "source": alert.source,
            "sticky": alert.sticky, "counter": alert.counter,
            "acknowledged_by": alert.acknowledged_by, "acknowledged_at": alert.acknowledged_at,
            "note": alert.note}


def view_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The part of ``after`` that differs from ``before``, one level deep for objects; an
    entry gone from a keyed map (``KEYED_MAPS``) is there as ``None``."""
    changes: dict[str, Any] = {}
    for key, value in after.items():
        old = before.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            inner = {k: v for k, v in value.items() if old.get(k) != v}
            if key in KEYED_MAPS:
                inner.update((k, None) for k in old if k not in value)
            if inner:
                changes[key] = inner
        elif old != value:
            changes[key] = value
    return changes
