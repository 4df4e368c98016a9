"""``callnext web`` as a process, with CURVE keys, against a CURVE broker: the node's own key
and role (``web``) reach the broker; SIGTERM stops it cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bench.web_bench import await_healthy, free_port, hall_file
from callnext.keys import init_keys
from protocol.client import RequestClient
from protocol.security import client_socket_setup
from tests.web.web_fixtures import CLERK, CLERK_PIN, running_hall

pytestmark = pytest.mark.e2e


def test_the_console_process_talks_curve_and_stops_on_sigterm(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    init_keys(keys, ["broker", "admin", "web", "kiosk-1"])
    with running_hall(tmp_path / "data", keys_dir=keys) as hall_:
        port = free_port()
        config = hall_file(tmp_path, {"commands": hall_.commands, "events": hall_.events},
                           port)
        web = subprocess.Popen([sys.executable, "-m", "callnext", "--log-level", "WARNING",
                                "web", "--config", str(config), "--keys", str(keys)])
        try:
            url = f"http://127.0.0.1:{port}"
            await_healthy(url)
            with RequestClient(hall_.commands, "kiosk-1",
                               socket_setup=client_socket_setup(keys, "kiosk-1")) as kiosk:
                ticket = kiosk.request("issue_ticket", {"service": "reimburse"})["ticket"]
            with httpx.Client(base_url=url, timeout=10) as clerk:
                login = clerk.post("/api/login", json={"staff": CLERK, "pin": CLERK_PIN,
                                                       "counter": 1})
                assert login.status_code == 200, login.text
                called = clerk.post("/api/counters/1/call_next", json={},
                                    headers={"X-CSRF-Token": login.json()["csrf"]})
                assert called.json()["result"]["ticket"] == ticket
            assert hall_.snapshot()["counters"]["1"]["staff"] == CLERK
        finally:
            web.send_signal(signal.SIGTERM)
            try:
                code = web.wait(15)
            except subprocess.TimeoutExpired:
                web.kill()
                raise
        assert code == 0
