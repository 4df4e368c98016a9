"""A full or read-only disk at start is reported as such; a healthy journal is never moved.

Damage is decided by reading (SQLite's integrity check), never by a write that
failed: the broker exits non-zero with a message naming the filesystem's problem,
nothing in the data directory is renamed, and once the disk is fine again the
next start carries on from the same journal (no visitor's number is reissued).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from broker.journal import JOURNAL_NAME
from tests.faults.disk_tools import (
    CAN_MOUNT,
    file_size_limit,
    fill,
    read_only,
    run_broker_once,
    small_filesystem,
)
from tests.faults.fault_tools import BrokerProcess, write_hall

pytestmark = pytest.mark.e2e

TICKETS = 5
RESTARTS = int(os.environ.get("CALLNEXT_DISK_RESTARTS", "2"))
"""Refused starts on the full disk (systemd restarts the broker); the soak run raises it."""


def _serve_some_tickets(config: Path, data: Path) -> None:
    broker = BrokerProcess(config, data)
    broker.start()
    try:
        with broker.client("kiosk-1") as kiosk:
            for _ in range(TICKETS):
                kiosk.request("issue_ticket", {"service": "general"})
    finally:
        broker.stop()


def _assert_untouched(data: Path, before: set[str]) -> None:
    names = {p.name for p in data.iterdir()} - {"filler"}
    assert not [n for n in names if "damaged" in n], f"a healthy journal was set aside: {names}"
    assert before <= names, f"files vanished from the data directory: {before - names}"
    # immutable: no shared-memory file is needed, so this works on the full disk too.
    db = sqlite3.connect(f"file:{data / JOURNAL_NAME}?mode=ro&immutable=1", uri=True)
    try:
        assert db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    finally:
        db.close()


def _next_ticket_after_recovery(config: Path, data: Path) -> str:
    broker = BrokerProcess(config, data)
    broker.start()
    try:
        with broker.client("kiosk-1") as kiosk:
            return str(kiosk.request("issue_ticket", {"service": "general"})["ticket"])
    finally:
        broker.stop()


def test_a_full_filesystem_at_start_is_reported_and_nothing_is_moved(tmp_path: Path) -> None:
    config = write_hall(tmp_path)
    with small_filesystem(tmp_path / "disk") as disk:
        data = disk / "data"
        _serve_some_tickets(config, data)
        before = {p.name for p in data.iterdir()}
        filler = fill(disk)
        for _ in range(RESTARTS):  # systemd restarts it: no start may move it
            outcome = run_broker_once(config, data)
            assert outcome.returncode != 0
            assert "full" in outcome.stderr and "nothing was moved" in outcome.stderr.lower()
            _assert_untouched(data, before)
        filler.unlink()
        assert _next_ticket_after_recovery(config, data) == f"A{TICKETS + 1:03d}"


def test_a_write_limit_at_start_is_reported_and_nothing_is_moved(tmp_path: Path) -> None:
    """Without root: the file-size limit makes every write fail as on a full disk."""
    config, data = write_hall(tmp_path), tmp_path / "data"
    _serve_some_tickets(config, data)
    before = {p.name for p in data.iterdir()}
    outcome = run_broker_once(config, data, preexec=file_size_limit(0))
    assert outcome.returncode != 0
    assert "nothing was moved" in outcome.stderr.lower()
    _assert_untouched(data, before)
    assert _next_ticket_after_recovery(config, data) == f"A{TICKETS + 1:03d}"


def test_a_read_only_data_directory_is_reported_and_nothing_is_moved(tmp_path: Path) -> None:
    config, data = write_hall(tmp_path), tmp_path / "data"
    _serve_some_tickets(config, data)
    before = {p.name for p in data.iterdir()}
    if not CAN_MOUNT:
        pytest.skip("root ignores directory permissions; a read-only mount needs root")
    with read_only(data):
        outcome = run_broker_once(config, data)
        assert outcome.returncode != 0
        assert "read-only" in outcome.stderr and "nothing was moved" in outcome.stderr.lower()
    _assert_untouched(data, before)
    assert _next_ticket_after_recovery(config, data) == f"A{TICKETS + 1:03d}"
