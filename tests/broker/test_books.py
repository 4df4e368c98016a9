"""The state's books keep their indexes equal to the scans they replace: the alerts that can
clear, the open cases by due time, each counter's 过号 tickets; copies stay independent and a
checkpoint's pickle brings the index back."""

from __future__ import annotations

import pickle
from dataclasses import replace
from typing import Any, TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from broker.rules.books import AlertBook, CaseBook, can_clear
from broker.rules.model import Alert, Case, HallState, Ticket
from broker.rules.tickets import TicketBook


def assert_indexes_match(state: HallState) -> None:
    """Every index of ``state``'s books equals a scan of the book (used on random days too)."""
    assert state.alerts.clearable() == [k for k, a in state.alerts.items() if can_clear(k, a)]
    for now in sorted({c.due_at for c in state.cases.values()} | {0.0, float("inf")}):
        scanned = sorted((c for c in state.cases.values() if c.state == "open" and now >= c.due_at),
                         key=lambda c: c.id)
        assert state.cases.open_due_by(now) == scanned
    for counter in {t.counter for t in state.tickets.values() if t.counter is not None}:
        scanned = sorted((t.no_show_at, t.number) for t in state.tickets.values()
                         if t.status == "no_show" and t.counter == counter
                         and t.no_show_at is not None)
        assert list(state.tickets.no_shows(counter)) == scanned


Book = TypeVar("Book", AlertBook, CaseBook, TicketBook)


def play(book: Book, steps: list[tuple[str, str, Any, int]]) -> list[tuple[Book, dict[str, Any]]]:
    """Apply ``(op, key, item, number)`` steps to ``book`` and to a plain dict beside it.

    ``set`` writes ``item`` under ``key``, ``del`` removes ``key`` if present, ``copy`` adds
    a copy of the current pair, and anything else switches to pair ``number`` modulo their
    count: so copies are written after they were taken. Returns every (book, dict) pair.
    """
    pairs: list[tuple[Book, dict[str, Any]]] = [(book, {})]
    current = 0
    for op, key, item, number in steps:
        book, plain = pairs[current]
        if op == "set":
            book[key], plain[key] = item, item
        elif op == "del" and key in plain:
            del book[key], plain[key]
        elif op == "copy":
            pairs.append((book.copy(), dict(plain)))  # type: ignore[arg-type]
        else:
            current = number % len(pairs)
    return pairs


keys = st.sampled_from(["queue_length:general", "longest_wait:general", "node:kiosk-1/printer",
                        "clock:jump", "rating:1", "rating:2", "time_limit:1:A001"])
alert_steps = st.lists(st.tuples(st.sampled_from(["set", "del", "copy", "switch"]), keys,
                                 st.booleans(), st.integers(0, 20)), max_size=120)


@settings(max_examples=80, deadline=None)
@given(alert_steps)
def test_the_clearable_alerts_are_the_scan_in_the_books_order(
        script: list[tuple[str, str, bool, int]]) -> None:
    # Raised again under its key with the other stickiness: its place stays its first.
    steps = [(op, key, Alert(key=key, kind="queue_length", service=None, value=float(number),
                             threshold=1.0, sticky=sticky), number)
             for op, key, sticky, number in script]
    for book, plain in play(AlertBook(), steps):
        assert book == plain and list(book) == list(plain)
        assert book.clearable() == [k for k, a in plain.items() if can_clear(k, a)]
        assert pickle.loads(pickle.dumps(book)).clearable() == book.clearable()


def test_an_alert_raised_again_clearable_keeps_its_first_place() -> None:
    def alert(key: str, sticky: bool) -> Alert:
        return Alert(key=key, kind="queue_length", service=None, value=1.0, threshold=1.0,
                     sticky=sticky)

    book = AlertBook({"rating:1": alert("rating:1", True)})
    book["queue_length:general"] = alert("queue_length:general", False)
    book["rating:1"] = alert("rating:1", False)
    assert book.clearable() == ["rating:1", "queue_length:general"] == list(book)


def _case(number: int, due: float, state: str = "open") -> Case:
    return Case(id=f"20261125-A{number:03d}", counter=1, staff=None, ticket=f"A{number:03d}",
                service="general", level=1, scale=3, reason=None, rated_at=0.0, due_at=due,
                state=state)  # type: ignore[arg-type]


case_steps = st.lists(st.tuples(st.sampled_from(["set", "del", "copy", "switch"]),
                                st.integers(0, 15), st.sampled_from([1.0, 2.0, 3.0, 5.0]),
                                st.sampled_from(["open", "overdue", "closed"])), max_size=120)


@settings(max_examples=80, deadline=None)
@given(case_steps, st.sampled_from([0.0, 1.0, 2.5, 3.0, 9.0]))
def test_the_open_cases_due_are_the_scan(script: list[tuple[str, int, float, str]],
                                         now: float) -> None:
    steps = [(op, found.id, found, number) for op, number, due, state in script
             for found in [_case(number, due, state)]]
    for book, plain in play(CaseBook(), steps):
        scanned = sorted((c for c in plain.values() if c.state == "open" and now >= c.due_at),
                         key=lambda c: c.id)
        assert book == plain and book.open_due_by(now) == scanned
        assert pickle.loads(pickle.dumps(book)).open_due_by(now) == scanned


def _ticket(number: int, status: str, counter: int | None, at: float | None) -> Ticket:
    return Ticket(number=f"A{number:03d}", service="general", kind="walkin", issued_at=0.0,
                  queued_at=0.0, status=status, counter=counter,  # type: ignore[arg-type]
                  no_show_at=at)


ticket_steps = st.lists(st.tuples(
    st.sampled_from(["set", "set", "del", "copy", "switch"]), st.integers(0, 30),
    st.sampled_from(["waiting", "no_show", "serving", "finished"]),
    st.sampled_from([None, 1, 2]), st.sampled_from([None, 1.0, 2.0, 7.0])), max_size=150)


@settings(max_examples=80, deadline=None)
@given(ticket_steps)
def test_each_counters_no_shows_are_the_scan(
        script: list[tuple[str, int, str, int | None, float | None]]) -> None:
    steps = [(op, found.number, found, number) for op, number, status, counter, at in script
             for found in [_ticket(number, status, counter, at)]]
    for book, plain in play(TicketBook(), steps):
        assert book == plain
        for kept in (book, pickle.loads(pickle.dumps(book))):
            assert_indexes_match(HallState(hall=None, tickets=kept))  # type: ignore[arg-type]


def test_a_book_pickled_before_the_index_loads_with_it() -> None:
    # Checkpoints written before ``TicketBook.__reduce__`` hold the book's slots.
    missed = _ticket(1, "no_show", 2, 5.0)
    legacy = TicketBook.__new__(TicketBook)
    legacy.__setstate__((None, {"_base": {"A001": replace(missed, status="waiting")},
                                "_own": {"A001": missed}, "_added": 0}))
    assert dict(legacy) == {"A001": missed}
    assert legacy.no_shows(2) == ((5.0, "A001"),)
