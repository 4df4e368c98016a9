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

The broker writes the anchor from a thread of its own (``AnchorKeeper``), so
its flush runs beside the journal's next commit instead of after every one:
a command waits for one flush, not two. What that costs, by design:

* the anchor never holds more than the journal has committed (it is told about
  an append only after its commit), so it can never refuse a whole journal;
* it may lag by the latest group commit: a batch is answered only once the
  anchor of every earlier batch is on disk. After a power cut, a journal
  replaced by a copy taken within that last batch (a few milliseconds of
  commands) is not told apart; any older copy is.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

from broker.journal import Entry
from foundation.errors import CallnextError

log = logging.getLogger(__name__)

ANCHOR_NAME = "journal.anchor"
"""The anchor's file name, beside the journal in the broker's data directory."""

RECENT_PER_NODE = 4
"""Request ids remembered per node: a node only ever retries its latest requests."""

RECENT_TOTAL = 128
"""Request ids remembered in all (insecure mode lets any name be a node)."""

SLOT_BYTES = 16 * 1024
"""Size of each of the file's two slots (a record is a few KiB at most)."""

CLOSE_WAIT_S = 10.0
"""Bound on waiting for the writer thread's last flush when the journal closes."""

SETTLE_POLL_S = 1.0
"""How often a wait for the anchor checks that its writer thread is still alive."""

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
        """The JSON record (``dataclasses.asdict`` copies deeply and costs more)."""
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


def _read_slots(path: Path) -> tuple[int, Anchor] | None:
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
    found = _read_slots(path)
    return None if found is None else found[1]


def _record_bytes(anchor: Anchor, counter: int) -> bytes:
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
    slot = _record_bytes(anchor, 1).ljust(SLOT_BYTES, b"\0")
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


class AnchorKeeper:
    """Keeps the anchor beside a journal up to date, off the reply path.

    A writer thread of its own overwrites the older slot and flushes it while the
    broker's loop goes on deciding and committing the next batch: the anchor's
    flush overlaps the journal's next commit instead of following it. Two rules
    keep the anchor honest (``settle``):

    * it only ever holds appends already committed, so it never claims more than
      the journal holds;
    * before a batch is acknowledged, the anchor of every earlier batch is on disk,
      so at any moment at most the latest group commit is acknowledged but not yet
      in the anchor.
    """

    def __init__(self, path: Path, anchor: Anchor,
                 sync_file: Callable[[int], None] = os.fdatasync) -> None:
        """Keep ``anchor`` in the existing file ``path``, locked against a second broker.

        Args:
            path: the anchor file (it exists: ``write_anchor`` created it).
            anchor: what it holds now.
            sync_file: how a written slot is flushed (``os.fdatasync``; tests slow it).

        Raises:
            AnchorError: another process (a broker, a restore) holds the file.
        """
        self.path = path
        self.anchor = anchor
        self.failing = False
        self.sync_file = sync_file
        found = _read_slots(path)
        self._counter = 1 if found is None else found[0]
        self._state = threading.Condition()
        self._io = threading.Lock()  # one slot write at a time, from whichever thread
        self._folded = 0  # appends folded in so far (counted per ``appended`` call)
        self._attempted = 0  # folded appends the writer has tried to write (ok or failed)
        self._durable = 0  # folded appends on disk
        self._kicked = False
        self._stop = False
        self._thread: threading.Thread | None = None
        self._fd: int | None = os.open(path, os.O_RDWR)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            self.close()
            raise AnchorError(
                f"another process uses the journal in {path.parent} (its anchor is locked: "
                f"{err}). Is a broker already running on it (`systemctl status "
                f"callnext-broker`)? Stop it first.") from err

    def flush(self) -> None:
        """Write the anchor now, in this thread.

        Raises:
            OSError: it could not be written (the previous state is still there).
        """
        with self._state:
            folded = self._folded
        self._write(folded)

    def _write(self, folded: int) -> None:
        """Overwrite the older slot in place and flush it (the other slot stays whole)."""
        with self._io:
            if self._fd is None:
                raise AnchorError(f"the anchor {self.path} is closed")
            with self._state:
                # Serialised under the lock: a consistent copy while the loop folds more in.
                counter = self._counter + 1
                record = _record_bytes(self.anchor, counter)
            os.pwrite(self._fd, record, (counter % 2) * SLOT_BYTES)
            self.sync_file(self._fd)
            # Only a flushed slot counts: after a failure the same slot is written again,
            # so the other one, whole on disk, is never the one put at risk.
            self._counter = counter
        with self._state:
            self._durable = max(self._durable, folded)

    def close(self) -> None:
        """Write what is pending and close the file (the journal closes it with itself)."""
        with self._state:
            self._stop = True
            self._state.notify_all()
        if self._thread is not None:
            self._thread.join(CLOSE_WAIT_S)
            self._thread = None
        if self._fd is not None:
            with self._state:
                pending = self._durable < self._folded
            if pending:
                self._attempt(self._folded)
            os.close(self._fd)
            self._fd = None

    def appended(self, seqs: Sequence[int], entries: Sequence[Entry],
                 request: tuple[str, str, str] | None) -> None:
        """Fold a committed append in; ``sync`` has it written (once for a burst)."""
        issued: dict[str, int] = {}
        for entry in entries:
            if entry.event.type == "ticket_issued":
                service = str(entry.event.data["service"])
                issued[service] = max(issued.get(service, 0),
                                      int(entry.event.data["seq_in_service"]))
        with self._state:
            self.anchor.record(max(seqs, default=0), entries[-1].day if entries else None,
                               issued, request)
            self._folded += 1

    def sync(self) -> None:
        """Have what was folded in written by the writer thread; returns at once.

        The broker calls it in each loop turn, after the turn's replies are sent. A
        failed write is logged, not raised (the appends are durable already), and
        tried again on the next call.
        """
        with self._state:
            if self._durable >= self._folded or self._stop:
                return
            self._kicked = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="journal-anchor")
                self._thread.start()
            self._state.notify_all()

    def settle(self) -> None:
        """Return once everything folded in so far has been written (or its write failed).

        The journal calls it after a commit and before that commit's appends are
        folded in and answered: the anchor of every earlier batch is then on disk.
        """
        with self._state:
            target = self._folded
            if self._done(target):
                return
        self.sync()
        with self._state:
            while not self._done(target) and self._thread is not None \
                    and self._thread.is_alive():
                self._state.wait(SETTLE_POLL_S)
            done = self._done(target)
        if not done:
            self._attempt(target)  # closing, or the writer thread died: write it here

    def _done(self, target: int) -> bool:
        """True once the appends up to ``target`` were written or their write failed."""
        return max(self._attempted, self._durable) >= target

    def _run(self) -> None:
        """The writer thread: write whenever kicked and behind; ends on ``close``."""
        while True:
            with self._state:
                while not self._stop and not self._kicked:
                    self._state.wait()
                if self._stop:
                    return
                self._kicked = False
                target = self._folded
            self._attempt(target)

    def _attempt(self, target: int) -> None:
        """Write the anchor; a failure is logged once and leaves it to the next attempt."""
        try:
            self._write(target)
        except (OSError, AnchorError) as err:
            if not self.failing:
                log.error("the journal's anchor %s could not be written (%s); the journal is "
                          "fine, but until it is written again a lost journal could not be "
                          "told apart. Free space on the data disk.", self.path, err)
            self.failing = True
        else:
            if self.failing:
                log.warning("the journal's anchor %s is written again", self.path)
            self.failing = False
        with self._state:
            self._attempted = max(self._attempted, target)
            self._state.notify_all()


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
