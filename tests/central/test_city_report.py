"""The city report from the central store equals each hall's own report, and mixes rating scales."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import psycopg
import pytest

from bench.replay_bench import all_day_hall, build_journal
from broker.journal import JOURNAL_NAME, Entry, Journal
from broker.report_facts import read_facts
from broker.report_period import build_period_report
from broker.rules import Event
from callnext.cli import main
from config.example import example_path
from tests.central.central_tools import T0, settings
from uplink.city import CityReportError, city_report
from uplink.connect import connect
from uplink.loop import Uplink


def _ship(dsn: str, hall: str, journal: Path) -> None:
    chosen = settings(dsn, hall, batch_size=500)
    uplink = Uplink(chosen, journal, connect=lambda: connect(chosen))
    for _ in range(1000):
        if uplink.step() == 0:
            break
    uplink.close()


@pytest.fixture(scope="module")
def day_journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A realistic simulated hall day (issues, calls, transfers, no-shows, ratings)."""
    path = tmp_path_factory.mktemp("day") / JOURNAL_NAME
    build_journal(all_day_hall(example_path()), path, 400, seed=5)
    return path


def test_the_city_report_counts_as_each_hall_counts(
        tmp_path: Path, central_dsn: str, day_journal: Path) -> None:
    for hall in ("hall-a", "hall-b"):
        (tmp_path / hall).mkdir()
        shutil.copy(day_journal, tmp_path / hall / JOURNAL_NAME)
        _ship(central_dsn, hall, tmp_path / hall / JOURNAL_NAME)
    journal = Journal.open_read_only(day_journal)
    day = journal.days()[0]
    own = build_period_report(read_facts(all_day_hall(example_path()), journal.events()),
                              day, day, "day").get(day, "total")
    journal.close()
    assert own is not None and own.ratings > 0 and own.wait_n > 0
    with psycopg.connect(central_dsn) as conn:
        report = city_report(conn, date.fromisoformat(day), date.fromisoformat(day))
        only_b = city_report(conn, date.fromisoformat(day), date.fromisoformat(day), "month",
                             ["hall-b"])
    assert [row["hall"] for row in report["rows"]] == ["hall-a", "hall-b"]
    for row in report["rows"]:
        assert (row["issued"], row["served"], row["no_shows"], row["ratings"],
                row["negative_ratings"]) == (own.issued, own.served, own.no_show, own.ratings,
                                             own.negative)
        assert row["wait_p50_min"] == pytest.approx(own.wait_p50_min, abs=1e-3)
        assert row["wait_p90_min"] == pytest.approx(own.wait_p90_min, abs=1e-3)
        assert row["satisfied_share"] == pytest.approx(own.satisfied_share, abs=1e-3)
    city = report["city"][0]
    assert city["issued"] == 2 * own.issued and city["ratings"] == 2 * own.ratings
    assert city["wait_p90_min"] == pytest.approx(own.wait_p90_min, abs=1e-3)
    assert only_b["halls"] == ["hall-b"] and only_b["city"][0]["issued"] == own.issued
    assert only_b["rows"][0]["period"] == day[:8] + "01"
    assert report["shipped_until"]["hall-a"]["day"] == day
    assert set(only_b["shipped_until"]) == {"hall-b"}


def _rated(journal: Journal, day: str, at: float, data: dict) -> None:
    journal.append([Entry(Event("rated", at, data), day)], op="rate", node="caller-1",
                   request_id=None, reply=None, at=at)


