"""The day's tickets as a copy-on-write mapping, so a command's private copy is cheap.

Every command decides on a copy of the state (``transaction.Tx``). A plain dict
of the day's tickets would make that copy cost grow with every ticket issued
(20 000 tickets: ~0.15 ms per command). ``TicketBook`` shares one base dict
between copies and keeps each copy's own changes beside it; a copy duplicates
only those changes, and folds them into a fresh base once they outnumber the
square root of the base (so the amortised cost per command stays small).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Iterator, Mapping, MutableMapping

if TYPE_CHECKING:  # the model imports this module: only the type is needed here
    from broker.rules.model import Ticket

MIN_OWN = 64
"""Own changes kept beside the base at least, before folding them in."""


class TicketBook(MutableMapping[str, "Ticket"]):
    """Tickets by number, in issue order; equal to any mapping with the same items."""

    __slots__ = ("_base", "_own", "_added")

    def __init__(self, items: Mapping[str, Ticket] | None = None) -> None:
        """A book holding ``items`` (copied)."""
        self._base: dict[str, Ticket] = dict(items or {})
        self._own: dict[str, Ticket] = {}
        self._added = 0  # own keys not in the base

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
        if number not in self._own and number not in self._base:
            self._added += 1
        self._own[number] = ticket

    def __delitem__(self, number: str) -> None:
        # Rare (a new day starts a new book): a fresh base, never the shared one changed.
        base = {**self._base, **self._own}
        del base[number]
        self._base, self._own, self._added = base, {}, 0

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
        return twin
