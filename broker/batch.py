"""A group commit in progress: commands decided in order, not yet durable.

The broker's loop drains every request ready on its socket and decides each
against the state the earlier ones of the batch left (the batch's *tip*); all
their events and stored replies are then written in one transaction with one
fsync (``Journal.append_many``). Only after that commit do the committed state,
view and seq move, and only then are replies sent and events published: what is
acknowledged is durable, and what is not durable was never acknowledged.

A retry whose original is in the same batch is answered with the original's
final reply (an *echo*): it is not decided twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from broker.journal import Append
from broker.rules import Event, HallState


@dataclass
class Decided:
    """One command decided in a batch: what to write, and what it did if written.

    Attributes:
        append: its events and reply, as the journal writes them.
        state: the state after it (the batch's tip once it is added).
        view: the public view of ``state``.
        changes: each event with the view keys it changed (published with its seq).
        refused: the reply is a refusal (nothing changed); the append only remembers it.
        after_change: an earlier command of the same batch changed the state, so a
            refusal was judged against something that is lost if the commit fails.
    """

    append: Append
    state: HallState
    view: dict[str, Any]
    changes: list[tuple[Event, dict[str, Any]]] = field(default_factory=list)
    refused: bool = False
    after_change: bool = False


class Batch:
    """The commands of one group commit, in the order they were decided."""

    def __init__(self, state: HallState, view: dict[str, Any]) -> None:
        """Start a batch on the committed ``state`` and its ``view``."""
        self.decided: list[Decided] = []
        self._base_state = state
        self._base_view = view
        self._requests: dict[str, tuple[str, str, int]] = {}

    @property
    def state(self) -> HallState:
        """The tip: the state after every command decided so far."""
        return self.decided[-1].state if self.decided else self._base_state

    @property
    def view(self) -> dict[str, Any]:
        """The public view of the tip."""
        return self.decided[-1].view if self.decided else self._base_view

    def changed(self) -> bool:
        """True once a command of this batch changed the state."""
        return any(not d.refused and d.append.entries for d in self.decided)

    def add(self, decided: Decided) -> int:
        """Add a decided command; its index (how its reply is found after the commit)."""
        decided.after_change = self.changed()
        self.decided.append(decided)
        index = len(self.decided) - 1
        rid = decided.append.request_id
        if rid is not None:
            self._requests[rid] = (decided.append.op, decided.append.node, index)
        return index

    def request(self, request_id: str) -> tuple[str, str, int] | None:
        """``(op, node, index)`` of a request id decided earlier in this batch, if any."""
        return self._requests.get(request_id)

    def appends(self) -> list[Append]:
        """What the journal writes for this batch, in order."""
        return [d.append for d in self.decided]
