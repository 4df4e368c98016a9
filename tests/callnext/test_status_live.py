"""``callnext status`` against a real broker: each counter's signed-in 工号 and the open 差评
cases, at the top where a manager looks first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from callnext.demo import start_broker, stop_broker
from foundation.pins import hash_pin
from protocol.client import RequestClient

pytestmark = pytest.mark.e2e

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")


def test_status_shows_who_is_signed_in_and_how_many_cases_are_open(tmp_path: Path) -> None:
    process, endpoints = start_broker(CONFIG, tmp_path, clock_start="2026-11-25T09:00")
    try:
        with RequestClient(endpoints["commands"], "admin") as admin:
            admin.request("staff_add", {"id": "1024", "name": "张三", "role": "clerk",
                                        "pin_hash": hash_pin("2468")})
            admin.request("sign_in", {"staff": "1024", "counter": 2})
            admin.request("issue_ticket", {"service": "general"})
            admin.request("call_next", {"counter": 2})
            rated = admin.request("rate", {"counter": 2, "score": 1, "reason": "attitude"})
            assert rated["case"]  # a negative rating opens a 差评 case
        result = subprocess.run(
            [sys.executable, "-m", "callnext", "status", "--config", CONFIG,
             "--endpoint", endpoints["commands"], "--insecure"],
            capture_output=True, text=True, timeout=60, check=False)
    finally:
        stop_broker(process)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "待办差评 Open cases: 1 (逾期 overdue: 0)" in lines[1]
    rows = {line.split()[0]: line.split() for line in lines if line.startswith("  ")
            and line.split()[0] in ("1", "2")}
    assert rows["2"][3] == "1024" and rows["1"][3] == "-"
    assert "张三" not in result.stdout  # the 工号 only, never the name
