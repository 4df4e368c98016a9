"""The staff console in the windowed demo: its settings, the demo staff, what the demo prints.

The demo's clerk and manager have fixed, printed PINs: the demo is a bench, not a hall.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from foundation.pins import hash_pin

DEMO_STAFF = (("1001", "张三", "clerk", "1234"), ("1002", "李四", "clerk", "1234"),
              ("9001", "王经理", "manager", "9999"))
"""工号, name, role, PIN of the demo's staff."""


def web_table(port: int) -> dict[str, Any]:
    """The demo hall's ``[web]`` table: this machine only, on ``port``."""
    return {"bind": "127.0.0.1", "port": port, "staff_networks": [],
            "public_url": f"http://127.0.0.1:{port}/"}


def loopback_tables(data: dict[str, Any], *, command_port: int, event_port: int,
                    web_port: int) -> None:
    """Point a demo copy of a hall file (its parsed tables, changed in place) at this machine:
    the broker on ``command_port``/``event_port`` of 127.0.0.1, the console on ``web_port``."""
    data["broker"] = {**data.get("broker", {}), "host": "127.0.0.1", "bind": "127.0.0.1",
                      "command_port": command_port, "event_port": event_port}
    data["web"] = {**data.get("web", {}), **web_table(web_port)}


def add_demo_staff(command_endpoint: str, keys: Path) -> None:
    """Add the demo staff to the running broker (as the admin, over CURVE)."""
    from protocol.client import RequestClient
    from protocol.security import client_socket_setup

    with RequestClient(command_endpoint, "admin", timeout_ms=2000, retries=2,
                       socket_setup=client_socket_setup(keys, "admin")) as admin:
        for staff, name, role, pin in DEMO_STAFF:
            admin.request("staff_add", {"id": staff, "name": name, "role": role,
                                        "pin_hash": hash_pin(pin)})


def console_lines(url: str, hall_file: Path, keys: Path, data: Path) -> str:
    """The console's address, the demo staff and the status/report command lines."""
    clerks = ", ".join(f"{s} / PIN {p}" for s, _n, r, p in DEMO_STAFF if r == "clerk")
    manager = next(f"{s} / PIN {p}" for s, _n, r, p in DEMO_STAFF if r == "manager")
    return (f"callnext demo: staff console / 工作人员控制台 {url}\n"
            f"  counter page / 窗口工作台: {url}counter  (clerks / 窗口人员 {clerks})\n"
            f"  hall page / 大厅管理: {url}  (manager / 大厅经理 {manager})\n"
            f"  status: callnext status --config {hall_file} --keys {keys}\n"
            f"  report: callnext report --config {hall_file} --data {data}")


def announce_console(url: str, hall_file: Path, keys: Path, data: Path,
                     stream: TextIO) -> None:
    """Print the console's address, the demo staff and the status/report command lines."""
    print(console_lines(url, hall_file, keys, data), file=stream, flush=True)
