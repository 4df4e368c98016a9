"""Shared parts of the fault tests: an always-open hall file and a restartable broker process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path
from typing import Any

from callnext.demo import start_broker, stop_broker
from protocol.client import RequestClient

HALL_TOML = """
name = { zh = "测试大厅", en = "Fault Test Hall" }

[hours]
timezone = "Asia/Shanghai"
days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
periods = [{ start = "00:00", end = "24:00" }]

[[services]]
id = "general"
prefix = "A"
name = { zh = "综合业务", en = "General" }

[[services]]
id = "reimburse"
prefix = "C"
name = { zh = "报销", en = "Reimbursement" }

[[counters]]
number = 1
services = ["general", "reimburse"]

[[counters]]
number = 2
services = ["reimburse", "general"]

[[counters]]
number = 3
services = ["general"]
"""
"""Open around the clock, so the tests run on the real wall clock at any hour."""


def write_hall(directory: Path) -> Path:
    """The always-open hall file, written into ``directory``."""
    path = directory / "hall.toml"
    path.write_text(HALL_TOML, encoding="utf-8")
    return path


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BrokerProcess:
    """A ``callnext broker`` that can be SIGKILLed and started again on the same ports and data."""

    def __init__(self, config: Path, data: Path, *, clock_start: str | None = None,
                 keys_dir: Path | None = None) -> None:
        self.config = config
        self.data = data
        self.clock_start = clock_start
        self.keys_dir = keys_dir
        self.ports = (free_port(), free_port())
        self.process: subprocess.Popen[str] | None = None
        self.endpoints: dict[str, str] = {}

    def start(self) -> None:
        """Start it and wait until it accepts commands."""
        self.process, self.endpoints = start_broker(
            str(self.config), self.data, clock_start=self.clock_start,
            command_port=self.ports[0], event_port=self.ports[1], keys_dir=self.keys_dir)

    @property
    def pid(self) -> int:
        """The running process's id."""
        if self.process is None:
            raise RuntimeError("the broker is not running")
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL: no clean-up, no flush, exactly like pulling the plug on the process."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        """A clean stop (SIGTERM), if running."""
        if self.process is not None:
            stop_broker(self.process)
            self.process = None

    def client(self, node: str = "admin", **kwargs: Any) -> RequestClient:
        """A request client of the running broker."""
        return RequestClient(self.endpoints["commands"], node, **kwargs)
