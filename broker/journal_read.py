"""Opening a journal only to read it, while a broker may be writing it (reports, backups)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from foundation.errors import CallnextError


class JournalError(CallnextError):
    """The journal cannot be read or written; the command was not acknowledged."""


class JournalUnavailable(JournalError):
    """The journal's filesystem cannot be used (full, read-only, no permission); nothing moved."""


def read_only_connection(path: Path) -> sqlite3.Connection:
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


def has_meta(db: sqlite3.Connection) -> bool:
    """Journals written before identities existed have no meta table."""
    row = db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
    return row.fetchone() is not None
