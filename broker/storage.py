"""Telling a damaged journal from a disk that cannot be written, and saying which it is.

A journal is damaged only when reading it says so (SQLite reports corruption, or
its integrity check fails). Everything else that goes wrong on open (a full
filesystem, one mounted read-only, missing permissions, an I/O error) is a
problem of where the journal lives: the file is left exactly where it is and the
broker stops with a message that names the filesystem's state.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26
_SQLITE_FULL = 13
_SQLITE_READONLY = 8
_SQLITE_CANTOPEN = 14
_SQLITE_PERM = 3

LOW_SPACE_BYTES = 1024 * 1024
"""Below this much free space a failed write is blamed on a full filesystem."""


def is_damage(err: BaseException) -> bool:
    """True when SQLite says the file itself is corrupt or not a database."""
    code = getattr(err, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB)
    return isinstance(err, sqlite3.DatabaseError) and not isinstance(
        err, sqlite3.OperationalError)


def _sqlite_code(err: BaseException) -> int | None:
    code = getattr(err, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def _free_bytes(directory: Path) -> tuple[int | None, bool]:
    """Free bytes for this user and whether the filesystem is mounted read-only."""
    probe = directory
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        stat = os.statvfs(probe)
    except OSError:
        return None, False
    return stat.f_bavail * stat.f_frsize, bool(stat.f_flag & os.ST_RDONLY)


def describe(directory: Path, err: BaseException) -> str:
    """One sentence on why ``directory`` cannot hold the journal, with what to do."""
    free, read_only = _free_bytes(directory)
    number = err.errno if isinstance(err, OSError) else None
    code = _sqlite_code(err)
    if read_only or number == errno.EROFS or code == _SQLITE_READONLY:
        return (f"the filesystem holding {directory} is read-only (an SD card the kernel "
                f"remounted read-only after errors, or a read-only mount): check the card "
                f"(`dmesg`), remount it read-write or replace it")
    if number in (errno.ENOSPC, errno.EFBIG) or code == _SQLITE_FULL or (
            free is not None and free < LOW_SPACE_BYTES):
        shown = "unknown" if free is None else f"{free} bytes"
        return (f"the filesystem holding {directory} is full ({shown} free): free space "
                f"(old logs, copies of journals) with `df -h {directory}` and `du`")
    if number in (errno.EACCES, errno.EPERM) or code == _SQLITE_PERM or (
            directory.exists() and not os.access(directory, os.W_OK)):
        return (f"the broker's user may not write in {directory}: give it the directory "
                f"(`chown callnext: {directory}`)")
    return (f"a read or write in {directory} failed ({err}): check the disk (`dmesg`) and "
            f"its free space")
