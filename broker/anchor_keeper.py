"""Keeping the anchor up to date while the broker runs, off the reply path.

Flushing the anchor after every group commit costs a second disk flush per
command: a disk (an SD card, a virtual disk) does one flush at a time, so the
journal's next commit waits behind the anchor's. ``AnchorKeeper`` writes the
anchor from a thread of its own, at most once per ``every_s`` (each write holds
every append committed before it), so the journal's commits keep the disk
nearly to themselves. Three rules keep the anchor honest:

* it is told about an append only after the append's commit, so it never holds
  more than the journal: it can never refuse a whole journal;
* before a batch is answered, every append committed more than ``lag_s`` ago is
  in the anchor on disk (``settle`` waits for it when the writer fell behind):
  after a power cut, only a journal copy taken within the last ``lag_s`` could
  pass for the newest;
* a slot is overwritten only after the other one was flushed whole
  (``broker.anchor``), so a write cut short leaves the previous state readable.
"""

from __future__ import annotations

import collections
import fcntl
import logging
import os
import threading
import time
from pathlib import Path
from typing import Callable, Sequence

from broker.anchor import SLOT_BYTES, Anchor, AnchorError, read_slots, record_bytes
from broker.journal_rows import Entry

log = logging.getLogger(__name__)

ANCHOR_EVERY_S = 0.02
"""Least time between two anchor writes: under load, a few dozen flushes a second."""

ANCHOR_LAG_S = 0.1
"""The most the anchor on disk may lag behind what was answered (the documented window)."""

CLOSE_WAIT_S = 10.0
"""Bound on waiting for the writer thread's last write when the journal closes."""

SETTLE_POLL_S = 1.0
"""How often a wait for the anchor checks that its writer thread is still alive."""


class AnchorKeeper:
    """Keeps the anchor beside a journal up to date, from a writer thread of its own."""

    def __init__(self, path: Path, anchor: Anchor, *,
                 sync_file: Callable[[int], None] = os.fdatasync,
                 every_s: float = ANCHOR_EVERY_S, lag_s: float = ANCHOR_LAG_S,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        """Keep ``anchor`` in the existing file ``path``, locked against a second broker.

        Args:
            path: the anchor file (it exists: ``write_anchor`` created it).
            anchor: what it holds now.
            sync_file: how a written slot is flushed (``os.fdatasync``; tests slow it).
            every_s: least time between two writes by the writer thread.
            lag_s: the most an answered append may wait to be in the anchor on disk.
            monotonic: the clock of those two (tests move it by hand).

        Raises:
            AnchorError: another process (a broker, a restore) holds the file.
        """
        self.path = path
        self.anchor = anchor
        self.failing = False
        self.sync_file = sync_file
        self.every_s, self.lag_s, self.monotonic = every_s, lag_s, monotonic
        found = read_slots(path)
        self._counter = 1 if found is None else found[0]
        self._state = threading.Condition()
        self._io = threading.Lock()  # one slot write at a time, from whichever thread
        self._folded = 0  # appends folded in so far (counted per ``appended`` call)
        self._pending: collections.deque[tuple[int, float]] = collections.deque()
        """``(fold number, when)`` of the folds not yet on disk, oldest first."""
        self._attempted = 0  # folds the writer tried to write (written or failed)
        self._kicked = self._urgent = self._stop = False
        self._last_write = float("-inf")
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
                record = record_bytes(self.anchor, counter)
            os.pwrite(self._fd, record, (counter % 2) * SLOT_BYTES)
            self.sync_file(self._fd)
            # Only a flushed slot counts: after a failure the same slot is written again,
            # so the other one, whole on disk, is never the one put at risk.
            self._counter = counter
        with self._state:
            while self._pending and self._pending[0][0] <= folded:
                self._pending.popleft()

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
                pending = bool(self._pending)
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
            self._pending.append((self._folded, self.monotonic()))

    def sync(self) -> None:
        """Have what was folded in written by the writer thread; returns at once.

        The broker calls it in each loop turn, after the turn's replies are sent. A
        failed write is logged, not raised (the appends are durable already), and
        tried again on a later call.
        """
        with self._state:
            if not self._pending or self._stop:
                return
            if self._kicked and not self._urgent and self._thread is not None:
                # Already due: the writer takes every fold made by the time it writes. Waking
                # it on every turn of the loop only to wait out ``every_s`` again cost a
                # thread switch per command.
                return
            self._kicked = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="journal-anchor")
                self._thread.start()
            self._state.notify_all()

    def settle(self, lag_s: float | None = None) -> None:
        """Return once every append folded in more than ``lag_s`` ago is written.

        The journal calls it after each commit, before that commit's appends are
        folded in and answered. A write that failed counts as done (it was logged).

        Args:
            lag_s: how old a fold may be and still not be on disk (default: the
                keeper's ``lag_s``; 0: every fold so far).
        """
        with self._state:
            target = self._due(self.lag_s if lag_s is None else lag_s)
            if self._done(target):
                return
            self._urgent = True  # the writer skips its pause between writes
        self.sync()
        with self._state:
            while not self._done(target) and self._thread is not None \
                    and self._thread.is_alive():
                self._state.wait(SETTLE_POLL_S)
            done = self._done(target)
        if not done:
            self._attempt(target)  # closing, or the writer thread died: write it here

    def _due(self, lag_s: float) -> int:
        """The newest fold that is older than ``lag_s`` and must be on disk by now."""
        limit, due = self.monotonic() - lag_s, 0
        for number, when in self._pending:
            if when > limit:
                break
            due = number
        return due

    def _done(self, target: int) -> bool:
        """True once the folds up to ``target`` are on disk, or an attempt at them failed."""
        return self._attempted >= target or not self._pending or self._pending[0][0] > target

    def _run(self) -> None:
        """The writer thread: write when kicked, at most once per ``every_s`` unless urged."""
        while True:
            with self._state:
                while not self._stop and not self._kicked:
                    self._state.wait()
                while not self._stop and not self._urgent and \
                        self.monotonic() < self._last_write + self.every_s:
                    self._state.wait(self._last_write + self.every_s - self.monotonic())
                if self._stop:
                    return
                self._kicked = self._urgent = False
                self._last_write = self.monotonic()
                target = self._folded
            self._attempt(target)

    def _attempt(self, target: int) -> None:
        """Write the anchor; a failure is logged once and left to the next attempt."""
        written = False
        try:
            self._write(target)
            written = True
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
            if not written:
                # The folds up to ``target`` count as attempted; only the newest stays
                # pending, so ``sync`` and ``close`` still try again, while the list each
                # commit's ``settle`` walks stays short however long the disk fails.
                while len(self._pending) > 1 and self._pending[0][0] <= target:
                    self._pending.popleft()
            self._state.notify_all()
