"""``callnext uplink`` as a process: killed with SIGKILL mid-batch, and beside a live broker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg

from bench.pgserver import PgServer
from broker.journal import JOURNAL_NAME, Journal
from callnext.demo import start_broker, stop_broker
from callnext.keys import default_names, init_keys
from protocol.client import RequestClient
from protocol.security import client_socket_setup
from tests.central.central_tools import chain_intact, count, hall_file, issue, rows
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]


def _uplink(config: Path, data: Path, *more: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "callnext", "uplink", "--config", str(config),
                             "--data", str(data), *more], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _central(dsn: str, batch: int) -> str:
    return (f'hall_id = "hall-k"\ndsn = "{dsn}"\nsslmode = "disable"\n'
            f"batch_size = {batch}\npoll_seconds = 0.02\nbackoff_max_seconds = 0.5\n")


def test_killed_mid_batch_loses_nothing_and_doubles_nothing(
        tmp_path: Path, central_dsn: str) -> None:
    events, batch = 12_000, 100
    journal = Journal(tmp_path / JOURNAL_NAME)
    issue(journal, events, per_command=1000)
    journal.close()
    config = hall_file(tmp_path, _central(central_dsn, batch))
    process = _uplink(config, tmp_path, "--no-health")
    try:
        assert wait_for(lambda: count(central_dsn, "hall-k") >= 3 * batch)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        process.kill()
        process.communicate(timeout=10)
    partial = count(central_dsn, "hall-k")
    assert 0 < partial < events, "killed after it had finished: make the backlog bigger"
    assert partial % batch == 0  # a batch is all there or not at all
    process = _uplink(config, tmp_path, "--no-health")
    try:
        assert wait_for(lambda: count(central_dsn, "hall-k") == events, 60)
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    finally:
        process.kill()
        process.communicate(timeout=10)
    found = rows(central_dsn, "hall-k")
    assert [r[0] for r in found] == list(range(1, events + 1)) and chain_intact(found)


def test_ships_while_a_live_broker_writes_and_reports_its_health(
        tmp_path: Path, pg: PgServer, central_dsn: str) -> None:
    """With CURVE keys, as installed: the uplink reports under its own key and role."""
    data, keys = tmp_path / "data", tmp_path / "keys"
    config = hall_file(tmp_path, _central(central_dsn, 50) + "health_after_seconds = 0\n")
    init_keys(keys, default_names(hall_path=str(config)))
    broker, endpoints = start_broker(str(config), data, clock_start="2026-12-02T09:00:00",
                                     keys_dir=keys)
    uplink = None
    try:
        with RequestClient(endpoints["commands"], "admin", timeout_ms=5000,
                           socket_setup=client_socket_setup(keys, "admin")) as client:
            client.request("issue_ticket", {"service": "general"})
            uplink = _uplink(config, data, "--keys", str(keys), "--endpoint",
                             endpoints["commands"])
            for _ in range(60):  # the broker answers at once while the uplink reads
                client.request("issue_ticket", {"service": "general"})
            seq = int(client.request("snapshot", {})["seq"])
            assert wait_for(lambda: count(central_dsn, "hall-k") == seq)
            pg.stop()
            try:
                issue_more = [client.request("issue_ticket", {"service": "general"})
                              for _ in range(5)]
                assert len(issue_more) == 5
                assert wait_for(lambda: _health(client) == "warning")
            finally:
                pg.start()
            assert wait_for(lambda: _health(client) == "ok")
            seq = int(client.request("snapshot", {})["seq"])
            assert wait_for(lambda: count(central_dsn, "hall-k") >= seq - 2)
    finally:
        if uplink is not None:
            uplink.send_signal(signal.SIGTERM)
            uplink.communicate(timeout=20)
        stop_broker(broker)
    with psycopg.connect(central_dsn) as conn:
        issued = conn.execute("SELECT count(*) FROM callnext_events WHERE hall = 'hall-k' "
                              "AND type = 'ticket_issued'").fetchone()[0]
    assert issued == 66
    assert os.path.exists(data / JOURNAL_NAME)


def _health(client: RequestClient) -> str | None:
    """The status of the uplink's ``central`` component in the broker's public view."""
    entry = client.request("snapshot", {})["view"]["health"].get("uplink/central")
    return None if entry is None else str(entry["status"])
