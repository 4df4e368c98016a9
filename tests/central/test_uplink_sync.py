"""The uplink ships a journal in order, once, through outages, and never ships PIN hashes."""

from __future__ import annotations

from pathlib import Path

import psycopg

from bench.pgserver import PgServer
from broker.journal import JOURNAL_NAME, Entry, Journal
from broker.rules import Event
from broker.service import BrokerService
from foundation.pins import hash_pin
from protocol.envelope import Request, decode_reply, encode_request
from runtime.messages import render
from tests.central.central_tools import (
    DAY,
    T0,
    chain_intact,
    count,
    issue,
    rows,
    running,
    settings,
)
from tests.conftest import at, small_hall, wait_for


def test_first_sync_ships_every_event_in_order_with_an_intact_chain(
        tmp_path: Path, central_dsn: str) -> None:
    journal = Journal(tmp_path / JOURNAL_NAME)
    issue(journal, 120)
    with running(settings(central_dsn), tmp_path):
        assert wait_for(lambda: count(central_dsn) == 120)
        issue(journal, 5, first=121)  # events written while it runs follow
        assert wait_for(lambda: count(central_dsn) == 125)
    found = rows(central_dsn)
    assert [r[0] for r in found] == list(range(1, 126))
    assert found[6][2]["ticket"] == "A007" and found[6][1] == "ticket_issued"
    assert chain_intact(found)
    with psycopg.connect(central_dsn) as conn:
        assert conn.execute("SELECT max(version) FROM callnext_schema_version").fetchone()[0] == 2
        day, at = conn.execute("SELECT day::text, extract(epoch FROM at) FROM callnext_events "
                               "WHERE hall = 'hall-a' AND seq = 1").fetchone()
    assert day == DAY and float(at) == T0 + 1
    journal.close()


def test_pin_hashes_staff_names_and_case_notes_never_leave_the_hall(
        tmp_path: Path, central_dsn: str) -> None:
    journal = Journal(tmp_path / JOURNAL_NAME)
    secret = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"
    data = {"staff": "s07", "pin_hash": secret, "name": "李四", "role": "clerk",
            "changes": [{"staff": "s08", "pin_hash": secret, "name": "王"}],
            "nested": {"deep": {"pin_hash": secret, "kept": 1}}}
    journal.append([Entry(Event("staff_added", T0, data), DAY)], op="add_staff", node="admin",
                   request_id="r1", reply=b"{}", at=T0)
    note = {"case": "20261202-A002", "note": "回访张先生 13800000000", "staff": "1001"}
    journal.append([Entry(Event("case_noted", T0 + 1, note), DAY)], op="case_note",
                   node="web", request_id="r2", reply=b"{}", at=T0 + 1)
    with running(settings(central_dsn), tmp_path):
        assert wait_for(lambda: count(central_dsn) == 2)
    with psycopg.connect(central_dsn) as conn:
        text = conn.execute("SELECT string_agg(data::text, ' ') FROM callnext_events").fetchone()[0]
        shipped, noted = [r[0] for r in conn.execute("SELECT data FROM callnext_events "
                                                      "ORDER BY seq")]
    assert "pin_hash" not in text and "argon2" not in text and "李四" not in text
    assert "13800000000" not in text and noted == {"case": "20261202-A002", "staff": "1001"}
    assert shipped == {"staff": "s07", "role": "clerk", "changes": [{"staff": "s08", "name": "王"}],
                       "nested": {"deep": {"kept": 1}}}
    journal.close()


def test_an_outage_only_delays_and_is_reported_then_cleared(
        tmp_path: Path, pg: PgServer, central_dsn: str) -> None:
    journal = Journal(tmp_path / JOURNAL_NAME)
    issue(journal, 30)
    reports: list[tuple[str, str]] = []
    chosen = settings(central_dsn, health_after_seconds=0)
    with running(chosen, tmp_path, report=lambda s, m: reports.append((s, m))) as runner:
        assert wait_for(lambda: count(central_dsn) == 30)
        pg.stop()
        try:
            issue(journal, 70, first=31)  # the hall keeps working while the city is away
            assert wait_for(lambda: bool(reports))
        finally:
            pg.start()
        assert wait_for(lambda: count(central_dsn) == 100)
        assert wait_for(lambda: reports[-1][0] == "ok")
        assert runner.error is None
    status, message = reports[0]
    assert status == "warning" and message.startswith("central_unreachable: nothing shipped")
    for language, words in (("zh", "连不上城市数据中心"), ("en", "paused (unreachable)")):
        alert = render("alert.node_warning", {"node": "uplink", "component": "central",
                                              "detail": message}, language)
        assert words in alert, alert
    found = rows(central_dsn)
    assert [r[0] for r in found] == list(range(1, 101)) and chain_intact(found)
    journal.close()


def test_two_halls_ship_at_once_into_one_store(tmp_path: Path, central_dsn: str) -> None:
    journals = []
    for name, events in (("a", 400), ("b", 300)):
        journal = Journal(tmp_path / name / JOURNAL_NAME)
        issue(journal, events, marker=name)
        journals.append(journal)
    with running(settings(central_dsn, "hall-a"), tmp_path / "a"), \
            running(settings(central_dsn, "hall-b"), tmp_path / "b"):
        assert wait_for(lambda: count(central_dsn, "hall-a") == 400
                          and count(central_dsn, "hall-b") == 300)
    for hall, name, events in (("hall-a", "a", 400), ("hall-b", "b", 300)):
        found = rows(central_dsn, hall)
        assert [r[0] for r in found] == list(range(1, events + 1)) and chain_intact(found)
        assert {r[2]["marker"] for r in found} == {name}
    for journal in journals:
        journal.close()


def test_the_brokers_own_staff_events_ship_without_pin_hash_or_name(
        tmp_path: Path, central_dsn: str) -> None:
    """Staff added and re-keyed through the broker's real service, as `callnext staff` does."""
    journal = Journal(tmp_path / JOURNAL_NAME)
    service = BrokerService(small_hall(), journal, clock=lambda: at("09:00"))
    for number, (op, args) in enumerate([
            ("staff_add", {"id": "1024", "name": "王小明", "role": "clerk",
                           "pin_hash": hash_pin("482913")}),
            ("staff_set_pin", {"id": "1024", "pin_hash": hash_pin("705316")})]):
        frame = encode_request(Request(id=f"r{number}", op=op, node="admin", args=args))
        assert decode_reply(service.handle(frame).reply)["ok"]
    with running(settings(central_dsn), tmp_path):
        assert wait_for(lambda: count(central_dsn) == journal.last_seq())
    with psycopg.connect(central_dsn) as conn:
        text = conn.execute("SELECT string_agg(type || data::text, ' ') "
                            "FROM callnext_events").fetchone()[0]
    assert "staff_added" in text and "staff_pin_set" in text and "1024" in text
    assert "王小明" not in text and "pin_hash" not in text and "scrypt" not in text
    journal.close()
