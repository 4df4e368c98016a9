"""A real broker process on loopback, driven through the real node-side protocol code."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from callnext.demo import start_broker, stop_broker
from protocol.client import RequestClient
from protocol.errors import BrokerUnreachable, CommandRefused
from protocol.mirror import StateMirror

pytestmark = pytest.mark.e2e

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")
# A Wednesday morning inside the example hall's opening hours.
CLOCK = "2026-11-25T09:00"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Broker:
    """A broker process that can be killed and started again on the same ports and data."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.ports = (free_port(), free_port())
        self.process: subprocess.Popen[str] | None = None
        self.endpoints: dict[str, str] = {}

    def start(self) -> None:
        self.process, self.endpoints = start_broker(
            CONFIG, self.data, clock_start=CLOCK, command_port=self.ports[0],
            event_port=self.ports[1])

    def kill(self) -> None:
        if self.process is not None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            stop_broker(self.process)

    def client(self, node: str = "e2e", **kwargs: Any) -> RequestClient:
        return RequestClient(self.endpoints["commands"], node, **kwargs)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    running = Broker(tmp_path)
    running.start()
    yield running
    running.stop()


def wait_for(condition: Callable[[], bool], step: Callable[[], None], limit_s: float = 10.0) -> bool:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if condition():
            return True
        step()
    return condition()


def test_issue_call_recall_no_show_transfer_and_snapshot(broker: Broker) -> None:
    with broker.client() as client:
        issued = [client.request("issue_ticket", {"service": "general"})["ticket"]
                  for _ in range(3)]
        assert issued == ["A001", "A002", "A003"]
        assert client.request("call_next", {"counter": 1})["ticket"] == "A001"
        assert client.request("recall", {"counter": 1})["recalls"] == 1
        assert client.request("no_show", {"counter": 1})["status"] == "no_show"
        assert client.request("call_next", {"counter": 1})["ticket"] == "A002"
        client.request("transfer", {"counter": 1, "service": "reimburse"})
        snapshot = client.request("snapshot", {})
        services = snapshot["view"]["services"]
        assert services["reimburse"]["next"] == ["A002"]
        assert services["general"]["next"] == ["A003"]
        with pytest.raises(CommandRefused) as refused:
            client.request("call_next", {"counter": 77})
        assert refused.value.code == "unknown_counter"


def test_sigkill_loses_nothing_acknowledged_and_retries_get_their_first_reply(
        broker: Broker) -> None:
    with broker.client() as client:
        first = client.request("issue_ticket", {"service": "general"}, request_id="kiosk-1-0001")
        client.request("issue_ticket", {"service": "general"})
        client.request("call_next", {"counter": 2})
        before = client.request("snapshot", {})
    broker.kill()
    with broker.client(timeout_ms=300, retries=2) as client:
        with pytest.raises(BrokerUnreachable):
            client.request("issue_ticket", {"service": "general"})
    broker.start()
    with broker.client() as client:
        after = client.request("snapshot", {})
        assert after["seq"] == before["seq"]
        assert after["view"] == before["view"]
        assert after["view"]["services"]["general"]["next"] == ["A002"]
        again = client.request("issue_ticket", {"service": "general"},
                               request_id="kiosk-1-0001")
        assert again == first
        fresh = client.request("issue_ticket", {"service": "general"})
        assert fresh["ticket"] == "A003"


def test_a_display_mirror_follows_calls_and_recovers_after_a_broker_restart(
        broker: Broker) -> None:
    seen: list[str] = []
    mirror = StateMirror(broker.endpoints["commands"], broker.endpoints["events"], "display-e2e")
    mirror.add_listener(lambda kind, payload: seen.append(payload.type) if kind == "event" else None)
    try:
        assert wait_for(lambda: mirror.connected, lambda: mirror.step(0.1))
        with broker.client() as client:
            client.request("issue_ticket", {"service": "general"})
            client.request("call_next", {"counter": 3})
        assert wait_for(lambda: mirror.view["counters"]["3"]["serving"] == "A001",
                        lambda: mirror.step(0.1))
        assert "called" in seen
        broker.kill()
        assert wait_for(lambda: not mirror.connected, lambda: mirror.step(0.2), limit_s=10)
        broker.start()
        with broker.client() as client:
            client.request("call_next", {"counter": 3})
        assert wait_for(lambda: mirror.connected and mirror.view["counters"]["3"]["serving"] is None,
                        lambda: mirror.step(0.2), limit_s=15)
    finally:
        mirror.close()


def test_status_command_prints_the_live_hall(broker: Broker) -> None:
    with broker.client() as client:
        client.request("issue_ticket", {"service": "general"})
    result = subprocess.run(
        [sys.executable, "-m", "callnext", "status", "--config", CONFIG,
         "--endpoint", broker.endpoints["commands"], "--insecure"],
        capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    assert "综合业务 General Services" in result.stdout
    assert "A001" in result.stdout


def test_status_without_a_broker_says_so_and_exits_non_zero(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "callnext", "status", "--config", CONFIG,
         "--endpoint", f"tcp://127.0.0.1:{free_port()}", "--insecure"],
        capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "broker" in result.stderr.lower()
