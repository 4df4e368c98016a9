"""The day's tickets as a copy-on-write mapping, so a command's private copy is cheap.

Every command decides on a copy of the state (``transaction.Tx``). A plain dict
of the day's tickets would make that copy cost grow with every ticket issued
(20 000 tickets: ~0.15 ms per command). ``TicketBook`` shares one base dict
between copies and keeps each copy's own changes beside it; a copy duplicates
only those changes, and folds them into a fresh base once they outnumber the
square root of the base (so the amortised cost per command stays small).

The book also keeps each counter's 过号 tickets (``no_shows``) as tickets change, so the
view of a counter never scans the day's tickets for them: the index is updated on every
write, whoever writes, and a copy shares it until it changes (it is small: one tuple per
counter that ever had a no-show).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from typing import TYPE_CHECKING, Any, Iterator, Mapping, MutableMapping

if TYPE_CHECKING:  # the model imports this module: only the type is needed here
    from broker.rules.model import Ticket

MIN_OWN = 64
"""Own changes kept beside the base at least, before folding them in."""

NoShow = tuple[float, str]
"""A 过号 ticket in a counter's index: ``(no_show_at, number)``."""


def _no_show_of(ticket: Ticket | None) -> tuple[int, NoShow] | None:
    """Where a ticket belongs in the 过号 index: ``(counter, (no_show_at, number))``, or None."""
    if (ticket is None or ticket.status != "no_show" or ticket.counter is None
            or ticket.no_show_at is None):
        return None
    return ticket.counter, (ticket.no_show_at, ticket.number)


class TicketBook(MutableMapping[str, "Ticket"]):
    """Tickets by number, in issue order; equal to any mapping with the same items."""

    __slots__ = ("_base", "_own", "_added", "_no_shows")

    def __init__(self, items: Mapping[str, Ticket] | None = None) -> None:
        """A book holding ``items`` (copied)."""
        self._base: dict[str, Ticket] = dict(items or {})
        self._own: dict[str, Ticket] = {}
        self._added = 0  # own keys not in the base
        # Counter -> its 过号 tickets, oldest first. Tuples, replaced (never changed) on a
        # write, so copies share the dict until one of them changes it.
        self._no_shows: dict[int, tuple[NoShow, ...]] = {}
        for ticket in self._base.values():
            self._index(None, ticket)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (in checkpoints) as its items: the index is rebuilt on loading.
        return (TicketBook, (dict(self.items()),))

    def __setstate__(self, state: Any) -> None:
        """Load a book pickled before ``__reduce__`` (an older checkpoint): its slots."""
        slots = state[1] if isinstance(state, tuple) else state
        self.__init__({**slots["_base"], **slots["_own"]})  # type: ignore[misc]

    def __getitem__(self, number: str) -> Ticket:
        found = self._own.get(number)
        return found if found is not None else self._base[number]

    def get(self, number: str, default: Ticket | None = None) -> Ticket | None:  # type: ignore[override]
        """The ticket ``number``, or ``default``."""
        found = self._own.get(number)
        return found if found is not None else self._base.get(number, default)

    def __contains__(self, number: object) -> bool:
        return number in self._own or number in self._base

    def __setitem__(self, number: str, ticket: Ticket) -> None:
        old = self.get(number)
        if old is None:  # in neither the base nor the own changes
            self._added += 1
        self._own[number] = ticket
        self._index(old, ticket)

    def __delitem__(self, number: str) -> None:
        # Rare (a new day starts a new book): a fresh base, never the shared one changed.
        base = {**self._base, **self._own}
        old = base.pop(number)
        self._base, self._own, self._added = base, {}, 0
        self._index(old, None)

    def _index(self, old: Ticket | None, new: Ticket | None) -> None:
        """Move a ticket in the 过号 index as it changes from ``old`` to ``new``."""
        was, now = _no_show_of(old), _no_show_of(new)
        if was == now:
            return
        changed = dict(self._no_shows)
        if was is not None:
            entries = changed[was[0]]
            at = bisect_left(entries, was[1])
            changed[was[0]] = entries[:at] + entries[at + 1:]
        if now is not None:
            entries = changed.get(now[0], ())
            at = bisect_left(entries, now[1])
            changed[now[0]] = entries[:at] + (now[1],) + entries[at:]
        self._no_shows = changed

    def no_shows(self, counter: int) -> tuple[NoShow, ...]:
        """The counter's 过号 tickets (``no_show`` status, called there), oldest first:
        ``(no_show_at, number)`` in the order ``sorted`` gives them."""
        return self._no_shows.get(counter, ())

    def __iter__(self) -> Iterator[str]:
        yield from self._base
        for number in self._own:
            if number not in self._base:
                yield number

    def __len__(self) -> int:
        return len(self._base) + self._added

    def __repr__(self) -> str:
        return f"TicketBook({dict(self.items())!r})"

    def _fold(self) -> None:
        if self._own:
            self._base = {**self._base, **self._own}
            self._own, self._added = {}, 0

    def copy(self) -> TicketBook:
        """A book that may change without touching this one: O(own changes), amortised."""
        twin = TicketBook.__new__(TicketBook)
        if len(self._own) > max(MIN_OWN, math.isqrt(len(self._base))):
            self._fold()  # a fresh base: this book's items stay the same
        twin._base, twin._own, twin._added = self._base, dict(self._own), self._added
        twin._no_shows = self._no_shows  # replaced, never changed, on a write
        return twin
