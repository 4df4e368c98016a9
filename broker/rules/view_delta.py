"""The public view after one event, rebuilding only what the event touched.

Rebuilding the whole view after every event costs a command work in proportion to
the hall (every counter's and every service's entry) and to its lines; a group
commit of many commands multiplies that. ``advance`` knows from each event type
which view keys, counters and services it can change, rebuilds just those entries
(``view.counter_entry``, ``view.service_entry``, the places of the lines touched) and
keeps the rest of the previous view. Keys not named in ``TOUCHED_KEYS`` (day, clock,
recent calls, ticketing, and any key added later) are rebuilt after every event, so a
new key is never stale.
A property test holds ``advance`` equal to ``public_view`` on random days.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterable

from broker.rules.model import Event, HallState
from broker.rules.places import appended_place, line_places
from broker.rules.view import (VIEW_KEYS, alert_entry, case_entry, counter_entry,
                               service_entry, view_changes)

ALL = None
"""Every configured counter or service."""

Touch = tuple[frozenset[str], "set[int] | None", "set[str] | None"]
"""(view keys among ``TOUCHED_KEYS``, counters, services) an event may change."""

TOUCHED_KEYS = frozenset({"counters", "services", "places", "health", "alerts", "cases"})
"""The keys rebuilt only when an event touches them."""

PATCHES: dict[str, tuple[str, Callable[[HallState, str], Any]]] = {
    "alerts": ("key", alert_entry),
    "cases": ("case", case_entry),
}
"""Keyed maps patched, not rebuilt, after an event that names the one entry it changed (the
data field), and their diff names that entry alone: sticky alerts and open cases pile up
by the thousand, and neither the map nor its diff may cost a walk over them."""

_LINE = frozenset({"services", "places"})
"""A service's entry and the places of its line (an event that moves a line moves both)."""
_BOTH = frozenset({"counters"}) | _LINE
_NONE: frozenset[str] = frozenset()


def _at_counter(*services: str) -> Callable[[Event], Touch]:
    """Touches the event's counter and the services named by these data fields."""
    return lambda e: (_BOTH if services else frozenset({"counters"}), {int(e.data["counter"])},
                      {str(e.data[f]) for f in services})


TOUCHES: dict[str, Callable[[Event], Touch]] = {
    "ticket_issued": lambda e: (_LINE, set(), {str(e.data["service"])}),
    "called": _at_counter("service"),
    "recalled": _at_counter(),
    "started": _at_counter(),
    "finished": _at_counter("service"),
    "no_show": _at_counter(),
    "revived": lambda e: (_LINE, set(), {str(e.data["service"])}),
    "held": _at_counter(),
    "transferred": _at_counter("from_service", "to_service"),
    "requeued": _at_counter("service"),
    "counter_changed": lambda e: (_BOTH, {int(e.data["counter"])}, ALL),
    "rated": _at_counter(),
    "appointment_booked": lambda e: (_NONE, set(), set()),
    "alert_raised": lambda e: (frozenset({"alerts"}), set(), set()),
    "alert_cleared": lambda e: (frozenset({"alerts"}), set(), set()),
    "alert_acknowledged": lambda e: (frozenset({"alerts"}), set(), set()),
    # 差评 cases live through days: rebuilding their list after every event grew with them.
    "case_opened": lambda e: (frozenset({"cases"}), set(), set()),
    "case_noted": lambda e: (frozenset({"cases"}), set(), set()),
    "case_overdue": lambda e: (frozenset({"cases"}), set(), set()),
    "case_closed": lambda e: (frozenset({"cases"}), set(), set()),
    "node_health": lambda e: (frozenset({"health"}), set(), set()),
    "node_forgotten": lambda e: (frozenset({"health"}), set(), set()),
    "ticketing_changed": lambda e: (_NONE, set(), set()),
}
"""What each event type may change. Types not listed (a new day, a rollback, types added
later) rebuild the whole view."""


def _holding(view: dict[str, Any], ticket: object) -> set[int]:
    """Counters whose view holds ``ticket``: a held ticket called back, or a 过号 revived,
    leaves them."""
    return {int(n) for n, c in view["counters"].items()
            if ticket in c["held"] or any(x["ticket"] == ticket for x in c["no_shows"])}


def _rating_over(view: dict[str, Any], clock: float) -> set[int]:
    """Counters with a rating window the clock has passed (the view leaves it out then)."""
    return {int(n) for n, c in view["counters"].items()
            if any(w["until"] is not None and w["until"] < clock for w in c["rating"])}


def _rebuilt(part: dict[str, Any], keys: Iterable[str], entry: Callable[[str], Any],
             changes: dict[str, Any], name: str) -> dict[str, Any]:
    """``part`` with the entries ``keys`` rebuilt; the differing ones go to ``changes``
    (an entry built as None is gone: removed here, named as None in ``changes``)."""
    inner = {}
    for key in keys:
        fresh = entry(key)
        if part.get(key) != fresh:
            inner[key] = fresh
    if not inner:
        return part
    changes[name] = inner
    return _merged(part, inner)


