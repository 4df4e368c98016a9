"""Backups of the journal: SQLite's online backup, verified, with the anchor, rotated.

A backup is taken while the broker runs (SQLite's backup API reads a consistent
snapshot beside the writer), written under a temporary name, checked with
``PRAGMA integrity_check``, flushed and only then given its final name, so a
file named ``journal-*.sqlite3`` in the backup directory is always a whole,
verified journal. The anchor is copied beside it (``journal-*.anchor``): it
remembers how far the hall had got when the backup was taken, so a restore onto
a new SD card still knows which numbers were handed out.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from broker.anchor import read_anchor, write_anchor
from config.journal import JournalSettings
from foundation.errors import CallnextError

log = logging.getLogger(__name__)

KINDS = ("periodic", "day", "manual")
"""Why a backup was taken; each kind is rotated on its own."""


class BackupError(CallnextError):
    """A backup could not be written or did not verify; the journal itself is untouched."""


@dataclass(frozen=True)
class Verified:
    """What reading a journal file found.

    Attributes:
        path: the file.
        problems: what is wrong, one sentence each (empty when it is whole).
        seq: its last event's seq.
        events: how many events it holds.
        hall_id: its hall id (None for a journal older than identities).
        epoch: its epoch (likewise).
        days: its first and last hall-local day, if any.
    """

    path: Path
    problems: tuple[str, ...]
    seq: int = 0
    events: int = 0
    hall_id: str | None = None
    epoch: str | None = None
    days: tuple[str, str] | None = None

    @property
    def ok(self) -> bool:
        """True when the file is a whole callnext journal."""
        return not self.problems


def verify_journal(path: Path) -> Verified:
    """Read ``path`` and check it: SQLite's integrity check and a gap-free event table.

    Only reads: nothing is moved or changed (a live journal may be verified).
    """
    if not path.is_file():
        return Verified(path, (f"{path} does not exist",))
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            check = "; ".join(str(r[0]) for r in db.execute("PRAGMA integrity_check"))
            count, first, last = db.execute(
                "SELECT COUNT(*), MIN(seq), MAX(seq) FROM events").fetchone()
            days = db.execute("SELECT MIN(day), MAX(day) FROM events").fetchone()
            meta = dict(db.execute("SELECT key, value FROM meta")) if db.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone() else {}
        finally:
            db.close()
    except sqlite3.Error as err:
        return Verified(path, (f"{path} cannot be read as a journal: {err}",))
    problems = [] if check == "ok" else [f"integrity check: {check}"]
    if count and (first != 1 or last != count):
        problems.append(f"events are not numbered 1..{count} without gaps "
                        f"(seq {first} to {last})")
    return Verified(path, tuple(problems), int(last or 0), int(count), meta.get("hall_id"),
                    meta.get("epoch"), None if days[0] is None else (days[0], days[1]))


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_journal(journal: Path, anchor: Path, target: Path, *, kind: str = "manual",
                   keep: int = 48, keep_days: int = 400) -> Verified:
    """Back up ``journal`` (and ``anchor``) into ``target``, verify it, rotate old ones.

    Returns:
        The verified backup.

    Raises:
        BackupError: it could not be written or did not verify (nothing is left
            under a final name then).
    """
    stamp = time.strftime("%Y%m%dT%H%M%S")
    final = target / f"journal-{stamp}-{kind}.sqlite3"
    partial = final.with_name(final.name + ".partial")
    try:
        target.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
        copy = sqlite3.connect(partial)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
            source.close()
        verified = verify_journal(partial)
        if not verified.ok:
            raise BackupError(f"the backup {partial} did not verify: "
                              f"{'; '.join(verified.problems)}")
        _fsync_path(partial)
        partial.replace(final)
        found = read_anchor(anchor)
        if found is not None:
            write_anchor(final.with_suffix(".anchor"), found)
        _fsync_path(target)
    except (sqlite3.Error, OSError, CallnextError) as err:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        if isinstance(err, BackupError):
            raise
        raise BackupError(f"the journal could not be backed up to {target}: {err}. Check "
                          f"that the backup disk is mounted, writable and has space.") from err
    rotate(target, kind, keep_days if kind == "day" else keep)
    return Verified(final, (), verified.seq, verified.events, verified.hall_id,
                    verified.epoch, verified.days)


def rotate(target: Path, kind: str, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups of ``kind`` (and their anchors)."""
    backups = sorted(target.glob(f"journal-*-{kind}.sqlite3"))
    removed = backups[:-keep] if keep > 0 else backups
    for path in removed:
        path.unlink(missing_ok=True)
        path.with_suffix(".anchor").unlink(missing_ok=True)
    return removed


