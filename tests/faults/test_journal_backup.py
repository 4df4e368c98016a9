"""Backups of the journal and ``callnext journal verify|backup|restore`` (issue 11, item 4).

Backups are SQLite online backups, verified after writing, with the anchor beside
them, rotated; restoring an older one is a rollback that needs the operator's
decision, exactly like a journal restored by hand.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from broker.anchor import ANCHOR_NAME, read_anchor
from broker.backup import (
    BackupError,
    BackupSchedule,
    backup_journal,
    backups_in,
    verify_journal,
)
from broker.journal import JOURNAL_NAME
from callnext.demo import start_broker, stop_broker
from config.journal import JournalSettings
from protocol.client import RequestClient
from protocol.errors import CommandRefused
from tests.faults.disk_tools import run_broker_once, start_and_stop
from tests.faults.fault_tools import BrokerProcess, write_hall

pytestmark = pytest.mark.e2e


def callnext(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "callnext", "--log-level", "WARNING", *args],
                          capture_output=True, text=True, timeout=60)


def _issue(broker: BrokerProcess, count: int, last_id: str | None = None) -> str:
    with broker.client("kiosk-1") as kiosk:
        for _ in range(count - 1):
            kiosk.request("issue_ticket", {"service": "general"})
        return str(kiosk.request("issue_ticket", {"service": "general"},
                                 request_id=last_id)["ticket"])


def test_backup_restore_of_an_older_copy_is_a_rollback_that_needs_a_decision(
        tmp_path: Path) -> None:
    config, data, stick = write_hall(tmp_path), tmp_path / "data", tmp_path / "usb"
    broker = BrokerProcess(config, data)
    broker.start()
    try:
        _issue(broker, 5)
        made = callnext("journal", "backup", "--data", str(data), "--to", str(stick))
        assert made.returncode == 0, made.stderr
        assert "verified" in made.stdout
        assert _issue(broker, 3, last_id="kiosk-1-late") == "A008"
        busy = callnext("journal", "restore", str(backups_in(stick)[-1]), "--data", str(data))
        assert busy.returncode != 0 and "systemctl stop" in busy.stderr
    finally:
        broker.stop()
    (backup,) = backups_in(stick)
    assert read_anchor(backup.with_suffix(".anchor")) is not None
    checked = callnext("journal", "verify", "--file", str(backup))
    assert checked.returncode == 0 and "OK" in checked.stdout

    restored = callnext("journal", "restore", str(backup), "--data", str(data))
    assert restored.returncode == 0, restored.stderr
    assert "BEHIND" in restored.stdout
    assert list(data.glob(f"{JOURNAL_NAME}.before-restore-*")), "the replaced journal is kept"
    assert run_broker_once(config, data).returncode != 0
    start_and_stop(config, data, "--accept-journal-rollback")
    broker.start()
    try:
        assert _issue(broker, 1) == "A009"
        with pytest.raises(CommandRefused) as forgotten, broker.client("kiosk-1") as kiosk:
            kiosk.request("issue_ticket", {"service": "general"}, request_id="kiosk-1-late")
        assert forgotten.value.code == "journal_rolled_back"
    finally:
        broker.stop()
    assert callnext("journal", "verify", "--data", str(data)).returncode == 0


def test_a_damaged_backup_is_not_restored(tmp_path: Path) -> None:
    config, data = write_hall(tmp_path), tmp_path / "data"
    broker = BrokerProcess(config, data)
    broker.start()
    broker.stop()
    bad = tmp_path / "journal-20260101T000000-manual.sqlite3"
    bad.write_bytes(b"SQLite format 3\x00" + b"\xff" * 4000)
    assert callnext("journal", "verify", "--file", str(bad)).returncode == 1
    refused = callnext("journal", "restore", str(bad), "--data", str(data))
    assert refused.returncode != 0 and "nothing was changed" in refused.stderr
    assert verify_journal(data / JOURNAL_NAME).ok


def test_scheduled_backups_every_n_minutes_and_at_day_end_are_rotated(tmp_path: Path) -> None:
    config, data, stick = write_hall(tmp_path), tmp_path / "data", tmp_path / "usb"
    broker = BrokerProcess(config, data)
    broker.start()
    _issue(broker, 2)
    broker.stop()
    now = [0.0]
    schedule = BackupSchedule(
        JournalSettings(backup_dir=str(stick), backup_minutes=10, keep=2, keep_days=1),
        data / JOURNAL_NAME, data / ANCHOR_NAME, monotonic=lambda: now[0])
    schedule.poll("2026-12-01")
    schedule.close()
    assert not backups_in(stick), "nothing is due before N minutes"
    for step in range(3):
        now[0] += 601
        schedule.poll("2026-12-01")
        schedule.close()
        assert schedule.last is not None and schedule.last.ok and schedule.last.seq >= 3
        if step < 2:
            time.sleep(1.05)  # backups are named by the second they were taken
    assert len(list(stick.glob("journal-*-periodic.sqlite3"))) == 2, "rotated to keep = 2"
    assert len(list(stick.glob("journal-*-periodic.anchor"))) == 2
    schedule.poll("2026-12-02")
    schedule.close()
    assert len(list(stick.glob("journal-*-day.sqlite3"))) == 1


def test_a_backup_that_cannot_be_written_leaves_no_file_under_a_final_name(
        tmp_path: Path) -> None:
    config, data = write_hall(tmp_path), tmp_path / "data"
    broker = BrokerProcess(config, data)
    broker.start()
    broker.stop()
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the backup directory should be")
    with pytest.raises(BackupError, match="backup disk"):
        backup_journal(data / JOURNAL_NAME, data / ANCHOR_NAME, blocked)


def test_the_running_broker_backs_up_when_the_day_changes(tmp_path: Path) -> None:
    """The broker's loop drives the schedule: a day-end backup with [journal] backup_dir."""
    stick = tmp_path / "usb"
    config = write_hall(tmp_path)
    config.write_text(config.read_text(encoding="utf-8")
                      + f'\n[journal]\nbackup_dir = "{stick.as_posix()}"\n', encoding="utf-8")
    process, endpoints = start_broker(str(config), tmp_path / "data",
                                      clock_start="2026-11-25T23:59:57")
    try:
        with RequestClient(endpoints["commands"], "kiosk-1") as kiosk:
            kiosk.request("issue_ticket", {"service": "general"})
        deadline = time.monotonic() + 30
        while not list(stick.glob("journal-*-day.sqlite3")) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        stop_broker(process)
    (day_end,) = stick.glob("journal-*-day.sqlite3")
    assert verify_journal(day_end).ok and day_end.with_suffix(".anchor").exists()


