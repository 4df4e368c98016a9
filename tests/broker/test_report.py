"""The day report, computed from a journal written by the real broker service and rules.

One scripted morning (minutes after 09:00, counter preferences from ``small_hall``):

====  =================================================  =========================
 min  command                                            what the report sees
====  =================================================  =========================
   0  issue A001, 1 A002, 2 C001, 3 A003
   5  c1 call_next -> A001                               wait 5 (general, c1)
   6  c1 start                                           walk 1 (general, c1)
   8  c2 call_next -> C001                               wait 6 (reimburse, c2)
  10  c2 no_show C001
  11  c1 transfer A001 -> reimburse                      service 5 (general, c1)
  12  c2 call_ticket A003, reason (out of order)         wait 9 (general, c2)
  14  c2 start                                           walk 2 (general, c2)
  15  c1 call_next -> A002                               wait 14 (general, c1)
  16  revive C001
  18  c2 finish A003, rate 3                             service 4 (general, c2)
  19  c2 call_next -> A001 (its reimburse line)          wait 8 = 19-11 (reimburse, c2)
  20  issue C002
  21  c1 call_next: finish A002, call C001 (revived)     service 6 (general, c1); no wait
  24  c1 start                                           walk 3 = 24-21 (reimburse, c1)
  26  c1 finish C001, rate 1 (negative)                  service 2 (reimburse, c1)
  28  c2 call_next: finish A001, call C002               service 9 (reimburse, c2); wait 8
  30  c2 no_show C002                                    stays a no-show
====  =================================================  =========================

Then one ticket at 09:00 the next day, so the journal holds two days.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from broker.journal import JOURNAL_NAME, Journal, StoredEvent
from broker.report import print_report
from callnext.cli import main
from broker.report_figures import Figures, Report, ReportError, build_report, nearest_rank
from broker.report_render import format_report, write_csv
from broker.service import BrokerService
from config.load import effective_toml
from config.schema import Hall
from protocol import envelope
from tests.conftest import at, small_hall

DAY = "2026-11-25"
NEXT_DAY = "2026-11-26"
REASON = "visitor with an infant"


class Clock:
    """A clock the script sets to each command's minute."""

    def __init__(self) -> None:
        self.now = at("09:00")

    def __call__(self) -> float:
        return self.now


class Script:
    """Sends commands through ``BrokerService.handle`` and fails loudly on a refusal."""

    def __init__(self, hall: Hall, data_dir: Path) -> None:
        self.clock = Clock()
        self.journal = Journal(data_dir / JOURNAL_NAME)
        self.service = BrokerService(hall, self.journal, self.clock)
        self.count = 0

    def do(self, minute: float, op: str, node: str = "test-node", day: str = DAY,
           **args: Any) -> dict[str, Any]:
        self.clock.now = at("09:00", day=day) + minute * 60.0
        self.count += 1
        raw = envelope.encode_request(envelope.Request(f"r{self.count}", op, node, args))
        reply = json.loads(self.service.handle(raw).reply)
        assert reply["ok"], reply
        return dict(reply["result"])


def _write_day(hall: Hall, data_dir: Path) -> None:
    s = Script(hall, data_dir)
    for minute, service in ((0, "general"), (1, "general"), (2, "reimburse"), (3, "general")):
        s.do(minute, "issue_ticket", service=service)
    assert s.do(5, "call_next", counter=1)["ticket"] == "A001"
    s.do(6, "start", counter=1)
    assert s.do(8, "call_next", counter=2)["ticket"] == "C001"
    s.do(10, "no_show", counter=2)
    s.do(11, "transfer", counter=1, service="reimburse")
    called = s.do(12, "call_ticket", node="caller-2", counter=2, ticket="A003", reason=REASON)
    assert called["out_of_order"] is True
    s.do(14, "start", counter=2)
    assert s.do(15, "call_next", counter=1)["ticket"] == "A002"
    s.do(16, "revive", ticket="C001")
    s.do(18, "finish", counter=2)
    s.do(18, "rate", counter=2, score=3)
    assert s.do(19, "call_next", counter=2)["ticket"] == "A001"
    s.do(20, "issue_ticket", service="reimburse")
    assert s.do(21, "call_next", counter=1)["ticket"] == "C001"
    s.do(24, "start", counter=1)
    s.do(26, "finish", counter=1)
    assert s.do(26, "rate", counter=1, score=1)["negative"] is True
    assert s.do(28, "call_next", counter=2)["ticket"] == "C002"
    s.do(30, "no_show", counter=2)
    s.do(0, "issue_ticket", day=NEXT_DAY, service="general")
    s.journal.close()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data")
    _write_day(small_hall(), path)
    return path


