"""Opening the central connection: DSN from the hall file, password from its own file, TLS.

Shared by the uplink (which writes) and the web node's city view (which only reads)."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from config.central import CentralSettings
from foundation.errors import CallnextError

APPLICATION_NAME = "callnext-uplink"
"""Shown in ``pg_stat_activity``, so the city's DBA sees which sessions are halls'."""


class PasswordFileError(CallnextError):
    """The password file is missing, unreadable or readable by others."""

    exit_status = 2


def read_password(path: Path) -> str:
    """The password in ``path`` (first line), refused when group or others may read it.

    Raises:
        PasswordFileError: missing, unreadable, empty or too open; the message says the fix.
    """
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise PasswordFileError(
                f"the password file {path} may be read by its group or others (mode "
                f"{stat.S_IMODE(mode):04o}); restrict it: `sudo chmod 0600 {path}` (owner: the "
                f"uplink's user, callnext)")
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise PasswordFileError(f"cannot read the password file {path}: {err.strerror or err}; "
                                f"it must exist and be readable by the uplink's user") from err
    password = text.splitlines()[0].strip() if text.strip() else ""
    if not password:
        raise PasswordFileError(f"the password file {path} is empty; write the central "
                                f"database password on its first line")
    return password


def connection_options(settings: CentralSettings,
                       application_name: str = APPLICATION_NAME) -> dict[str, Any]:
    """Keyword arguments for ``psycopg.connect`` beside the DSN (password read now)."""
    options: dict[str, Any] = {
        "sslmode": settings.sslmode, "application_name": application_name,
        "connect_timeout": settings.connect_timeout_seconds,
        # A WAN that silently drops packets must fail the call, not hang it: TCP keepalives
        # and a send timeout bound every blocked read or write (the watchdog relies on it).
        "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
        "tcp_user_timeout": 30_000}
    if settings.sslrootcert is not None:
        options["sslrootcert"] = settings.sslrootcert
    if settings.password_file is not None:
        options["password"] = read_password(Path(settings.password_file))
    return options


def connect(settings: CentralSettings) -> Any:
    """An open ``psycopg.Connection`` to the central database (autocommit off).

    Raises:
        PasswordFileError: the password file cannot be used.
        psycopg.OperationalError: the database cannot be reached now (retried by the loop).
    """
    import psycopg

    return psycopg.connect(settings.dsn, **connection_options(settings))
