"""Period reports of a two-week journal written by the real broker service (``two_weeks``).

The journal stays open in the 'broker' (``BrokerService`` and its ``Journal``) while the reports
read it, as a running broker would hold it: the report must neither change the database nor
its write-ahead log. CSV is read back with ``csv``, XLSX with openpyxl, and both must agree
with the figures computed in-process.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from broker.journal import JOURNAL_NAME
from broker.report import make_period_report
from broker.report_period import ALL, PeriodReport
from broker.report_tables import FIGURE_COLUMNS
from config.load import effective_toml
from tests.broker.two_weeks import (CLOSED, OUT_OF_ORDER_REASON, REASONS, Driver, hall,
                                    write_two_weeks)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Driver, Path]]:
    folder = tmp_path_factory.mktemp("two-weeks")
    driver = write_two_weeks(folder)
    try:
        yield driver, folder
    finally:
        driver.journal.close()


@pytest.fixture(scope="module")
def weekly(broker: tuple[Driver, Path]) -> PeriodReport:
    return make_period_report(hall(), broker[1], None, None, "week")


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("config") / "hall.toml"
    path.write_text(effective_toml(hall()), encoding="utf-8")
    return path


def test_weeks_run_monday_to_sunday_over_the_month_end(weekly: PeriodReport) -> None:
    assert (weekly.start, weekly.end) == ("2026-11-23", "2026-12-04")
    assert weekly.periods == ["2026-11-23", "2026-11-30"]
    first, second = weekly.get("2026-11-23", "total"), weekly.get("2026-11-30", "total")
    assert first is not None and second is not None
    assert first.days == 6  # Mon-Fri and the moved working Saturday
    assert second.days == 4  # the Thursday holiday is closed


def test_figures_count_what_the_broker_was_asked(broker: tuple[Driver, Path],
                                                 weekly: PeriodReport) -> None:
    sent = broker[0].sent
    total = weekly.get(ALL, "total")
    assert total is not None
    assert total.issued == sent["issue_ticket"]
    assert total.no_show == sent["no_show"]  # nobody is revived in the script
    assert total.served == sent["finish"]
    assert total.ratings == sent["rate"] == sum(total.levels.values())
    assert total.out_of_order == sent["call_ticket"] == len(weekly.out_of_order)
    assert {call.reason for call in weekly.out_of_order} == {OUT_OF_ORDER_REASON}
    assert total.wait_p50_min <= total.wait_p90_min  # type: ignore[operator]
    assert 0.0 < total.wait_within_target < 1.0  # type: ignore[operator]


def test_ratings_cases_and_time_limits_from_the_quality_events(
        broker: tuple[Driver, Path], weekly: PeriodReport) -> None:
    total = weekly.get(ALL, "total")
    assert total is not None and total.negative > 0
    assert sum(total.reasons.values()) == total.negative  # every negative rating gave one
    assert set(total.reasons) <= set(REASONS)
    assert total.cases_opened == total.negative  # a negative rating opens a case
    closed = broker[0].sent["case_close"]
    assert total.cases_in_time is not None and 0 < total.cases_in_time <= closed
    open_cases = len(broker[0].cases)
    assert total.cases_opened == closed + open_cases
    # Only reimbursement has a time limit: compliance is known there and nowhere else.
    reimburse = weekly.get(ALL, "service", "reimburse")
    assert reimburse is not None and reimburse.limit_checked == reimburse.served
    assert 0.0 < reimburse.within_limit < 1.0  # type: ignore[operator]
    assert weekly.get(ALL, "service", "general").within_limit is None  # type: ignore[union-attr]
    assert total.limit_checked == reimburse.limit_checked


def test_paused_minutes_and_per_scope_sums(weekly: PeriodReport) -> None:
    counter2 = weekly.get(ALL, "counter", "2")
    assert counter2 is not None and counter2.paused_min == pytest.approx(10 * 15.0)
    assert weekly.get(ALL, "counter", "1").paused_min == 0.0  # type: ignore[union-attr]
    total = weekly.get(ALL, "total")
    services = [weekly.get(ALL, "service", s) for s in weekly.scopes("service")]
    assert sum(f.issued for f in services if f) == total.issued  # type: ignore[union-attr]
    counters = [weekly.get(ALL, "counter", c) for c in weekly.scopes("counter")]
    assert sum(f.served for f in counters if f) == total.served  # type: ignore[union-attr]
    assert all(f.issued is None for f in counters if f)


def test_no_events_count_on_closed_days(broker: tuple[Driver, Path]) -> None:
    daily = make_period_report(hall(), broker[1], "2026-11-23", "2026-12-06", "day")
    assert all(daily.get(day, "total") is None for day in CLOSED)
    assert daily.get("2026-11-28", "total") is not None  # 调休: the Saturday works


def _files(folder: Path) -> dict[str, bytes | None]:
    """The broker's files; the -shm index only by name: every reader of a live log marks
    its place there (SQLite's read marks), which is not a change to the journal."""
    return {p.name: None if p.name.endswith("-shm") else p.read_bytes() for p in folder.iterdir()}


def _csv_rows(path: Path) -> list[dict[str, str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read Chinese"
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def _number(text: str) -> float | None:
    return float(text) if text else None


def test_cli_writes_csv_xlsx_html_from_the_live_journal_and_leaves_it_alone(
        broker: tuple[Driver, Path], weekly: PeriodReport, config_file: Path,
        tmp_path: Path) -> None:
    folder = broker[1]
    before = _files(folder)
    assert f"{JOURNAL_NAME}-wal" in before, "the premise: a live journal with its log"
    out = {kind: tmp_path / f"report.{kind}" for kind in ("csv", "xlsx", "html")}
    done = subprocess.run(
        [sys.executable, "-m", "callnext", "report", "--config", str(config_file), "--data",
         str(folder), "--by", "week", *(a for k, p in out.items() for a in (f"--{k}", str(p)))],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "2026-W48" in done.stdout and "满意率" in done.stdout
    assert _files(folder) == before

    rows = _csv_rows(out["csv"])
    total = next(r for r in rows
                 if r["周期 Period"] == "全部 All" and r["范围 Scope"] == "合计 Total")
    figures = weekly.get(ALL, "total")
    assert figures is not None
    assert int(total["取号 Issued"]) == figures.issued
    assert _number(total["等候P90(分) Wait p90 (min)"]) == pytest.approx(figures.wait_p90_min,
                                                                       abs=0.005)
    assert _number(total["满意率 Satisfaction"]) == pytest.approx(figures.satisfied_share,
                                                                abs=0.00005)
    c2 = next(r for r in rows if r["周期 Period"] == "2026-W49" and r["编号 Id"] == "2")
    assert c2["取号 Issued"] == "" and float(c2["暂停(分) Paused (min)"]) == pytest.approx(60.0)
    _check_xlsx(out["xlsx"], weekly)
    _check_html(out["html"].read_text(encoding="utf-8"))


def _check_xlsx(path: Path, report: PeriodReport) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    assert book.sheetnames == ["指标 Figures", "分时取号 Arrivals per hour",
                               "插号审计 Out-of-order calls"]
    rows = list(book["指标 Figures"].iter_rows(values_only=True))
    assert rows[1][4:6] == ("取号", "叫号") and rows[2][4:6] == ("Issued", "Called")
    keys = ["period", "scope", "id", "name", *(c.key for c in FIGURE_COLUMNS)]
    body = [dict(zip(keys, row)) for row in rows[3:]]
    week = next(r for r in body if r["period"] == "2026-W48" and r["id"] == "reimburse")
    figures = report.get("2026-11-23", "service", "reimburse")
    assert figures is not None
    assert (week["issued"], week["served"], week["no_show"]) == (
        figures.issued, figures.served, figures.no_show)
    assert week["wait_mean_min"] == pytest.approx(figures.wait_mean_min)
    assert week["level_very_satisfied"] == figures.levels["very_satisfied"]
    audit = list(book["插号审计 Out-of-order calls"].iter_rows(values_only=True))[3:]
    assert len(audit) == len(report.out_of_order) and audit[0][6] == OUT_OF_ORDER_REASON
    book.close()


def _check_html(page: str) -> None:
    assert page.count("<svg") == 3
    for title in ("Arrivals per hour", "Waits per service", "Satisfaction (满意率) per counter"):
        assert title in page
    # Self-contained: nothing is fetched (the SVG namespace and pygal's comments are no fetch).
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page
