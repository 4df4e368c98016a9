"""What the journal stores and hands out: events as stored, entries and appends to write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Sequence

from broker.rules import Event


@dataclass(frozen=True)
class StoredEvent:
    """An event as the journal holds it, with its sequence number and audit trail."""

    seq: int
    at: float
    day: str
    type: str
    data: dict[str, Any]
    op: str
    node: str
    request_id: str | None

    def event(self) -> Event:
        """The rules' view of this event (for replay)."""
        return Event(self.type, self.at, self.data)


@dataclass(frozen=True)
class Entry:
    """One event to append, with the hall-local day it belongs to."""

    event: Event
    day: str


@dataclass(frozen=True)
class Append:
    """One command's share of a group commit: its events and the reply to remember."""

    entries: Sequence[Entry]
    op: str
    node: str
    request_id: str | None
    reply: bytes | None
    at: float


class AppendObserver(Protocol):
    """Told about each durable append, after its commit and before its reply is sent.

    ``settle`` is called after each commit, before its appends are told: what was
    told before, up to the observer's documented lag, is then durable too.
    """

    def appended(self, seqs: Sequence[int], entries: Sequence[Entry],
                 request: tuple[str, str, str] | None) -> None:
        """``seqs`` of ``entries`` are durable; ``request`` is (id, op, node) or None."""

    def sync(self) -> None:
        """Start making what was told so far durable; returns at once."""

    def settle(self, lag_s: float | None = None) -> None:
        """Return once what was told more than ``lag_s`` ago is durable (or failed to be).

        ``None``: the observer's own bound; 0: everything told so far.
        """

    def close(self) -> None:
        """The journal is closing."""


@dataclass(frozen=True)
class Checkpoint:
    """A stored state snapshot (``broker.checkpoint``): the seq it follows and how to trust it."""

    seq: int
    format: str
    hall: str
    crc: int
    data: bytes
