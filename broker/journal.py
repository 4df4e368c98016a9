"""The durable journal: one append-only SQLite event table, plus the replies already given.

SQLite runs in WAL mode with ``synchronous=FULL``, so a committed append has
reached the disk before the broker answers. Events and the reply to the
request that caused them are written in one transaction: after a power cut
either both exist or neither does, which is what makes retries exactly-once.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

from broker.rules import Event
from callnext.errors import CallnextError

log = logging.getLogger(__name__)

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


class Journal:
    """The broker's journal file. Not thread-safe: the broker's one loop owns it."""

    def __init__(self, path: str | Path) -> None:
        """Open (or create) the journal at ``path``.

        Raises:
            JournalError: the file cannot be opened or is not a callnext journal.
        """
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
        except (sqlite3.Error, OSError) as err:
            raise JournalError(
                f"cannot open the journal {self.path}: {err}. Check that the data directory "
                "exists, is writable by the broker's user and has free space."
            ) from err

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
        row = self._db.execute("SELECT reply FROM requests WHERE id = ?", (request_id,)).fetchone()
        return None if row is None else str(row[0]).encode("utf-8")

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
