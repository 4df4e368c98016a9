"""The copy-on-write book of tickets: a copy never sees the other's changes, in any order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from broker.rules.model import Ticket
from broker.rules.tickets import TicketBook


def ticket(number: str, at: float) -> Ticket:
    return Ticket(number=number, service="general", kind="walkin", issued_at=at, queued_at=at)


steps = st.lists(st.tuples(st.sampled_from(["set", "copy", "switch"]),
                           st.integers(0, 300), st.floats(0, 10)), max_size=400)


@settings(max_examples=60, deadline=None)
@given(steps)
def test_books_behave_as_independent_dicts(script: list[tuple[str, int, float]]) -> None:
    books, dicts = [TicketBook()], [{}]
    current = 0
    for op, number, at in script:
        if op == "set":
            key = f"A{number:03d}"
            books[current][key] = ticket(key, at)
            dicts[current][key] = ticket(key, at)
        elif op == "copy":
            books.append(books[current].copy())
            dicts.append(dict(dicts[current]))
        else:
            current = number % len(books)
    for book, plain in zip(books, dicts, strict=True):
        assert book == plain and list(book) == list(plain) and len(book) == len(plain)