@pytest.fixture(scope="module")
def events(data_dir: Path) -> list[StoredEvent]:
    journal = Journal(data_dir / JOURNAL_NAME)
    try:
        return list(journal.events())
    finally:
        journal.close()


@pytest.fixture(scope="module")
def report(events: list[StoredEvent]) -> Report:
    return build_report(small_hall(), events, DAY)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "hall.toml"
    path.write_text(effective_toml(small_hall()), encoding="utf-8")
    return path


# --- figures ---------------------------------------------------------------------------------

def test_counts_are_distinct_tickets_and_a_revived_served_ticket_is_no_no_show(
        report: Report) -> None:
    total = report.total
    assert (total.issued, total.called, total.finished) == (5, 5, 4)
    assert total.no_show == 1  # C002 only: C001 was revived and served
    assert total.no_show_rate == pytest.approx(1 / 5)


def test_wait_is_issue_to_first_call_and_transfer_to_next_call(report: Report) -> None:
    # Waits 5, 6, 9, 14 (first calls), 8 (A001 after its transfer), 8 (C002); the
    # revived C001's second call adds none.
    assert report.total.wait_mean_min == pytest.approx(50 / 6)
    assert report.total.wait_p90_min == pytest.approx(14.0)
    general, reimburse = report.per_service["general"], report.per_service["reimburse"]
    assert general.wait_mean_min == pytest.approx((5 + 9 + 14) / 3)
    assert general.wait_p90_min == pytest.approx(14.0)
    assert reimburse.wait_mean_min == pytest.approx((6 + 8 + 8) / 3)
    assert reimburse.wait_p90_min == pytest.approx(8.0)


def test_walk_runs_from_the_latest_call_to_start_where_started(report: Report) -> None:
    assert report.total.walk_mean_min == pytest.approx((1 + 2 + 3) / 3)
    assert report.per_service["general"].walk_mean_min == pytest.approx(1.5)
    # C001 was first called at 09:08 and never started then: 24 - 21, not 24 - 8.
    assert report.per_service["reimburse"].walk_mean_min == pytest.approx(3.0)


def test_service_times_include_transfers_under_the_service_left(report: Report) -> None:
    assert report.total.service_mean_min == pytest.approx((5 + 4 + 6 + 2 + 9) / 5)
    assert report.total.service_p90_min == pytest.approx(9.0)
    general, reimburse = report.per_service["general"], report.per_service["reimburse"]
    assert (general.service_mean_min, general.service_p90_min) == (pytest.approx(5.0), 6.0)
    assert (reimburse.service_mean_min, reimburse.service_p90_min) == (pytest.approx(5.5), 9.0)


def test_per_service_counts_follow_the_ticket_through_its_transfer(report: Report) -> None:
    general, reimburse = report.per_service["general"], report.per_service["reimburse"]
    assert (general.issued, general.called, general.finished, general.no_show) == (3, 3, 2, 0)
    assert (reimburse.issued, reimburse.called, reimburse.finished, reimburse.no_show) == (
        2, 3, 2, 1)
    assert general.no_show_rate == 0.0
    assert reimburse.no_show_rate == pytest.approx(1 / 3)