def test_a_failing_backup_reaches_staff_as_an_alert_and_clears_when_it_works(
        tmp_path: Path) -> None:
    """A USB stick that cannot be written raises the broker's own ``backup`` fault alert (in
    the view, worded from the catalogue); the next good backup clears it."""
    from broker.journal import Journal
    from broker.service import BrokerService
    from config.load import load_hall
    from runtime.messages import alert_text

    config, data, stick = write_hall(tmp_path), tmp_path / "data", tmp_path / "usb"
    broker = BrokerProcess(config, data)
    broker.start()
    _issue(broker, 1)
    broker.stop()
    stick.write_text("a file where the backup directory should be")
    now = [0.0]
    schedule = BackupSchedule(JournalSettings(backup_dir=str(stick), backup_minutes=10),
                              data / JOURNAL_NAME, data / ANCHOR_NAME, monotonic=lambda: now[0])
    assert schedule.health_change() is None, "nothing to tell before the first backup"
    now[0] += 601
    schedule.poll("2026-12-01")
    schedule.close()
    change = schedule.health_change()
    assert change == ("fault", "backup_failed")
    assert schedule.health_change() is None, "told once"

    journal = Journal(tmp_path / "service.sqlite3")
    service = BrokerService(load_hall(config), journal, clock=lambda: 1795570000.0)
    try:
        assert service.report_own_health("backup", *change)
        alerts = [a for a in service.view["alerts"].values() if a["key"] == "node:broker/backup"]
        assert alerts and alerts[0]["code"] == "node_fault"
        assert "U盘" in alert_text(alerts[0]["code"], alerts[0]["params"], "zh")
        assert "USB stick" in alert_text(alerts[0]["code"], alerts[0]["params"], "en")

        stick.unlink()
        now[0] += 601
        schedule.poll("2026-12-01")
        schedule.close()
        assert schedule.last is not None and schedule.last.ok
        cleared = schedule.health_change()
        assert cleared == ("ok", "")
        service.report_own_health("backup", *cleared)
        assert "node:broker/backup" not in service.view["alerts"]
    finally:
        journal.close()