def _service_ids(state: HallState, services: set[str] | None) -> list[str]:
    """The configured services among ``services`` (every one for ``ALL``), in a fixed order."""
    return ([s.id for s in state.hall.services] if services is ALL else
            [s for s in sorted(services) if state.hall.service(s) is not None])


def _places(before: dict[str, Any], state: HallState, event: Event,
            services: set[str] | None) -> dict[str, Any]:
    """The places ``event`` moved in the lines of ``services``: a moved or new place, or None
    for a ticket that left them (only a ticket the event names leaves a line)."""
    if event.type == "ticket_issued":
        number = str(event.data["ticket"])
        place = appended_place(state, number)
        if place is not None:  # the common case: one place added, no line walked
            return {number: place}
    moved: dict[str, Any] = {}
    for service in _service_ids(state, services):
        moved.update((n, p) for n, p in line_places(state, service).items()
                     if before.get(n) != p)
    named = event.data.get("ticket")
    if isinstance(named, str) and named in before and named not in moved:
        ticket = state.tickets.get(named)
        if ticket is None or ticket.status != "waiting":
            moved[named] = None
    return moved


def _merged(part: dict[str, Any], moved: dict[str, Any]) -> dict[str, Any]:
    """A keyed map with the moved entries in and the ``None`` ones out (a copy)."""
    merged = dict(part)
    for key, entry in moved.items():
        if entry is None:
            merged.pop(key, None)
        else:
            merged[key] = entry
    return merged


def advance(before: dict[str, Any], state: HallState,
            event: Event) -> tuple[dict[str, Any], dict[str, Any]]:
    """The view of ``state`` (``event`` just folded in) from the view ``before`` it.

    Returns:
        The new view (``before`` is not changed) and the keys that changed, one level
        deep for objects: what ``view_changes(before, public_view(state))`` returns.
    """
    touch = TOUCHES.get(event.type)
    keys, counters, services = (TOUCHED_KEYS, ALL, ALL) if touch is None else touch(event)
    if counters is not None:
        # Whatever the event, a rating window the clock passed leaves its counter's view.
        counters = (counters | _rating_over(before, state.clock)
                    | _holding(before, event.data.get("ticket")))
        keys = keys | {"counters"} if counters else keys - {"counters"}
    if event.type == "counter_changed" and services is ALL:
        # A counter opening or pausing changes the open counters of its own services only.
        configured = state.hall.counter(int(event.data["counter"]))
        services = None if configured is None else set(configured.services)
    changes: dict[str, Any] = {}
    after = dict(before)
    for name, build in VIEW_KEYS.items():
        if name == "counters" and name in keys:
            wanted = ([str(c.number) for c in state.hall.counters] if counters is None else
                      [str(n) for n in sorted(counters) if state.hall.counter(n) is not None])
            after[name] = _rebuilt(before[name], wanted,
                                   lambda n: counter_entry(state, int(n)), changes, name)
        elif name == "services" and name in keys:
            after[name] = _rebuilt(before[name], _service_ids(state, services),
                                   lambda s: service_entry(state, s), changes, name)
        elif name == "places" and touch is not None and name in keys:
            moved = _places(before[name], state, event, services)
            if moved:
                changes[name] = moved
                after[name] = _merged(before[name], moved)
        elif name not in TOUCHED_KEYS or name in keys:
            patch = PATCHES.get(name) if touch is not None else None
            if patch is not None and patch[0] in event.data:
                after[name] = _rebuilt(before[name], [str(event.data[patch[0]])],
                                       partial(patch[1], state), changes, name)
            else:
                after[name] = build(state)
                changes.update(view_changes({name: before.get(name)}, {name: after[name]}))
    return after, changes


def places_once(changes: list[tuple[Event, dict[str, Any]]]
                ) -> list[tuple[Event, dict[str, Any]]]:
    """A command's events with their view changes, the places it moved carried once, by the
    last event that moved any (earlier ones then carry no ``places``).

    A call finishes the counter's visitor first (the mean moves every estimate), then takes
    a ticket off the line (every place behind it moves): each event carried the whole line's
    places, twice the bytes for every mirror to decode. Folded in order, later entries win
    and a ``None`` (gone) stays, so a node that applies the command's events in seq order
    ends with the same view; a snapshot is only ever taken between commands.
    """
    moving = [index for index, (_, changed) in enumerate(changes) if "places" in changed]
    if len(moving) < 2:
        return changes
    folded: dict[str, Any] = {}
    settled = list(changes)
    for index in moving:
        event, changed = changes[index]
        folded.update(changed["places"])
        settled[index] = (event, {k: v for k, v in changed.items() if k != "places"})
    settled[moving[-1]][1]["places"] = folded
    return settled