def test_per_counter_figures_are_what_that_counter_did(report: Report) -> None:
    c1, c2 = report.per_counter[1], report.per_counter[2]
    assert (c1.issued, c1.called, c1.finished, c1.no_show, c1.no_show_rate) == (
        None, 3, 2, 0, 0.0)
    assert (c2.called, c2.finished, c2.no_show, c2.no_show_rate) == (4, 2, 1, 0.25)
    assert (c1.wait_mean_min, c1.wait_p90_min) == (pytest.approx(9.5), pytest.approx(14.0))
    assert (c2.wait_mean_min, c2.wait_p90_min) == (pytest.approx(7.75), pytest.approx(9.0))
    assert (c1.walk_mean_min, c2.walk_mean_min) == (pytest.approx(2.0), pytest.approx(2.0))
    assert (c1.service_mean_min, c1.service_p90_min) == (pytest.approx(13 / 3), 6.0)
    assert (c2.service_mean_min, c2.service_p90_min) == (pytest.approx(6.5), 9.0)
    assert (c1.out_of_order, c2.out_of_order) == (0, 1)


def test_ratings_count_mean_and_negatives_per_scope(report: Report) -> None:
    assert (report.total.ratings, report.total.rating_mean, report.total.negative_ratings) == (
        2, 2.0, 1)
    c1, c2 = report.per_counter[1], report.per_counter[2]
    assert (c1.ratings, c1.rating_mean, c1.negative_ratings) == (1, 1.0, 1)
    assert (c2.ratings, c2.rating_mean, c2.negative_ratings) == (1, 3.0, 0)
    assert report.per_service["reimburse"].negative_ratings == 1
    assert report.per_service["general"].rating_mean == 3.0


def test_out_of_order_calls_are_counted_and_audited(report: Report) -> None:
    assert report.total.out_of_order == 1
    assert report.per_service["general"].out_of_order == 1
    assert report.out_of_order == [{
        "ticket": "A003", "counter": 2, "service": "general", "reason": REASON,
        "at": at("09:12"), "time": "09:12:00", "node": "caller-2",
    }]


def test_idle_scopes_are_listed_in_config_order_with_no_data(report: Report) -> None:
    assert list(report.per_service) == ["general", "reimburse", "priority", "appointment"]
    assert list(report.per_counter) == [1, 2, 3]
    idle = report.per_counter[3]
    assert (idle.called, idle.no_show_rate, idle.wait_mean_min, idle.rating_mean) == (
        0, None, None, None)


def test_events_of_other_days_are_ignored(events: list[StoredEvent]) -> None:
    hall = small_hall()
    only_day = build_report(hall, [e for e in events if e.day == DAY], DAY)
    assert build_report(hall, events, DAY) == only_day
    next_day = build_report(hall, events, NEXT_DAY)
    assert (next_day.total.issued, next_day.total.called) == (1, 0)


def test_a_revived_ticket_left_waiting_is_no_no_show(tmp_path: Path) -> None:
    s = Script(small_hall(), tmp_path)
    s.do(0, "issue_ticket", service="general")
    s.do(1, "call_next", counter=1)
    s.do(2, "no_show", counter=1)
    before = build_report(small_hall(), list(s.journal.events()), DAY).total
    s.do(3, "revive", ticket="A001")
    after = build_report(small_hall(), list(s.journal.events()), DAY).total
    s.journal.close()
    assert (before.no_show, after.no_show, after.called) == (1, 0, 1)


@pytest.mark.parametrize(("values", "expected"), [
    ([], None),
    ([7.0], 7.0),
    ([float(v) for v in range(1, 11)], 9.0),   # rank ceil(9.0) = 9
    ([float(v) for v in range(1, 12)], 10.0),  # rank ceil(9.9) = 10, no interpolation
    ([3.0, 1.0, 2.0], 3.0),                    # unsorted input
])
def test_p90_is_the_nearest_rank(values: list[float], expected: float | None) -> None:
    assert nearest_rank(values, 90.0) == expected


