"""The city view (issue #18): two halls' events in a real PostgreSQL, read by the console's
``/api/city`` and ``/city`` for city managers only; 403 for others, 404 without ``[central]``.
One screenshot of the page in real headless Chromium goes to docs/images/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from broker.journal import JOURNAL_NAME, Entry, Journal
from broker.rules import Event
from config.schema import Hall
from tests import chromium
from tests.central.central_tools import DAY, T0, settings
from tests.central_pg import central_dsn, pg
from tests.conftest import wait_for
from tests.web.web_fixtures import (CLERK, CLERK_PIN, MANAGER, MANAGER_PIN, Hall_,
                                    console_client)
from uplink.connect import connect
from uplink.loop import Uplink

__all__ = ["central_dsn", "pg"]  # the PostgreSQL fixtures, shared with tests/central

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"


def _event(journal: Journal, kind: str, at: float, data: dict[str, Any]) -> None:
    journal.append([Entry(Event(kind, at, data), DAY)], op="test", node="kiosk-1",
                   request_id=None, reply=None, at=at)


def _hall_day(path: Path, waits_min: list[float], scores: list[int], cases: int) -> None:
    """A journal: one ticket per wait (issued, called after it, finished), ratings, cases."""
    journal = Journal(path)
    for number, wait in enumerate(waits_min, start=1):
        ticket, at = f"A{number:03d}", T0 + number * 1000
        _event(journal, "ticket_issued", at, {"ticket": ticket, "service": "general",
                                              "seq_in_service": number})
        _event(journal, "called", at + wait * 60, {"ticket": ticket, "counter": 1})
        _event(journal, "finished", at + wait * 60 + 30, {"ticket": ticket, "counter": 1})
    for number, score in enumerate(scores, start=1):
        _event(journal, "rated", T0 + 90_000 + number, {
            "ticket": f"A{number:03d}", "counter": 1, "score": score, "scale": 5,
            "negative": score <= 2})
    for case in range(cases):
        _event(journal, "case_opened", T0 + 95_000 + case, {"case": f"C{case}"})
    if cases:
        _event(journal, "case_overdue", T0 + 96_000, {"case": "C0"})
    journal.close()


@pytest.fixture(scope="module")
def city_dsn(pg: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A central store holding two halls' day: 东 (waits 2, 4, 6 min) and 西 (10 min)."""
    dsn = pg.dsn(pg.create_db())
    folder = tmp_path_factory.mktemp("city")
    for hall, waits, scores, cases in (("hall-east", [2, 4, 6], [5, 4, 1], 2),
                                       ("hall-west", [10], [5], 0)):
        (folder / hall).mkdir()
        _hall_day(folder / hall / JOURNAL_NAME, waits, scores, cases)
        chosen = settings(dsn, hall)
        uplink = Uplink(chosen, folder / hall / JOURNAL_NAME, connect=lambda: connect(chosen))
        for _ in range(100):
            if uplink.step() == 0:
                break
        uplink.close()
    return dsn


def _hall(hall_: Hall_, dsn: str | None, city_managers: tuple[str, ...]) -> Hall:
    web = hall_.hall.web.model_copy(update={"city_managers": city_managers})
    central = None if dsn is None else settings(dsn, "hall-east")
    return hall_.hall.model_copy(update={"web": web, "central": central})


@pytest.fixture
def city(hall_: Hall_, city_dsn: str) -> Iterator[TestClient]:
    """The console of hall-east, whose manager 9001 has the city role."""
    with console_client(hall_, _hall(hall_, city_dsn, (MANAGER,))) as client:
        yield client


def _login(client: TestClient, staff: str, pin: str, counter: int | None) -> None:
    answer = client.post("/api/login", json={"staff": staff, "pin": pin, "counter": counter})
    assert answer.status_code == 200, answer.text


