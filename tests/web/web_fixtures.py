"""A real broker on loopback with staff, and the console wired to it (API and browser tests)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from callnext.demo import start_broker, stop_broker
from config.load import load_hall
from config.schema import Hall
from foundation.pins import hash_pin
from protocol.client import RequestClient
from runtime.node import NodeRuntime
from tests.conftest import wait_for

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")

CLERK, CLERK_PIN = "1024", "2468"
CLERK2, CLERK2_PIN = "1025", "1357"
MANAGER, MANAGER_PIN = "9001", "86420"
LOCKED = "1099"  # a clerk the lockout tests guess at


@dataclass
class Hall_:
    """The running broker: its endpoints, the hall and an admin client."""

    hall: Hall
    commands: str
    events: str
    admin: RequestClient

    def runtime(self, node: str = "web") -> NodeRuntime:
        """A node runtime for the console (not started)."""
        return NodeRuntime(self.hall, node, endpoints=(self.commands, self.events),
                           timeout_ms=1500, retries=2)

    def snapshot(self) -> dict[str, object]:
        """The broker's view now (the admin's snapshot)."""
        return self.admin.request("snapshot", {})["view"]


def add_staff(admin: RequestClient) -> None:
    """The demo staff: two clerks, a manager, and a clerk for the lockout tests."""
    for staff, name, role, pin in ((CLERK, "张三", "clerk", CLERK_PIN),
                                   (CLERK2, "李四", "clerk", CLERK2_PIN),
                                   (MANAGER, "王经理", "manager", MANAGER_PIN),
                                   (LOCKED, "赵六", "clerk", "1111")):
        admin.request("staff_add", {"id": staff, "name": name, "role": role,
                                    "pin_hash": hash_pin(pin)})


@contextlib.contextmanager
def running_hall(folder: Path, keys_dir: Path | None = None) -> Iterator[Hall_]:
    """A broker on loopback (09:00 on a working Wednesday) with the staff added."""
    process, endpoints = start_broker(CONFIG, folder, clock_start="2026-11-25T09:00",
                                      keys_dir=keys_dir)
    try:
        setup = None
        if keys_dir is not None:
            from protocol.security import client_socket_setup

            setup = client_socket_setup(keys_dir, "admin")
        with RequestClient(endpoints["commands"], "admin", socket_setup=setup) as admin:
            add_staff(admin)
            yield Hall_(load_hall(CONFIG), endpoints["commands"], endpoints["events"], admin)
    finally:
        stop_broker(process)


def connected(runtime: NodeRuntime) -> bool:
    """Wait until the runtime's mirror holds a view."""
    return wait_for(lambda: runtime.connected and bool(runtime.view()), 10)
