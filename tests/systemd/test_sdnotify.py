"""sd_notify over a real AF_UNIX datagram socket, and harmless without one."""

from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from foundation.sdnotify import Watchdog, notify, watchdog_interval


@pytest.fixture
def listener() -> Iterator[tuple[socket.socket, str]]:
    # A short directory: AF_UNIX paths are limited to ~108 bytes.
    folder = tempfile.mkdtemp(prefix="sdn-", dir="/tmp")
    path = str(Path(folder) / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2)
    yield sock, path
    sock.close()
    os.unlink(path)
    os.rmdir(folder)


def test_ready_and_status_arrive_as_one_datagram(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    assert notify(ready=True, status="counter 3: ready\nsecond line",
                  environ={"NOTIFY_SOCKET": path})
    assert sock.recv(4096).decode() == "READY=1\nSTATUS=counter 3: ready second line\n"


def test_abstract_socket_names_are_supported() -> None:
    name = f"callnext-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        assert notify(watchdog=True, environ={"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(4096) == b"WATCHDOG=1\n"


def test_without_notify_socket_everything_is_a_no_op() -> None:
    assert notify(ready=True, status="x", environ={}) is False
    assert watchdog_interval({}) is None
    assert Watchdog(environ={}).pet() is False


def test_a_dead_socket_is_logged_not_raised(tmp_path: Path) -> None:
    assert notify(ready=True, environ={"NOTIFY_SOCKET": str(tmp_path / "gone")}) is False


def test_watchdog_interval_respects_watchdog_pid() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}) == 30.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) == 30.0
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval({"WATCHDOG_USEC": "junk"}) is None


def test_watchdog_pets_at_most_every_half_interval(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    now = [100.0]
    dog = Watchdog(environ={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "10000000"},
                   monotonic=lambda: now[0])
    sent = []
    for step in range(12):  # 0..11 s in 1 s steps: due at 0, 5, 10
        now[0] = 100.0 + step
        sent.append(dog.pet())
    assert [i for i, s in enumerate(sent) if s] == [0, 5, 10]
    assert [sock.recv(64) for _ in range(3)] == [b"WATCHDOG=1\n"] * 3
