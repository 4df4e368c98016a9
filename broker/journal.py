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
  malformed). The file is moved aside, and a new journal is rebuilt from every
  event that can still be read in order from seq 1, with the replies of their
  requests; the log says how many events were kept and where the damaged file is.
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from broker.rules import Event
from foundation.errors import CallnextError

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
"""


class JournalError(CallnextError):
    """The journal cannot be read or written; the command was not acknowledged."""


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


_WAL_MAGICS = (0x377F0682, 0x377F0683)  # little- / big-endian checksums
_WAL_HEADER = 32
_FRAME_HEADER = 24


@dataclass(frozen=True)
class WalTail:
    """What ``inspect_wal`` found: bytes of the log SQLite will use, and an unusable tail.

    Attributes:
        size: the log's size in bytes.
        committed_end: offset just after the last complete transaction.
        torn_bytes: bytes of an incomplete write after it (0 when the log is clean).
        header_ok: False when the log's header itself is damaged, so SQLite will
            ignore every transaction in it that was not yet copied to the database.
    """

    size: int
    committed_end: int
    torn_bytes: int
    header_ok: bool


def _wal_checksum(data: bytes, s0: int, s1: int, big_endian: bool) -> tuple[int, int]:
    """SQLite's WAL checksum (fibonacci-weighted sums of 32-bit words) continued over ``data``."""
    words = struct.unpack(f"{'>' if big_endian else '<'}{len(data) // 4}I", data)
    for i in range(0, len(words), 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def inspect_wal(path: Path) -> WalTail | None:
    """Check a write-ahead log the way SQLite's recovery reads it (header, salts, checksums).

    Frames after the last commit frame that belong to the current log generation
    (same salts), or a partial frame, are the trace of a write cut short. Whole
    frames with other salts are stale leftovers of an earlier generation, which
    SQLite reuses the file over; they are not damage.

    Returns:
        None when there is no log (or it is empty).
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if not data:
        return None
    if len(data) < _WAL_HEADER:
        return WalTail(len(data), 0, len(data), header_ok=False)
    magic, _version, page_size, _ckpt, salt1, salt2, c1, c2 = struct.unpack(
        ">8I", data[:_WAL_HEADER])
    big_endian = magic == _WAL_MAGICS[1]
    if magic not in _WAL_MAGICS or page_size < 512 or page_size & (page_size - 1) or \
            _wal_checksum(data[:24], 0, 0, big_endian) != (c1, c2):
        return WalTail(len(data), 0, len(data), header_ok=False)
    frame = _FRAME_HEADER + page_size
    s0, s1 = c1, c2
    offset = committed_end = _WAL_HEADER
    while offset + frame <= len(data):
        _page, commit, f_salt1, f_salt2, f1, f2 = struct.unpack(
            ">6I", data[offset:offset + _FRAME_HEADER])
        if (f_salt1, f_salt2) != (salt1, salt2):
            break
        s0, s1 = _wal_checksum(data[offset:offset + 8], s0, s1, big_endian)
        s0, s1 = _wal_checksum(data[offset + _FRAME_HEADER:offset + frame], s0, s1, big_endian)
        if (s0, s1) != (f1, f2):
            break
        offset += frame
        if commit:
            committed_end = offset
    torn = offset - committed_end
    rest = data[offset:]
    if rest:
        same_generation = len(rest) >= 16 and struct.unpack(">2I", rest[8:16]) == (salt1, salt2)
        if same_generation or (len(data) - _WAL_HEADER) % frame:
            torn += len(rest)
    return WalTail(len(data), committed_end, torn, header_ok=True)


def _stamp() -> str:
    return time.strftime("%Y%m%dT%H%M%S")


class Journal:
    """The broker's journal file. Not thread-safe: the broker's one loop owns it."""

    def __init__(self, path: str | Path) -> None:
        """Open (or create) the journal at ``path``.

        Raises:
            JournalError: the file cannot be opened or is not a callnext journal.
        """
        self.path = Path(path)
        self.recovered: list[str] = []
        """What was found and done on open, one sentence each (also logged)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._check_wal()
            problem = self._damage()
            if problem is not None:
                self._rebuild(problem)
            self._db = self._connect(self.path)
        except (sqlite3.Error, OSError) as err:
            raise JournalError(
                f"cannot open the journal {self.path}: {err}. Check that the data directory "
                "exists, is writable by the broker's user and has free space."
            ) from err

    @classmethod
    def open_read_only(cls, path: str | Path) -> Journal:
        """Open an existing journal only to read it, even while a broker writes it.

        Nothing is created, written, checkpointed or moved aside (``_read_only_connection``);
        a damaged file is refused, not repaired. Raises JournalError.
        """
        journal = cls.__new__(cls)
        journal.path = Path(path)
        journal.recovered = []
        journal._db = _read_only_connection(journal.path)
        return journal

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
        shutil.copy2(wal, copy)
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
        """Why the database file is unusable, or None when ``quick_check`` passes."""
        if not self.path.exists():
            return None
        try:
            db = sqlite3.connect(self.path, isolation_level=None)
            try:
                rows = db.execute("PRAGMA quick_check").fetchall()
                db.execute("SELECT MAX(seq) FROM events").fetchone()
            finally:
                db.close()
        except sqlite3.OperationalError as err:
            if "no such table" in str(err):
                return None  # created but not yet initialised: the schema is added below
            return str(err)
        except sqlite3.DatabaseError as err:
            return str(err)
        result = "; ".join(str(row[0]) for row in rows)
        return None if result == "ok" else result

    def _rebuild(self, problem: str) -> None:
        """Move the damaged file aside; rebuild from the events still readable in order."""
        stamp = _stamp()
        aside = self.path.with_name(f"{self.path.name}.damaged-{stamp}")
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                source.replace(Path(f"{aside}{suffix}"))
        events, replies, stopped = _salvage(aside)
        db = self._connect(self.path)
        try:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(
                "INSERT INTO events(seq, at, day, type, data, op, node, request_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", events)
            db.executemany("INSERT OR REPLACE INTO requests(id, at, op, node, reply) "
                           "VALUES (?, ?, ?, ?, ?)", replies)
            db.execute("COMMIT")
        finally:
            db.close()
        self._note(
            f"journal {self.path} was damaged ({problem}); it was moved to {aside} and a new "
            f"journal was rebuilt with the {len(events)} events readable in order "
            f"(seq 1 to {len(events)}) and the replies to their {len(replies)} requests. "
            + (f"Reading stopped at seq {len(events) + 1}: {stopped}. Events after that are "
               f"only in the damaged file; check the hall's state before opening." if stopped
               else "Nothing readable was lost."))

    def append(self, entries: Sequence[Entry], *, op: str, node: str,
               request_id: str | None, reply: bytes | None, at: float) -> list[int]:
        """Write events and the reply they answer in one durable transaction.

        Returns:
            The sequence numbers given to the events, in order.

        Raises:
            JournalError: nothing was written (disk full, read-only, I/O error).
        """
        try:
            self._db.execute("BEGIN IMMEDIATE")
            seqs = []
            for entry in entries:
                cursor = self._db.execute(
                    "INSERT INTO events(at, day, type, data, op, node, request_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (entry.event.at, entry.day, entry.event.type,
                     json.dumps(entry.event.data, ensure_ascii=False, separators=(",", ":")),
                     op, node, request_id),
                )
                seqs.append(int(cursor.lastrowid or 0))
            if request_id is not None and reply is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO requests(id, at, op, node, reply) VALUES (?, ?, ?, ?, ?)",
                    (request_id, at, op, node,
                     reply.decode("utf-8")),
                )
            self._db.execute("COMMIT")
            return seqs
        except sqlite3.Error as err:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                log.debug("rollback after failed append also failed", exc_info=True)
            raise JournalError(
                f"the journal {self.path} could not be written ({err}); the command was not "
                "carried out. Free disk space or fix the filesystem, then retry."
            ) from err

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

    def close(self) -> None:
        """Close the file; further use raises."""
        self._db.close()