def test_three_and_five_level_ratings_mix_by_week(tmp_path: Path, central_dsn: str) -> None:
    journal = Journal(tmp_path / JOURNAL_NAME)
    _rated(journal, "2026-11-30", T0, {"ticket": "A001", "counter": 1, "score": 3,
                                        "scale": 3, "negative": False})  # 3-level 满意
    _rated(journal, "2026-12-01", T0 + 1, {"ticket": "A002", "counter": 1, "score": 1,
                                            "scale": 3, "negative": True})
    _rated(journal, "2026-12-01", T0 + 6, {"ticket": "A007", "counter": 1, "score": 2,
                                            "scale": 3, "negative": False})  # 基本满意
    _rated(journal, "2026-12-02", T0 + 2, {"ticket": "A003", "counter": 1, "score": 4,
                                            "scale": 5})          # 5-level 满意, no flag
    _rated(journal, "2026-12-03", T0 + 3, {"ticket": "A004", "counter": 1,
                                            "level": "dissatisfied", "scale": 5,
                                            "negative": True})    # a level code, no score
    _rated(journal, "2026-12-04", T0 + 5, {"ticket": "A006", "counter": 1,   # w-quality's shape
                                            "score": 5, "scale": 5, "negative": False,
                                            "level": "very_satisfied", "reason": None,
                                            "staff": "1024", "service": "general"})
    _rated(journal, "2026-12-07", T0 + 4, {"ticket": "A005", "counter": 1, "score": "?"})
    journal.close()
    _ship(central_dsn, "hall-r", tmp_path / JOURNAL_NAME)
    with psycopg.connect(central_dsn) as conn:
        report = city_report(conn, date(2026, 11, 30), date(2026, 12, 7), "week")
    first, second = report["rows"]
    assert (first["period"], first["ratings"], first["negative_ratings"]) == ("2026-11-30", 6, 2)
    assert first["satisfied_share"] == pytest.approx(3 / 6)  # 基本满意 is not 满意
    assert first["rating_mean_5"] == pytest.approx((5 + 1 + 3 + 4 + 2 + 5) / 6, abs=1e-3)
    assert (second["period"], second["ratings"], second["satisfied_share"]) == (
        "2026-12-07", 1, None)  # rated, but an unreadable score has no level: not guessed


def test_open_and_overdue_cases_are_counted_per_hall(tmp_path: Path, central_dsn: str) -> None:
    journal = Journal(tmp_path / JOURNAL_NAME)
    for offset, (kind, case) in enumerate([("case_opened", "X"), ("case_opened", "Y"),
                                           ("case_opened", "Z"), ("case_overdue", "Y"),
                                           ("case_overdue", "Z"), ("case_closed", "Z")]):
        journal.append([Entry(Event(kind, T0 + offset, {"case": case}), "2026-11-20")],
                       op="bench", node="web", request_id=None, reply=None, at=T0 + offset)
    journal.close()
    _ship(central_dsn, "hall-c", tmp_path / JOURNAL_NAME)
    with psycopg.connect(central_dsn) as conn:
        report = city_report(conn, date(2026, 12, 1), date(2026, 12, 1))
        version = conn.execute("SELECT max(version) FROM callnext_schema_version").fetchone()[0]
    assert report["cases"] == {"hall-c": {"open": 2, "overdue": 1}}  # whatever the period
    assert version == 2


def test_the_report_command_prints_the_city_table(
        tmp_path: Path, central_dsn: str, capsys: pytest.CaptureFixture[str]) -> None:
    journal = Journal(tmp_path / JOURNAL_NAME)
    journal.append([Entry(Event("ticket_issued", T0, {"ticket": "A001", "service": "general",
                                                      "seq_in_service": 1}), "2026-12-02")],
                   op="issue_ticket", node="kiosk-1", request_id=None, reply=None, at=T0)
    journal.close()
    _ship(central_dsn, "hall-p", tmp_path / JOURNAL_NAME)
    base = ["report", "--central", central_dsn, "--from", "2026-12-01", "--to", "2026-12-02"]
    assert main(base) == 0
    table = capsys.readouterr().out
    assert "满意率" in table and "hall-p" in table and "全市 City" in table
    assert "Not shipped to the end of the period" not in table
    assert main([*base[:-1], "2026-12-03"]) == 0
    assert "Not shipped to the end of the period" in capsys.readouterr().out
    assert main([*base, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["city"][0]["issued"] == 1
    assert main([*base[:-4], "--from", "2026-12-02", "--to", "2026-12-01"]) == 2
    assert "swap --from and --to" in capsys.readouterr().err
    assert main([*base, "--xlsx", "x.xlsx"]) == 2  # a journal report's file, not the city's
    assert "--xlsx belong to a hall's journal report" in capsys.readouterr().err
    assert main(["report", "--date", "2026-12-02"]) == 2  # neither a hall nor --central
    assert "--central" in capsys.readouterr().err


def test_a_period_backwards_is_refused_before_any_query() -> None:
    with pytest.raises(CityReportError, match="swap"):
        city_report(None, date(2026, 12, 2), date(2026, 12, 1))
