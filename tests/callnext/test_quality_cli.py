"""``callnext alert ack`` and ``callnext case note|close`` against a real broker process on
loopback, and ``callnext status`` showing what they changed."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from callnext.cli import main
from callnext.demo import start_broker, stop_broker
from protocol.client import RequestClient

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[str]:
    process, endpoints = start_broker(CONFIG, tmp_path, clock_start="2026-11-25T09:00")
    try:
        yield endpoints["commands"]
    finally:
        stop_broker(process)


def _run(capsys: pytest.CaptureFixture[str], endpoint: str, *argv: str) -> tuple[int, str]:
    code = main([*argv, "--config", CONFIG, "--endpoint", endpoint, "--insecure"])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_a_manager_acknowledges_notes_and_closes_from_the_terminal(
        endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    with RequestClient(endpoint, "admin") as admin:
        admin.request("issue_ticket", {"service": "general"})
        admin.request("call_next", {"counter": 1})
        case = admin.request("rate", {"counter": 1, "score": 1, "reason": "attitude"})["case"]
    code, out = _run(capsys, endpoint, "alert", "ack", "--key", "rating:nothing")
    assert code != 0 and "unknown_alert" in out and "callnext status" in out
    code, out = _run(capsys, endpoint, "alert", "ack", "--key", f"rating:{case}",
                     "--note", "apologised at the counter")
    assert code == 0 and f"acknowledged rating:{case}: cleared" in out
    code, out = _run(capsys, endpoint, "case", "note", "--case", case, "--note", "called")
    assert code == 0 and "note added (1 so far)" in out
    code, out = _run(capsys, endpoint, "case", "close", "--case", case,
                     "--outcome", "callback_made")
    assert code == 0 and f"case {case} closed: 回访" in out and "in time" in out
    code, out = _run(capsys, endpoint, "case", "close", "--case", case, "--outcome", "fixed")
    assert code != 0 and "已办结" in out
    with RequestClient(endpoint, "admin") as admin:
        view = admin.request("snapshot")["view"]
    assert f"rating:{case}" not in view["alerts"]
    assert [(c["id"], c["state"], c["outcome"]) for c in view["cases"].values()] == [
        (case, "closed", "callback_made")]