def _read_only_connection(path: Path) -> sqlite3.Connection:
    """A connection that only reads ``path`` and leaves no file behind in its folder.

    With a write-ahead log beside the file (a running broker, or one stopped by a power cut)
    SQLite reads through it in ``mode=ro``. Without one, ``mode=ro`` would create ``-wal`` and
    ``-shm`` files (owned by whoever reads, locking the broker's user out; impossible in a
    read-only folder), so the file is read ``immutable``: no writer is active then.
    """
    live = Path(f"{path}-wal").exists()
    uri = path.absolute().as_uri() + ("?mode=ro" if live else "?mode=ro&immutable=1")
    unreadable = "check that this user may read it (and its -wal and -shm files, if any)"
    try:
        db = sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as err:
        raise JournalError(f"cannot read the journal {path}: {err}; {unreadable}") from err
    try:
        rows = db.execute("PRAGMA quick_check").fetchall()
        db.execute("SELECT MAX(seq) FROM events").fetchone()
    except sqlite3.OperationalError as err:
        db.close()
        raise JournalError(f"cannot read the journal {path}: {err}; {unreadable}") from err
    except sqlite3.DatabaseError as err:
        rows = [(str(err),)]
    found = "; ".join(str(row[0]) for row in rows)
    if found != "ok":
        db.close()
        raise JournalError(
            f"the journal {path} is damaged ({found}); it was left exactly as it is. "
            "Starting the broker on it sets the damaged file aside and rebuilds a journal from "
            "the events still readable; report from that, or from a backup copy.")
    return db


