"""The journal's high-water mark, kept outside the journal file: ``journal.anchor``.

A journal can go back in time without any write failing: the file is deleted,
emptied, replaced by a restored copy, or rebuilt shorter after damage. Served
as it is, it would hand out ticket numbers visitors already hold. The anchor is
a small JSON file beside the journal that remembers how far the hall got: the
journal's identity (hall id and epoch), the last durable seq, the highest ticket
number per service on the latest day, and the latest request ids per node (so a
retry of a request the journal has forgotten is refused, not run again).

The file has two fixed-size slots, each a checksummed JSON record with a
counter. A write overwrites the older slot in place and ``fdatasync``s it: a
write cut short by a power cut can only tear the slot being written, and the
other still holds the previous state whole. That costs one data flush, where
replacing a file costs three (file, rename, directory). A new anchor file is
created whole (temporary file, fsync, rename, directory fsync).

While the broker runs, ``broker.anchor_keeper`` keeps it up to date from a
thread of its own, within a small documented lag of the journal and never
ahead of it.
"""

from __future__ import annotations

import fcntl
import json
import os
import struct
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from foundation.errors import CallnextError

ANCHOR_NAME = "journal.anchor"
"""The anchor's file name, beside the journal in the broker's data directory."""

RECENT_PER_NODE = 4
"""Request ids remembered per node: a node only ever retries its latest requests."""

RECENT_TOTAL = 128
"""Request ids remembered in all (insecure mode lets any name be a node)."""

SLOT_BYTES = 16 * 1024
"""Size of each of the file's two slots (a record is a few KiB at most)."""


_MAGIC = b"CNA1"
_HEADER = struct.Struct(">4sQII")  # magic, counter, length, crc32 of the JSON


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

    def as_dict(self) -> dict[str, Any]:
        """The JSON record, request ids pruned (``dataclasses.asdict`` would copy deeply)."""
        self.recent = _newest_per_node(self.recent)
        return {"hall_id": self.hall_id, "epoch": self.epoch, "seq": self.seq, "day": self.day,
                "numbers": self.numbers, "recent": self.recent, "at": self.at}

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
            # Pruned when written (``as_dict``), not per append: the append is on the reply
            # path, the write is not. The list stays bounded meanwhile.
            self.recent.append(list(request))
            if len(self.recent) > 2 * RECENT_TOTAL:
                self.recent = _newest_per_node(self.recent)


def _newest_per_node(recent: list[list[str]]) -> list[list[str]]:
    """The newest RECENT_PER_NODE ids of each node, at most RECENT_TOTAL, oldest first.

    An id recorded twice counts once, at its newest place.
    """
    counts: dict[str, int] = {}
    seen_ids: set[str] = set()
    kept = []
    for entry in reversed(recent):
        if entry[0] in seen_ids:
            continue
        seen_ids.add(entry[0])
        seen = counts.get(entry[2], 0)
        if seen < RECENT_PER_NODE and len(kept) < RECENT_TOTAL:
            kept.append(entry)
            counts[entry[2]] = seen + 1
    return kept[::-1]


def _parse(raw: bytes) -> tuple[int, Anchor] | None:
    """A slot's counter and anchor, or None when the slot is empty or torn."""
    if len(raw) < _HEADER.size:
        return None
    magic, counter, length, crc = _HEADER.unpack_from(raw)
    body = raw[_HEADER.size:_HEADER.size + length]
    if magic != _MAGIC or len(body) != length or zlib.crc32(body) != crc:
        return None
    data: dict[str, Any] = json.loads(body)
    return counter, Anchor(
        hall_id=str(data["hall_id"]), epoch=str(data["epoch"]), seq=int(data["seq"]),
        day=data.get("day"),
        numbers={str(k): int(v) for k, v in data.get("numbers", {}).items()},
        recent=[[str(x) for x in r][:3] for r in data.get("recent", [])],
        at=float(data.get("at", 0.0)))


def read_slots(path: Path) -> tuple[int, Anchor] | None:
    """The newest whole slot's counter and anchor, or None when there is no file.

    Raises:
        AnchorError: the file is there but no slot holds a whole record.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise AnchorError(f"cannot read the journal's anchor {path}: {err}") from err
    try:
        found = [slot for slot in (_parse(raw[:SLOT_BYTES]), _parse(raw[SLOT_BYTES:]))
                 if slot is not None]
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        found, problem = [], str(err)
    else:
        problem = "no slot holds a whole record"
    if not found:
        raise AnchorError(
            f"the journal's anchor {path} is not readable ({problem}). It is written by the "
            f"broker only, so someone edited or damaged it: restore it from the backup "
            f"directory (journal-*.anchor), or move it away to start without the check.")
    return max(found, key=lambda slot: slot[0])


def read_anchor(path: Path) -> Anchor | None:
    """The anchor at ``path`` (its newest whole slot), or None when there is none.

    Raises:
        AnchorError: the file is there but holds no readable anchor.
    """
    found = read_slots(path)
    return None if found is None else found[1]


def record_bytes(anchor: Anchor, counter: int) -> bytes:
    """One slot's bytes: header and JSON (the oldest request ids dropped if too long)."""
    anchor.at = time.time()
    body = json.dumps(anchor.as_dict(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    while len(body) > SLOT_BYTES - _HEADER.size and anchor.recent:
        anchor.recent = anchor.recent[len(anchor.recent) // 2:]  # oldest ids go first
        body = json.dumps(anchor.as_dict(), ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")
    return _HEADER.pack(_MAGIC, counter, len(body), zlib.crc32(body)) + body


def write_anchor(path: Path, anchor: Anchor) -> None:
    """Create the anchor file at ``path`` whole: temporary file, fsync, rename, fsync dir.

    Raises:
        OSError: it could not be written; a previous anchor is still there, whole.
    """
    slot = record_bytes(anchor, 1).ljust(SLOT_BYTES, b"\0")
    temporary = path.with_name(f"{path.name}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    try:
        os.write(fd, slot + slot)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def in_use(path: Path) -> bool:
    """True when a running broker holds the anchor at ``path`` (so its journal is live)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)
    return False