def test_a_city_manager_sees_both_halls_side_by_side(city: TestClient) -> None:
    assert city.get("/api/city", params={"from": DAY}).status_code == 401
    _login(city, MANAGER, MANAGER_PIN, None)
    report = city.get("/api/city", params={"from": DAY, "to": DAY}).json()
    rows = {row["hall"]: row for row in report["rows"]}
    assert set(rows) == {"hall-east", "hall-west"} and report["by"] == "all"
    east, west = rows["hall-east"], rows["hall-west"]
    assert (east["issued"], east["served"], east["wait_p50_min"]) == (3, 3, pytest.approx(4))
    assert east["wait_p90_min"] == pytest.approx(6)
    assert east["satisfied_share"] == pytest.approx(2 / 3, abs=1e-3)
    assert (west["issued"], west["wait_p50_min"], west["satisfied_share"]) == (
        1, pytest.approx(10), pytest.approx(1))
    assert report["city"][0]["issued"] == 4 and report["city"][0]["ratings"] == 4
    assert report["cases"] == {"hall-east": {"open": 2, "overdue": 1},
                               "hall-west": {"open": 0, "overdue": 0}}
    assert report["shipped_until"]["hall-west"]["day"] == DAY
    # The page itself: the layout, its script, the hall-local day, no outside asset.
    page = city.get("/city?lang=zh")
    assert page.status_code == 200 and "/static/city.js" in page.text
    assert "全市网点" in page.text and "http" not in page.text.split("<body")[1]


def test_bad_periods_are_400_and_an_empty_period_has_no_rows(city: TestClient) -> None:
    _login(city, MANAGER, MANAGER_PIN, None)
    for query in ({"from": "12/02"}, {"from": DAY, "to": "2026-12-01"},
                  {"from": "2024-01-01", "to": DAY}):
        answer = city.get("/api/city", params=query)
        assert (answer.status_code, answer.json()["error"]) == (400, "bad_args"), query
    empty = city.get("/api/city", params={"from": "2026-12-03"}).json()
    assert empty["rows"] == [] and set(empty["shipped_until"]) == {"hall-east", "hall-west"}


def test_clerks_and_managers_without_the_city_role_get_403(
        city: TestClient, hall_: Hall_, city_dsn: str) -> None:
    _login(city, CLERK, CLERK_PIN, 3)
    answer = city.get("/api/city?lang=en")
    assert (answer.status_code, answer.json()["error"]) == (403, "not_city_manager")
    assert "city managers" in answer.json()["message"]
    assert city.get("/city").status_code == 403
    with console_client(hall_, _hall(hall_, city_dsn, ())) as other:
        _login(other, MANAGER, MANAGER_PIN, None)
        assert other.get("/api/city").status_code == 403
        assert other.get("/city").status_code == 403


def test_without_central_the_city_view_is_404(hall_: Hall_) -> None:
    with console_client(hall_, _hall(hall_, None, (MANAGER,))) as client:
        _login(client, MANAGER, MANAGER_PIN, None)
        assert client.get("/api/city").json()["error"] == "no_central"
        assert client.get("/api/city").status_code == 404
        assert client.get("/city").status_code == 404


def test_an_unreachable_city_database_is_503_with_words(hall_: Hall_, pg: Any) -> None:
    dead = pg.dsn("callnext_missing_db")
    with console_client(hall_, _hall(hall_, dead, (MANAGER,))) as client:
        _login(client, MANAGER, MANAGER_PIN, None)
        answer = client.get("/api/city")
        assert (answer.status_code, answer.json()["error"]) == (503, "central_unreachable")
        assert "市级数据库" in answer.json()["message"]


def test_the_city_session_is_read_only(city_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import psycopg

    import runtime.city_report
    from web.city import read_city

    def write(conn: Any, *_args: Any) -> dict[str, Any]:
        conn.execute("CREATE TABLE callnext_probe (a int)")  # harmless if it ran
        return {}

    monkeypatch.setattr(runtime.city_report, "city_report", write)
    with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        read_city(settings(city_dsn, "hall-east"), date(2026, 12, 2), date(2026, 12, 2))


def test_city_managers_are_staff_numbers() -> None:
    from pydantic import ValidationError

    from config.web_node import WebSettings

    assert WebSettings(city_managers=("9001",)).city_managers == ("9001",)
    with pytest.raises(ValidationError):
        WebSettings(city_managers=("boss",))
