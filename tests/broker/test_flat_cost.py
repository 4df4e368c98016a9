"""A command costs the same on a loaded day as on an empty one: deciding it, folding its
events and advancing the view walk none of the tickets, alerts and cases the day left behind.

Counted, not timed: every ticket, alert and case any code iterates over is counted while a
fixed script of staff and kiosk commands runs, once on a fresh day and once on a day holding
thousands of finished and 过号 tickets, sticky 差评 alerts nobody acknowledged and open cases.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from broker.rules import Command, HallState, execute, initial_state, public_view
from broker.rules.books import IndexedBook
from broker.rules.model import Alert, Case, Event, Ticket
from broker.rules.tickets import TicketBook
from broker.rules import view_delta
from broker.rules.view import KEYED_MAPS
from broker.rules.view_delta import advance
from tests.conftest import at, small_hall

LOAD = 3000
"""Tickets (and as many sticky alerts and open cases) the loaded day holds."""

SCRIPT: list[tuple[str, dict[str, Any]]] = [
    ("issue_ticket", {"service": "general"}), ("issue_ticket", {"service": "reimburse"}),
    ("issue_ticket", {"service": "general"}), ("call_next", {"counter": 1}),
    ("start", {"counter": 1}), ("call_next", {"counter": 1}), ("no_show", {"counter": 1}),
    ("call_next", {"counter": 2}), ("recall", {"counter": 2}), ("hold", {"counter": 2}),
    ("revive", {"ticket": "A002"}), ("call_next", {"counter": 1}),
    ("transfer", {"counter": 1, "service": "reimburse"}), ("call_next", {"counter": 2}),
    ("finish", {"counter": 2}), ("rate", {"counter": 2, "score": 3}),
    ("pause", {"counter": 3}), ("resume", {"counter": 3}),
    ("issue_ticket", {"service": "general"}), ("call_next", {"counter": 3}), ("tick", {}),
]
"""Kiosk and staff commands, every one accepted, none raising an alert."""

QUALITY_SCRIPT: list[tuple[str, dict[str, Any]]] = [
    ("issue_ticket", {"service": "general"}), ("call_next", {"counter": 1}),
    ("finish", {"counter": 1}), ("rate", {"counter": 1, "score": 1}),
    ("case_note", {"case": "20261125-A001", "note": "回访"}),
    ("acknowledge_alert", {"key": "rating:20261125-A001"}),
    ("case_close", {"case": "20261125-A001", "outcome": "fixed"}),
]
"""A 差评 and the manager's answer: a case opened, noted and closed, its sticky alert raised
and cleared (the events patch one entry of the ``alerts`` and ``cases`` maps)."""


def _load(state: HallState, count: int) -> None:
    """Fill today with ``count`` served and missed visitors, and their unanswered 差评."""
    now = state.clock
    for i in range(count):
        number = f"Z{i:04d}"
        missed = i % 10 == 0
        state.tickets[number] = Ticket(
            number=number, service="general", kind="walkin", issued_at=now, queued_at=now,
            status="no_show" if missed else "finished", counter=1 + i % 3,
            no_show_at=now if missed else None, finished_at=None if missed else now)
        case = f"20261125-{number}"
        state.alerts[f"rating:{case}"] = Alert(
            key=f"rating:{case}", kind="negative_rating", service="general", value=1.0,
            threshold=1.0, sticky=True, source="rating", counter=1)
        state.cases[case] = Case(id=case, counter=1, staff=None, ticket=number,
                                 service="general", level=1, scale=3, reason=None,
                                 rated_at=now, due_at=now + 7 * 86400.0)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count every item yielded by iterating a ticket, alert or case book, and every entry
    of a keyed map of the view that a whole-map diff compares."""
    seen = [0]
    whole_diff = view_delta.view_changes

    def diffed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
        seen[0] += sum(len(v) for k, v in after.items() if k in KEYED_MAPS and v)
        return whole_diff(before, after)

    monkeypatch.setattr(view_delta, "view_changes", diffed)

    def counted(method: Callable[..., Any]) -> Callable[..., Iterator[Any]]:
        def walk(self: Any) -> Iterator[Any]:
            for item in method(self):
                seen[0] += 1
                yield item
        return walk

    for cls, names in ((TicketBook, ("__iter__",)),
                       (IndexedBook, ("__iter__", "values", "items"))):
        for name in names:
            monkeypatch.setattr(cls, name, counted(getattr(cls, name)))
    return seen