def backups_in(target: Path) -> list[Path]:
    """Every finished backup in ``target``, oldest first."""
    return sorted(target.glob("journal-*.sqlite3"), key=lambda p: p.name.split("-")[1])


def copy_durably(source: Path, destination: Path) -> None:
    """Copy a file so that ``destination`` appears whole or not at all."""
    partial = destination.with_name(destination.name + ".partial")
    shutil.copyfile(source, partial)
    _fsync_path(partial)
    partial.replace(destination)
    _fsync_path(destination.parent)


class BackupSchedule:
    """Backups from the broker's loop: every N minutes and when the day changes.

    The backup runs in a thread of its own (a USB stick can take seconds), one at
    a time; a failure is logged and the next one is tried on schedule.
    """

    def __init__(self, settings: JournalSettings, journal: Path, anchor: Path, *,
                 day: str | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        """Back up ``journal`` and ``anchor`` per ``settings``; ``day``: the hall's day now."""
        if settings.backup_dir is None:
            raise ValueError("no backup_dir in the [journal] settings")
        self.settings = settings
        self.target = Path(settings.backup_dir)
        self.journal, self.anchor = journal, anchor
        self._monotonic = monotonic
        self._next_at = monotonic() + settings.backup_minutes * 60
        self._day = day
        self._thread: threading.Thread | None = None
        self.last: Verified | None = None
        """The newest backup taken by this schedule."""
        self._failed = False
        self._told: bool | None = None

    def health_change(self) -> tuple[str, str] | None:
        """``(status, detail)`` for the staff alert when backing up started or stopped failing.

        Called from the broker's loop (the one writer), which reports it as the broker's own
        ``backup`` health: a failing USB stick reaches staff like a printer out of paper.
        """
        failed = self._failed
        if failed == self._told or (self._told is None and not failed):
            return None
        self._told = failed
        return ("fault", "backup_failed") if failed else ("ok", "")

    def poll(self, day: str | None) -> None:
        """Start a backup if one is due; cheap when none is. ``day``: the hall's day now."""
        if self._thread is not None and self._thread.is_alive():
            return
        kind = None
        if self._day is not None and day != self._day:
            kind = "day"
        elif self._monotonic() >= self._next_at:
            kind = "periodic"
        self._day = day
        if kind is None:
            return
        self._next_at = self._monotonic() + self.settings.backup_minutes * 60
        self._thread = threading.Thread(target=self._run, args=(kind,), daemon=True,
                                        name=f"journal-backup-{kind}")
        self._thread.start()

    def _run(self, kind: str) -> None:
        try:
            self.last = backup_journal(self.journal, self.anchor, self.target, kind=kind,
                                       keep=self.settings.keep,
                                       keep_days=self.settings.keep_days)
        except BackupError as err:
            log.error("%s", err)
            self._failed = True
            return
        self._failed = False
        log.info("journal backed up to %s (seq %d, verified)", self.last.path, self.last.seq)

    def close(self, timeout_s: float = 30.0) -> None:
        """Wait for a backup in progress (the journal is closed after this)."""
        if self._thread is not None:
            self._thread.join(timeout_s)
