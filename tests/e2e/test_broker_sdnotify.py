"""The broker tells systemd when it is ready and keeps petting the watchdog from its loop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")


def test_ready_then_watchdog_pets_then_stopping(tmp_path: Path) -> None:
    address = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(address)
    listener.settimeout(0.5)
    env = {**os.environ, "NOTIFY_SOCKET": address, "WATCHDOG_USEC": "1000000"}
    env.pop("WATCHDOG_PID", None)
    broker = subprocess.Popen(
        [sys.executable, "-m", "callnext", "--log-level", "WARNING", "broker", "--config", CONFIG,
         "--data", str(tmp_path / "data"), "--bind", "127.0.0.1", "--command-port", "0",
         "--event-port", "0", "--insecure"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    received: list[str] = []
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and received.count("WATCHDOG=1") < 3:
            try:
                received += listener.recv(4096).decode().split()
            except TimeoutError:
                continue
        broker.send_signal(signal.SIGTERM)
        broker.wait(timeout=10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and "STOPPING=1" not in received:
            try:
                received += listener.recv(4096).decode().split()
            except TimeoutError:
                continue
    finally:
        if broker.poll() is None:
            broker.kill()
            broker.wait(timeout=5)
        listener.close()
    assert received.index("READY=1") < received.index("WATCHDOG=1")
    assert received.count("WATCHDOG=1") >= 3
    assert received[-1] == "STOPPING=1" and broker.returncode == 0
