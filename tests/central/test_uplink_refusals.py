"""A journal that disagrees with the central store is refused loudly; nothing central changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from broker.journal import JOURNAL_NAME, Journal
from tests.central.central_tools import (
    copy_journal,
    count,
    issue,
    rows,
    running,
    settings,
)
from tests.conftest import wait_for
from uplink.shipper import CentralHistoryError


def _shipped_then_restored(tmp_path: Path, dsn: str) -> Path:
    """100 events shipped; the journal replaced by its copy taken at seq 60."""
    data = tmp_path / "data"
    journal = Journal(data / JOURNAL_NAME)
    issue(journal, 60)
    copy_journal(data / JOURNAL_NAME, tmp_path / "backup" / JOURNAL_NAME)
    issue(journal, 40, first=61)
    with running(settings(dsn), data):
        assert wait_for(lambda: count(dsn) == 100)
    journal.close()
    shutil.rmtree(data)
    shutil.copytree(tmp_path / "backup", data)
    return data


def test_a_journal_restored_and_written_on_is_refused(tmp_path: Path, central_dsn: str) -> None:
    data = _shipped_then_restored(tmp_path, central_dsn)
    before = rows(central_dsn)
    reports: list[tuple[str, str]] = []
    journal = Journal(data / JOURNAL_NAME)
    issue(journal, 50, first=61, at=2_000_000_000.0, marker="after restore")  # seq 61..110
    with running(settings(central_dsn), data, report=lambda s, m: reports.append((s, m))) as run:
        assert wait_for(lambda: not run.thread.is_alive())
    assert isinstance(run.error, CentralHistoryError)
    assert "different event at seq 100" in str(run.error)
    assert reports and reports[-1][0] == "fault"
    assert reports[-1][1].startswith("central_stopped: hall 'hall-a'")
    assert rows(central_dsn) == before  # nothing overwritten, nothing added
    journal.close()


def test_a_journal_behind_the_central_store_is_refused(tmp_path: Path, central_dsn: str) -> None:
    data = _shipped_then_restored(tmp_path, central_dsn)
    before = rows(central_dsn)
    with running(settings(central_dsn), data) as run:
        assert wait_for(lambda: not run.thread.is_alive())
    assert isinstance(run.error, CentralHistoryError)
    assert "ends at seq 60" in str(run.error) and "seq 100" in str(run.error)
    assert rows(central_dsn) == before


def test_a_journal_replaced_while_the_uplink_runs_is_refused(
        tmp_path: Path, central_dsn: str) -> None:
    data = tmp_path / "data"
    journal = Journal(data / JOURNAL_NAME)
    issue(journal, 20)
    copy_journal(data / JOURNAL_NAME, tmp_path / "backup" / JOURNAL_NAME)
    issue(journal, 20, first=21)
    with running(settings(central_dsn), data) as run:
        assert wait_for(lambda: count(central_dsn) == 40)
        journal.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{data / JOURNAL_NAME}{suffix}").unlink(missing_ok=True)
        shutil.copy(tmp_path / "backup" / JOURNAL_NAME, data / JOURNAL_NAME)
        assert wait_for(lambda: not run.thread.is_alive())
    assert isinstance(run.error, CentralHistoryError)
    assert count(central_dsn) == 40


def test_another_journal_under_the_same_hall_id_is_refused(
        tmp_path: Path, central_dsn: str) -> None:
    for name in ("a", "b"):
        journal = Journal(tmp_path / name / JOURNAL_NAME)
        issue(journal, 10, marker=name)
        journal.close()
    with running(settings(central_dsn, "hall-a"), tmp_path / "a"):
        assert wait_for(lambda: count(central_dsn) == 10)
    with running(settings(central_dsn, "hall-a"), tmp_path / "b") as run:
        assert wait_for(lambda: not run.thread.is_alive())
    assert isinstance(run.error, CentralHistoryError)
    assert "two halls share this hall_id" in str(run.error)
    assert {r[2]["marker"] for r in rows(central_dsn)} == {"a"}


@pytest.mark.parametrize("dsn", ["host=db password=secret dbname=x",
                                 "postgresql://hall:secret@db/x"])
def test_a_password_in_the_dsn_is_refused(dsn: str) -> None:
    with pytest.raises(ValueError, match="must not carry the password"):
        settings(dsn)
