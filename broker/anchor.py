"""The journal's high-water mark, kept outside the journal file: ``journal.anchor``.

A journal can go back in time without any write failing: the file is deleted,
emptied, replaced by a restored copy, or rebuilt shorter after damage. Served
as it is, it would hand out ticket numbers visitors already hold. The anchor is
a small JSON file beside the journal that remembers how far the hall got: the
journal's identity (hall id and epoch), the last durable seq, the highest ticket
number per service on the latest day, and the latest request ids per node (so a
retry of a request the journal has forgotten is refused, not run again).

It is replaced atomically after every durable append (write a temporary file,
fsync it, rename it over the old one, fsync the directory), so it always holds
one complete state, never a torn one.
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from broker.journal import Entry
from foundation.errors import CallnextError

log = logging.getLogger(__name__)

ANCHOR_NAME = "journal.anchor"
"""The anchor's file name, beside the journal in the broker's data directory."""

RECENT_PER_NODE = 4
"""Request ids remembered per node: a node only ever retries its latest requests."""

RECENT_TOTAL = 256
"""Request ids remembered in all (insecure mode lets any name be a node)."""


class AnchorError(CallnextError):
    """The anchor file exists but cannot be read as an anchor."""


@dataclass
class Anchor:
    """How far the hall's journal got, as last written beside it.

    Attributes:
        hall_id: the identity of the hall's journal history (kept across rollbacks).
        epoch: the identity of this journal file's history; a new one after a rollback.
        seq: the last durable seq.
        day: the hall-local day of ``numbers``.
        numbers: the highest ticket number per service on ``day``.
        recent: ``[request id, op, node]`` of the latest requests, oldest first.
        at: when it was written (epoch seconds), for people reading it.
    """

    hall_id: str
    epoch: str
    seq: int = 0
    day: str | None = None
    numbers: dict[str, int] = field(default_factory=dict)
    recent: list[list[str]] = field(default_factory=list)
    at: float = 0.0

    def record(self, seq: int, day: str | None, issued: dict[str, int],
               request: tuple[str, str, str] | None) -> None:
        """Fold one durable append in: its last seq, its tickets and its request id."""
        self.seq = max(self.seq, seq)
        if day is not None and (self.day is None or day > self.day):
            self.day, self.numbers = day, {}
        if day == self.day:
            for service, number in issued.items():
                self.numbers[service] = max(self.numbers.get(service, 0), number)
        if request is not None:
            self.recent = _newest_per_node(
                [r for r in self.recent if r[0] != request[0]] + [list(request)])


def _newest_per_node(recent: list[list[str]]) -> list[list[str]]:
    """The newest RECENT_PER_NODE ids of each node, at most RECENT_TOTAL, oldest first."""
    counts: dict[str, int] = {}
    kept = []
    for entry in reversed(recent):
        seen = counts.get(entry[2], 0)
        if seen < RECENT_PER_NODE and len(kept) < RECENT_TOTAL:
            kept.append(entry)
            counts[entry[2]] = seen + 1
    return kept[::-1]


def read_anchor(path: Path) -> Anchor | None:
    """The anchor at ``path``, or None when there is none.

    Raises:
        AnchorError: the file is there but is not a readable anchor.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise AnchorError(f"cannot read the journal's anchor {path}: {err}") from err
    try:
        data: dict[str, Any] = json.loads(raw)
        return Anchor(hall_id=str(data["hall_id"]), epoch=str(data["epoch"]),
                      seq=int(data["seq"]), day=data.get("day"),
                      numbers={str(k): int(v) for k, v in data.get("numbers", {}).items()},
                      recent=[[str(x) for x in r][:3] for r in data.get("recent", [])],
                      at=float(data.get("at", 0.0)))
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise AnchorError(
            f"the journal's anchor {path} is not readable ({err}). It is only ever replaced "
            f"whole, so someone edited or damaged it: restore it from the backup directory "
            f"(journal-*.anchor), or move it away to start without the check.") from err


def write_anchor(path: Path, anchor: Anchor) -> None:
    """Replace the anchor at ``path`` atomically and durably (file and directory fsync'd).

    Raises:
        OSError: it could not be written; the previous anchor is still there, whole.
    """
    anchor.at = time.time()
    body = json.dumps(asdict(anchor), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    temporary = path.with_name(f"{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        os.write(fd, body)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class AnchorKeeper:
    """Keeps the anchor beside a journal up to date after each durable append."""

    def __init__(self, path: Path, anchor: Anchor) -> None:
        self.path = path
        self.anchor = anchor
        self.failing = False

    def appended(self, seqs: Sequence[int], entries: Sequence[Entry],
                 request: tuple[str, str, str] | None) -> None:
        """Fold a durable append in and write the anchor; a failure is logged, never raised.

        The append it follows is already durable and its reply is due: a disk
        that cannot take the anchor is reported, and the next append tries again.
        """
        issued: dict[str, int] = {}
        for entry in entries:
            if entry.event.type == "ticket_issued":
                service = str(entry.event.data["service"])
                issued[service] = max(issued.get(service, 0),
                                      int(entry.event.data["seq_in_service"]))
        self.anchor.record(max(seqs, default=0), entries[-1].day if entries else None, issued,
                           request)
        try:
            write_anchor(self.path, self.anchor)
        except OSError as err:
            if not self.failing:
                log.error("the journal's anchor %s could not be written (%s); the journal is "
                          "fine, but until it is written again a lost journal could not be "
                          "told apart. Free space on the data disk.", self.path, err)
            self.failing = True
            return
        if self.failing:
            log.warning("the journal's anchor %s is written again", self.path)
        self.failing = False