# --- output ----------------------------------------------------------------------------------

def test_csv_has_one_row_per_scope_and_one_column_per_figure(report: Report,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "day.csv"
    write_csv(report, path)
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["scope"] for r in rows] == [
        "total", "service:general", "service:reimburse", "service:priority",
        "service:appointment", "counter:1", "counter:2", "counter:3"]
    assert set(rows[0]) == {"day", "scope", *Figures.__dataclass_fields__}
    total, counter1 = rows[0], rows[5]
    assert (total["day"], total["issued"], total["no_show"]) == (DAY, "5", "1")
    assert (total["no_show_rate"], total["wait_mean_min"], total["wait_p90_min"]) == (
        "0.200", "8.333", "14.000")
    assert (counter1["issued"], counter1["negative_ratings"]) == ("", "1")
    assert rows[7]["wait_mean_min"] == ""


def test_text_report_is_bilingual_totals_first_one_decimal(report: Report) -> None:
    text = format_report(small_hall(), report)
    for name in ("综合业务", "General", "报销", "Reimbursement", "测试大厅", "Test Hall"):
        assert name in text
    lines = text.splitlines()
    total = next(i for i, line in enumerate(lines) if "合计 Total" in line)
    general = next(i for i, line in enumerate(lines) if "综合业务 General" in line)
    assert total < general
    assert lines[total].split()[2:] == ["5", "5", "4", "1", "20.0%", "2", "2.0", "1", "1"]
    times_total = [line for line in lines if "合计 Total" in line][1]
    assert times_total.split()[2:] == ["8.3", "14.0", "2.0", "5.2", "9.0"]
    assert f"A003 -> 2号窗口 counter 2  [caller-2]  {REASON}" in text


def test_text_report_marks_missing_figures_with_a_dash(report: Report) -> None:
    lines = format_report(small_hall(), report).splitlines()
    idle_times = [line for line in lines if "Y 优先办理 Priority" in line][1]
    assert idle_times.split()[3:] == ["-"] * 5


# --- the command -----------------------------------------------------------------------------

