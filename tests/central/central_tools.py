"""Helpers of the central tests: a journal written by the broker's own Journal, a running uplink."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from broker.journal import JOURNAL_NAME, Entry, Journal
from broker.rules import Event
from config.central import CentralSettings
from config.example import example_path
from uplink.connect import connect
from uplink.loop import Uplink
from uplink.rows import GENESIS

DAY = "2026-12-02"
T0 = 1_796_169_600.0  # 2026-12-02 08:00 in Shanghai


def settings(dsn: str, hall_id: str = "hall-a", **more: Any) -> CentralSettings:
    """Fast settings for tests: no TLS on loopback, short polls and backoff."""
    values: dict[str, Any] = {"hall_id": hall_id, "dsn": dsn, "sslmode": "disable",
                              "poll_seconds": 0.02, "backoff_max_seconds": 0.3,
                              "batch_size": 50, **more}
    return CentralSettings.model_validate(values)


def issue(journal: Journal, count: int, *, first: int = 1, at: float = T0,
          marker: str = "", day: str = DAY, per_command: int = 1) -> None:
    """Append ``count`` ``ticket_issued`` events, ``per_command`` per durable transaction."""
    numbers = list(range(first, first + count))
    for start in range(0, count, per_command):
        entries = [Entry(Event("ticket_issued", at + number, {
            "ticket": f"A{number:03d}", "service": "general", "seq_in_service": number,
            "marker": marker}), day) for number in numbers[start:start + per_command]]
        journal.append(entries, op="issue_ticket", node="kiosk-1", request_id=None,
                       reply=None, at=at + numbers[start])


def copy_journal(source: Path, target: Path) -> None:
    """A consistent copy of a journal file (SQLite's online backup), as a backup tool makes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def rows(dsn: str, hall: str = "hall-a") -> list[tuple[Any, ...]]:
    """``(seq, type, data, digest, chain)`` of a hall's central rows, by seq."""
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT seq, type, data, digest, chain FROM callnext_events "
                            "WHERE hall = %s ORDER BY seq", (hall,)).fetchall()


def count(dsn: str, hall: str = "hall-a") -> int:
    """How many central rows the hall has (0 before the schema exists)."""
    try:
        with psycopg.connect(dsn) as conn:
            return int(conn.execute("SELECT count(*) FROM callnext_events WHERE hall = %s",
                                    (hall,)).fetchone()[0])
    except psycopg.errors.UndefinedTable:
        return 0


def chain_intact(found: list[tuple[Any, ...]]) -> bool:
    """Every row's chain is the hash of the previous chain and its digest, seqs 1..n."""
    chain = GENESIS
    for expected, (seq, _type, _data, digest, row_chain) in enumerate(found, start=1):
        chain = hashlib.sha256(chain + bytes(digest)).digest()
        if seq != expected or bytes(row_chain) != chain:
            return False
    return True


class Running:
    """An uplink on a thread; ``stop`` ends it and returns what it raised (or None)."""

    def __init__(self, uplink: Uplink) -> None:
        self.uplink = uplink
        self.stop_event = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.uplink.run(self.stop_event)
        except BaseException as err:  # noqa: BLE001 - handed to the test
            self.error = err

    def stop(self) -> BaseException | None:
        self.stop_event.set()
        self.thread.join(20)
        return self.error


@contextmanager
def running(chosen: CentralSettings, data: Path, **options: Any) -> Iterator[Running]:
    """An uplink shipping ``data``'s journal while the block runs."""
    uplink = Uplink(chosen, data / JOURNAL_NAME, connect=lambda: connect(chosen), **options)
    runner = Running(uplink)
    try:
        yield runner
    finally:
        runner.stop()


def hall_file(tmp: Path, central: str) -> Path:
    """The example hall with a ``[central]`` table appended."""
    path = tmp / "hall.toml"
    shutil.copy(example_path(), path)
    with path.open("a", encoding="utf-8") as out:
        out.write("\n[central]\n" + central)
    return path