def _walked(load: int, monkeypatch: pytest.MonkeyPatch,
            script: list[tuple[str, dict[str, Any]]] = SCRIPT) -> list[int]:
    """Items walked by each command of ``script`` on a day holding ``load`` tickets."""
    state = execute(initial_state(small_hall()), Command("tick", {}), at("09:00")).state
    _load(state, load)
    view = public_view(state)
    with monkeypatch.context() as patch:
        seen = _counting(patch)
        walked = []

        def observe(after: HallState, event: Event) -> None:
            nonlocal view
            view, _ = advance(view, after, event)

        for minute, (op, args) in enumerate(script):
            before = seen[0]
            state = execute(state, Command(op, args, "node"), at("09:00") + 60.0 * (minute + 1),
                            observe).state
            walked.append(seen[0] - before)
    assert view == public_view(state)
    return walked


def test_no_command_walks_what_the_day_left_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = _walked(0, monkeypatch)
    loaded = _walked(LOAD, monkeypatch)
    assert loaded == fresh, list(zip((op for op, _ in SCRIPT), fresh, loaded, strict=True))


def test_an_alert_or_case_event_walks_no_more_with_thousands_open(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each alert and case event patches its one entry of the view's map and names it alone
    in the diff: nothing walks the day's thousands of open cases and sticky alerts."""
    few = _walked(3, monkeypatch, QUALITY_SCRIPT)
    loaded = _walked(LOAD, monkeypatch, QUALITY_SCRIPT)
    assert loaded == few, list(zip((op for op, _ in QUALITY_SCRIPT), few, loaded, strict=True))


def _line(state: HallState, count: int) -> None:
    """Put ``count`` walk-ins in the general line (numbers no command will issue)."""
    now = state.clock
    for i in range(count):
        number = f"W{i:04d}"
        state.tickets[number] = Ticket(number=number, service="general", kind="walkin",
                                       issued_at=now, queued_at=now)
        state.queues["general"].append(number)
    if count:
        state.oldest["general"] = (now, "W0000")


def _looked_up(waiting: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Tickets looked up or walked by each ordinary walk-in issued into a line of
    ``waiting`` (and by a priority ticket issued after them, which moves the line)."""
    state = execute(initial_state(small_hall()), Command("tick", {}), at("09:00")).state
    _line(state, waiting)
    view = public_view(state)
    with monkeypatch.context() as patch:
        seen = _counting(patch)
        for name in ("__getitem__", "get"):
            lookup = getattr(TicketBook, name)
            patch.setattr(TicketBook, name, _counted_call(lookup, seen))

        def observe(after: HallState, event: Event) -> None:
            nonlocal view
            view, _ = advance(view, after, event)

        looked = []
        # First a tick: the long line's queue alert is raised then, not by the first ticket.
        for minute, (op, args) in enumerate([("tick", {})] + [("issue_ticket", ORDINARY)] * 3
                                            + [("issue_ticket", PRIORITY)]):
            before = seen[0]
            state = execute(state, Command(op, args, "kiosk-1"),
                            at("09:00") + 60.0 * (minute + 1), observe).state
            looked.append(seen[0] - before)
    assert view == public_view(state) and len(view["places"]) == waiting + 4
    return looked[1:]


ORDINARY = {"service": "general"}
PRIORITY = {"service": "general", "kind": "priority"}


def _counted_call(method: Callable[..., Any], seen: list[int]) -> Callable[..., Any]:
    def call(self: Any, *args: Any) -> Any:
        seen[0] += 1
        return method(self, *args)
    return call


def test_an_ordinary_ticket_walks_no_more_of_a_line_of_3000_than_of_3(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Its place is the end of the line: counted without looking at the tickets before it
    (the places of the whole line were rebuilt on every issue before)."""
    short = _looked_up(3, monkeypatch)
    long = _looked_up(LOAD, monkeypatch)
    assert long[:3] == short[:3], (short, long)
    # The counting sees a walk: a priority ticket moves every walk-in's place.
    assert short[3] < LOAD < long[3]
