"""The durable journal: one append-only SQLite event table, plus the replies already given.

SQLite runs in WAL mode with ``synchronous=FULL``, so a committed append has
reached the disk before the broker answers. Events and the reply to the
request that caused them are written in one transaction: after a power cut
either both exist or neither does, which is what makes retries exactly-once.

On open the journal looks for the marks a power cut can leave:

* a write-ahead log (``-wal``) ending in an incomplete transaction or half a
  frame. SQLite ignores such a tail by design (frame checksums), and nothing
  in it was acknowledged; the journal says so and keeps a copy of the log;
* a damaged database file (``PRAGMA quick_check`` fails, or SQLite calls it
  malformed). A new journal is rebuilt from every event that can still be read
  in order from seq 1, with the replies of their requests; only then is the
  damaged file moved aside. The log says how many events were kept and where
  the damaged file is.

Damage is decided by reading only. A write that fails on open (a full or
read-only filesystem, missing permissions) raises ``JournalUnavailable`` naming
the filesystem's problem, and nothing is moved or changed.

Every journal carries an identity in its ``meta`` table: the hall id (one per
hall's history) and a random epoch (one per journal file's history; a rebuilt
journal or an accepted rollback gets a new one). The broker publishes both, so
nodes notice a replaced journal at once; ``broker.continuity`` checks the
journal against its anchor beside it.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any, Iterator, Sequence

from broker.journal_read import JournalError, JournalUnavailable, has_meta, read_only_connection
from broker.journal_rows import Append, AppendObserver, Checkpoint, Entry, StoredEvent
from broker.salvage import salvage
from broker.storage import describe, is_damage
from broker.wal import WalTail, inspect_wal

log = logging.getLogger(__name__)

JOURNAL_NAME = "journal.sqlite3"
"""The journal's file name inside the broker's data directory."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq        INTEGER PRIMARY KEY,
    at         REAL    NOT NULL,
    day        TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    data       TEXT    NOT NULL,
    op         TEXT    NOT NULL,
    node       TEXT    NOT NULL,
    request_id TEXT
);
CREATE INDEX IF NOT EXISTS events_day ON events(day);
CREATE TABLE IF NOT EXISTS requests (
    id    TEXT PRIMARY KEY,
    at    REAL NOT NULL,
    op    TEXT NOT NULL,
    node  TEXT NOT NULL,
    reply TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
    seq    INTEGER PRIMARY KEY,
    format TEXT    NOT NULL,
    hall   TEXT    NOT NULL,
    crc    INTEGER NOT NULL,
    data   BLOB    NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

__all__ = ["JOURNAL_NAME", "Append", "Checkpoint", "Entry", "Journal", "JournalError", "JournalUnavailable",
           "AppendObserver", "StoredEvent", "WalTail", "inspect_wal", "new_identity"]


def new_identity() -> str:
    """A fresh random hall id or epoch (16 hex digits)."""
    return uuid.uuid4().hex[:16]


_DATA_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
"""How an event's data is stored (``json.dumps`` with options builds one per call)."""


def _rows(appends: Sequence[Append], last: int
          ) -> tuple[list[list[int]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The seqs of each append's events, and the event and request rows of a batch.

    Events are numbered from ``last + 1`` in order; a request is remembered when it has
    an id and a reply.
    """
    seqs: list[list[int]] = []
    events: list[tuple[Any, ...]] = []
    requests: list[tuple[Any, ...]] = []
    for append in appends:
        numbers = []
        for entry in append.entries:
            last += 1
            numbers.append(last)
            events.append((last, entry.event.at, entry.day, entry.event.type,
                           _DATA_ENCODER.encode(entry.event.data), append.op, append.node,
                           append.request_id))
        seqs.append(numbers)
        if append.request_id is not None and append.reply is not None:
            requests.append((append.request_id, append.at, append.op, append.node,
                             append.reply.decode("utf-8")))
    return seqs, events, requests


def _readable_hall_id(path: Path) -> str | None:
    """The hall id of a damaged journal, if its meta table can still be read."""
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'hall_id'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return None
    return None if row is None else str(row[0])


def _stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%S")


class Journal:
    """The broker's journal file. Not thread-safe: the broker's one loop owns it."""

    def __init__(self, path: str | Path) -> None:
        """Open (or create) the journal at ``path``.

        Raises:
            JournalUnavailable: the filesystem is full, read-only or not writable;
                nothing was moved or changed.
            JournalError: the file cannot be opened or is not a callnext journal.
        """
        self.path = Path(path)
        self.recovered: list[str] = []
        """What was found and done on open, one sentence each (also logged)."""
        self.anchor: AppendObserver | None = None
        """Told about every durable append (``broker.anchor_keeper.AnchorKeeper``)."""
        self._last: int | None = None  # the newest seq, once read; None after a failure
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._check_wal()
            problem = self._damage()
            if problem is not None:
                self._rebuild(problem)
            self._db = self._connect(self.path)
            self.hall_id, self.epoch = self._identity()
        except (sqlite3.Error, OSError) as err:
            raise JournalUnavailable(
                f"cannot open the journal {self.path}: {describe(self.path.parent, err)}. "
                "Nothing was moved or changed: the journal is kept as it is. Start the "
                "broker again once that is fixed."
            ) from err

    @classmethod
    def open_read_only(cls, path: str | Path) -> Journal:
        """Open an existing journal only to read it, even while a broker writes it.

        Nothing is created, written, checkpointed or moved aside
        (``journal_read.read_only_connection``); a damaged file is refused, not repaired.
        Raises JournalError.
        """
        journal = cls.__new__(cls)
        journal.path = Path(path)
        journal.recovered = []
        journal.anchor = None
        journal._last = None
        journal._db = read_only_connection(journal.path)
        identity = dict(journal._db.execute("SELECT key, value FROM meta")) if has_meta(
            journal._db) else {}
        journal.hall_id = str(identity.get("hall_id", ""))
        journal.epoch = str(identity.get("epoch", ""))
        return journal

    def _identity(self) -> tuple[str, str]:
        """The journal's hall id and epoch, made once when the journal is new."""
        found = dict(self._db.execute("SELECT key, value FROM meta"))
        if "hall_id" not in found or "epoch" not in found:
            found.setdefault("hall_id", new_identity())
            found.setdefault("epoch", new_identity())
            self._db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                                 [("hall_id", found["hall_id"]), ("epoch", found["epoch"])])
        return str(found["hall_id"]), str(found["epoch"])

    def start_epoch(self, hall_id: str, forgotten: Sequence[tuple[str, str, str, bytes]],
                    at: float) -> str:
        """Give the journal a new epoch (an accepted rollback) in one durable transaction.

        Args:
            hall_id: the hall id to keep (the anchor's, which may differ from a new file's).
            forgotten: ``(request id, op, node, reply)`` of requests answered before the
                rollback that this journal does not know; a retry gets ``reply``.
            at: the time to record for those replies.

        Returns:
            The new epoch.
        """
        epoch = new_identity()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                                 [("hall_id", hall_id), ("epoch", epoch)])
            self._db.executemany(
                "INSERT OR IGNORE INTO requests(id, at, op, node, reply) VALUES (?, ?, ?, ?, ?)",
                [(rid, at, op, node, reply.decode("utf-8")) for rid, op, node, reply in forgotten])
            self._db.execute("COMMIT")
        except sqlite3.Error as err:
            self._db.execute("ROLLBACK")
            raise JournalError(f"the journal {self.path} could not be written ({err})") from err
        self.hall_id, self.epoch = hall_id, epoch
        return epoch

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(SCHEMA)
        except sqlite3.Error:
            db.close()
            raise
        return db

    def _note(self, message: str) -> None:
        self.recovered.append(message)
        log.warning("%s", message)

    def _check_wal(self) -> None:
        """Say what a power cut mid-write left in the write-ahead log (SQLite drops it)."""
        wal = Path(f"{self.path}-wal")
        tail = inspect_wal(wal)
        if tail is None or (tail.header_ok and tail.torn_bytes == 0):
            return
        copy = wal.with_name(f"{wal.name}.torn-{_stamp()}")
        try:
            shutil.copy2(wal, copy)
        except OSError:
            copy.unlink(missing_ok=True)
            raise
        if not tail.header_ok:
            self._note(
                f"journal {self.path}: the write-ahead log's header is damaged (a power cut "
                f"while the log was being started); SQLite ignores the log, so events not yet "
                f"copied into the database are missing. A copy of the log is at {copy}.")
            return
        self._note(
            f"journal {self.path}: the write-ahead log ends in {tail.torn_bytes} bytes of an "
            f"incomplete write (a power cut while writing). That write was never acknowledged "
            f"and is discarded; every complete transaction is kept. A copy of the log is at "
            f"{copy}.")

    def _damage(self) -> str | None:
        """Why the database file is unusable, or None when ``quick_check`` passes.

        Only what reading says counts as damage. Any other error (no space for the
        shared-memory file, a read-only mount) is raised: it is not the file's fault.
        """
        if not self.path.exists():
            return None
        try:
            db = sqlite3.connect(self.path, isolation_level=None)
            try:
                rows = db.execute("PRAGMA quick_check").fetchall()
                db.execute("SELECT MAX(seq) FROM events").fetchone()
            finally:
                db.close()
        except sqlite3.Error as err:
            if "no such table" in str(err):
                return None  # created but not yet initialised: the schema is added below
            if is_damage(err):
                return str(err)
            raise
        result = "; ".join(str(row[0]) for row in rows)
        return None if result == "ok" else result

    def _rebuild(self, problem: str) -> None:
        """Rebuild from the events still readable in order, then move the damaged file aside.

        The new journal is written beside the damaged one first: if the disk cannot
        take it, the error is raised and nothing has been moved.
        """
        events, replies, stopped = salvage(self.path)
        rebuilt = self.path.with_name(f"{self.path.name}.rebuilt")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{rebuilt}{suffix}").unlink(missing_ok=True)
        db = self._connect(rebuilt)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT INTO events(seq, at, day, type, data, op, node, request_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", events)
            db.executemany("INSERT OR REPLACE INTO requests(id, at, op, node, reply) "
                           "VALUES (?, ?, ?, ?, ?)", replies)
            # A shorter history is another history: a new epoch, the hall id if readable.
            db.executemany("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)",
                           [("hall_id", _readable_hall_id(self.path) or new_identity()),
                            ("epoch", new_identity())])
            db.execute("COMMIT")
        finally:
            db.close()
        aside = self.path.with_name(f"{self.path.name}.damaged-{_stamp()}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                source.replace(Path(f"{aside}{suffix}"))
        rebuilt.replace(self.path)
        self._note(
            f"journal {self.path} was damaged ({problem}); it was moved to {aside} and a new "
            f"journal was rebuilt with the {len(events)} events readable in order "
            f"(seq 1 to {len(events)}) and the replies to their {len(replies)} requests. "
            + (f"Reading stopped at seq {len(events) + 1}: {stopped}. Events after that are "
               f"only in the damaged file; the broker serves this shorter journal only once "
               f"you decide so (see the anchor's message)." if stopped
               else "Nothing readable was lost."))

    def append(self, entries: Sequence[Entry], *, op: str, node: str,
               request_id: str | None, reply: bytes | None, at: float) -> list[int]:
        """Write events and the reply they answer in one durable transaction.

        Returns:
            The sequence numbers given to the events, in order.

        Raises:
            JournalError: nothing was written (disk full, read-only, I/O error).
        """
        return self.append_many([Append(tuple(entries), op, node, request_id, reply, at)])[0]

    def append_many(self, appends: Sequence[Append],
                    checkpoint: Checkpoint | None = None) -> list[list[int]]:
        """Write several commands' events and replies in ONE durable transaction (one fsync).

        A group commit: either every append is durable or none is. Appends with
        neither events nor a request id to remember write nothing; when none
        writes anything, no transaction is made at all.

        Returns:
            The sequence numbers given to each append's events, in order.

        Raises:
            JournalError: nothing was written (disk full, read-only, I/O error).
        """
        if not any(a.entries or (a.request_id is not None and a.reply is not None)
                   for a in appends):
            return [[] for _ in appends]
        try:
            self._db.execute("BEGIN IMMEDIATE")
            if self._last is None:
                self._last = self.last_seq()
            seqs, events, requests = _rows(appends, self._last)
            # One statement per table for the whole batch, not one per row: each row
            # numbered here, one after the journal's last (what SQLite would give it).
            self._db.executemany(
                "INSERT INTO events(seq, at, day, type, data, op, node, request_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", events)
            self._db.executemany(
                "INSERT OR REPLACE INTO requests(id, at, op, node, reply) VALUES (?, ?, ?, ?, ?)",
                requests)
            if checkpoint is not None:
                self._store_checkpoint(checkpoint)
            self._db.execute("COMMIT")
            self._last += len(events)
        except sqlite3.Error as err:
            self._last = None  # read again: whatever the failure left, the file says
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                log.debug("rollback after failed append also failed", exc_info=True)
            raise JournalError(
                f"the journal {self.path} could not be written ({err}); the command was not "
                "carried out. Free disk space or fix the filesystem, then retry."
            ) from err
        if self.anchor is not None:
            # Before this batch is answered, the anchor holds every batch answered more
            # than its lag ago (``broker.anchor_keeper``); this batch's follows.
            self.anchor.settle()
            for append, numbers in zip(appends, seqs, strict=True):
                if numbers or append.request_id is not None:
                    self.anchor.appended(numbers, append.entries, None if append.request_id
                                         is None else (append.request_id, append.op, append.node))
        return seqs

    def _store_checkpoint(self, checkpoint: Checkpoint) -> None:
        """Store a state snapshot at the newest seq, in the caller's transaction; keep two."""
        self._db.execute(
            "INSERT OR REPLACE INTO checkpoints(seq, format, hall, crc, data) "
            "VALUES ((SELECT COALESCE(MAX(seq), 0) FROM events), ?, ?, ?, ?)",
            (checkpoint.format, checkpoint.hall, checkpoint.crc, checkpoint.data))
        self._db.execute("DELETE FROM checkpoints WHERE seq NOT IN "
                         "(SELECT seq FROM checkpoints ORDER BY seq DESC LIMIT 2)")

    def last_checkpoint(self) -> Checkpoint | None:
        """The newest stored state snapshot, if any (journals from before have none)."""
        try:
            row = self._db.execute("SELECT seq, format, hall, crc, data FROM checkpoints "
                                   "ORDER BY seq DESC LIMIT 1").fetchone()
        except sqlite3.OperationalError:
            return None  # a read-only look at a journal written before checkpoints existed
        return None if row is None else Checkpoint(int(row[0]), str(row[1]), str(row[2]),
                                                   int(row[3]), bytes(row[4]))

    def reply_for(self, request_id: str) -> bytes | None:
        """The reply already given to ``request_id``, if any."""
        found = self.request(request_id)
        return None if found is None else found[2]

    def request(self, request_id: str) -> tuple[str, str, bytes] | None:
        """The op, node and reply stored for ``request_id``, if any."""
        row = self._db.execute("SELECT op, node, reply FROM requests WHERE id = ?",
                               (request_id,)).fetchone()
        return None if row is None else (str(row[0]), str(row[1]), str(row[2]).encode("utf-8"))

    def last_seq(self) -> int:
        """The sequence number of the newest event (0 for an empty journal)."""
        row = self._db.execute("SELECT MAX(seq) FROM events").fetchone()
        return int(row[0] or 0)

    def events(self, after: int = 0, day: str | None = None) -> Iterator[StoredEvent]:
        """Events with ``seq > after`` (optionally of one day), oldest first."""
        query = "SELECT seq, at, day, type, data, op, node, request_id FROM events WHERE seq > ?"
        params: list[Any] = [after]
        if day is not None:
            query += " AND day = ?"
            params.append(day)
        for row in self._db.execute(query + " ORDER BY seq", params):
            yield StoredEvent(int(row[0]), float(row[1]), str(row[2]), str(row[3]),
                              json.loads(row[4]), str(row[5]), str(row[6]), row[7])

    def days(self) -> list[str]:
        """Every hall-local day the journal holds, oldest first."""
        return [str(r[0]) for r in self._db.execute("SELECT DISTINCT day FROM events ORDER BY day")]

    def sync_anchor(self, wait: bool = False) -> None:
        """Have the anchor written if appends happened since it last was (the broker's loop).

        Args:
            wait: return only once it is written (or its write failed); otherwise the
                anchor's own thread writes it while the caller goes on.
        """
        if self.anchor is not None:
            self.anchor.sync()
            if wait:
                self.anchor.settle(lag_s=0)

    def close(self) -> None:
        """Close the file; further use raises."""
        if self.anchor is not None:
            self.anchor.close()
        self._db.close()