def test_print_report_defaults_to_the_newest_day_and_writes_csv(
        data_dir: Path, config_file: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out.csv"
    assert print_report(str(config_file), data_dir, None, csv_path=str(target)) == 0
    printed = capsys.readouterr().out
    assert f"Daily report {NEXT_DAY}" in printed
    with open(target, newline="", encoding="utf-8") as handle:
        assert next(csv.DictReader(handle))["day"] == NEXT_DAY


def test_print_report_of_a_given_day(data_dir: Path, config_file: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert print_report(str(config_file), data_dir, DAY, None) == 0
    printed = capsys.readouterr().out
    assert f"Daily report {DAY}" in printed and "Out-of-order calls: 1" in printed


def test_unknown_date_error_lists_the_days_available(data_dir: Path,
                                                     config_file: Path) -> None:
    with pytest.raises(ReportError) as raised:
        print_report(str(config_file), data_dir, "2026-01-01", None)
    message = str(raised.value)
    assert "2026-01-01" in message and f"{DAY}, {NEXT_DAY}" in message


def test_missing_journal_names_the_file_and_the_data_option(config_file: Path,
                                                            tmp_path: Path) -> None:
    empty = tmp_path / "nodata"
    with pytest.raises(ReportError) as raised:
        print_report(str(config_file), empty, None, None)
    message = str(raised.value)
    assert str(empty / JOURNAL_NAME) in message and "--data" in message
    assert not (empty / JOURNAL_NAME).exists()


# --- the journal is only read ------------------------------------------------------------------

def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def _journal_copy(data_dir: Path, folder: Path) -> Path:
    folder.mkdir()
    shutil.copyfile(data_dir / JOURNAL_NAME, folder / JOURNAL_NAME)
    return folder


def _bound_by_file_modes() -> list[str]:
    """A command prefix under which file modes bind this user, root included.

    Root reads and writes anywhere, so as root the command runs without the capabilities
    that override file modes (it stays root, so it can still read the interpreter and the tree).
    """
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): cannot drop write rights")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


def test_the_report_reads_a_journal_in_a_read_only_folder(
        data_dir: Path, config_file: Path, tmp_path: Path) -> None:
    folder = _journal_copy(data_dir, tmp_path / "ro")
    before = _files(folder)
    (folder / JOURNAL_NAME).chmod(0o444)
    folder.chmod(0o555)
    prefix = _bound_by_file_modes()
    try:
        probe = subprocess.run([*prefix, sys.executable, "-c",
                                f"open({str(folder / 'probe')!r}, 'x')"], capture_output=True)
        assert probe.returncode != 0, "the folder must really be read-only for the report"
        done = subprocess.run([*prefix, sys.executable, "-m", "callnext", "report", "--config",
                               str(config_file), "--data", str(folder), "--date", DAY],
                              capture_output=True, text=True, timeout=60)
    finally:
        folder.chmod(0o755)
    assert done.returncode == 0, done.stderr
    assert f"Daily report {DAY}" in done.stdout and "Out-of-order calls: 1" in done.stdout
    assert _files(folder) == before


def test_a_journal_this_user_cannot_read_is_a_clear_error(
        data_dir: Path, config_file: Path, tmp_path: Path) -> None:
    folder = _journal_copy(data_dir, tmp_path / "locked")
    (folder / JOURNAL_NAME).chmod(0)
    done = subprocess.run([*_bound_by_file_modes(), sys.executable, "-m", "callnext", "report",
                           "--config", str(config_file), "--data", str(folder)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert f"cannot read the journal {folder / JOURNAL_NAME}" in done.stderr
    assert "may read it" in done.stderr and "Traceback" not in done.stderr


def test_the_report_leaves_no_file_behind_in_the_brokers_folder(
        data_dir: Path, config_file: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # No write-ahead log: a plain read-only open would create -wal and -shm files here,
    # owned by whoever ran the report.
    folder = _journal_copy(data_dir, tmp_path / "stopped")
    before = _files(folder)
    assert print_report(str(config_file), folder, DAY) == 0
    assert _files(folder) == before


def test_the_report_reads_a_live_journal_through_its_log_without_a_checkpoint(
        config_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "live"
    script = Script(small_hall(), folder)
    try:
        for minute in range(3):
            script.do(minute, "issue_ticket", service="general")
        log = folder / f"{JOURNAL_NAME}-wal"
        assert log.stat().st_size > 0, "the events must still be in the write-ahead log"
        database, frames = (folder / JOURNAL_NAME).read_bytes(), log.read_bytes()
        done = subprocess.run([sys.executable, "-m", "callnext", "report", "--config",
                               str(config_file), "--data", str(folder)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert f"Daily report {DAY}" in done.stdout
        total = next(line for line in done.stdout.splitlines() if "合计 Total" in line)
        assert total.split()[2] == "3", "the three tickets in the log are counted"
        assert (folder / JOURNAL_NAME).read_bytes() == database
        assert log.read_bytes() == frames, "the report must not checkpoint the broker's log"
    finally:
        script.journal.close()


def test_a_damaged_journal_is_refused_and_left_where_it_is(
        data_dir: Path, config_file: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    folder = _journal_copy(data_dir, tmp_path / "damaged")
    path = folder / JOURNAL_NAME
    with open(path, "r+b") as file:
        file.truncate(path.stat().st_size // 2)
    before = _files(folder)
    assert main(["report", "--config", str(config_file), "--data", str(folder)]) != 0
    error = capsys.readouterr().err
    assert f"the journal {path} is damaged" in error and "left exactly as it is" in error
    assert _files(folder) == before
    # The premise: the broker's start-up would have set this very file aside.
    writer = Journal(_journal_copy(folder, tmp_path / "writer") / JOURNAL_NAME)
    writer.close()
    assert any("was damaged" in note for note in writer.recovered)