def _salvage(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], str | None]:
    """Events readable from a damaged journal in order from seq 1, and their requests' replies.

    Reading stops at the first error or gap: replaying events past a hole would
    rebuild a queue that never existed. Replies are kept only for requests whose
    events were all kept, so a retry is never answered for an effect that is gone.

    Returns:
        ``(event rows, request rows, why reading stopped or None)``.
    """
    events: list[tuple[Any, ...]] = []
    replies: list[tuple[Any, ...]] = []
    stopped: str | None = None
    work = path.with_name(f"{path.name}.salvage")
    try:
        for suffix in ("", "-wal"):
            if Path(f"{path}{suffix}").exists():
                shutil.copyfile(f"{path}{suffix}", f"{work}{suffix}")
        _pad_to_header_size(work)
        db = sqlite3.connect(work, isolation_level=None)
    except (sqlite3.Error, OSError) as err:
        _remove(work)
        return events, replies, str(err)
    try:
        try:
            cursor = db.execute("SELECT seq, at, day, type, data, op, node, request_id "
                                "FROM events ORDER BY seq")
            for row in cursor:
                if int(row[0]) != len(events) + 1:
                    stopped = f"seq {len(events) + 1} is missing"
                    break
                json.loads(row[4])
                events.append(tuple(row))
        except (sqlite3.Error, ValueError, TypeError) as err:
            stopped = str(err) or type(err).__name__
        kept_ids = {row[7] for row in events if row[7] is not None}
        lost_ids: set[str] = set()
        if stopped is not None:
            # Requests with an event past the break lost part of their effect.
            try:
                for (rid,) in db.execute("SELECT request_id FROM events WHERE seq > ?",
                                         (len(events),)):
                    lost_ids.add(rid)
            except sqlite3.Error:
                lost_ids = set()
        try:
            # Row by row: the rows read before a damaged page are kept.
            for row in db.execute("SELECT id, at, op, node, reply FROM requests"):
                if row[0] in kept_ids and row[0] not in lost_ids and _intact_reply(row):
                    replies.append(tuple(row))
        except sqlite3.Error as err:
            log.warning("part of the damaged journal's replies is unreadable (%s); a retry of "
                        "a request whose reply is gone will be judged afresh", err)
    finally:
        db.close()
        _remove(work)
    return events, replies, stopped


def _intact_reply(row: tuple[Any, ...]) -> bool:
    """A salvaged reply is kept only if it is still the JSON reply to its own request id."""
    try:
        reply = json.loads(row[4])
    except (ValueError, TypeError):
        return False
    return isinstance(reply, dict) and reply.get("id") == row[0]


def _pad_to_header_size(path: Path) -> None:
    """Zero-fill a truncated database file up to the size its header records.

    SQLite refuses to read even the schema of a file shorter than its header
    says (the tables' root pages lie "beyond the end"). Zero pages make the
    missing part readable as damage, so everything before it can be read.
    """
    with open(path, "r+b") as file:
        header = file.read(100)
        if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
            return
        page_size = struct.unpack(">H", header[16:18])[0]
        page_size = 65536 if page_size == 1 else page_size
        pages = struct.unpack(">I", header[28:32])[0]
        file.seek(0, 2)
        if file.tell() < pages * page_size:
            file.truncate(pages * page_size)


def _remove(work: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
