"""Shared helpers of the kiosk tests: a hall file, a real broker, a fake network printer."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tomli_w

from broker.service import BrokerService
from callnext.demo import start_broker, stop_broker
from protocol import envelope
from protocol.errors import CommandRefused

CLOCK = "2026-11-25T09:00"
"""A Wednesday morning (hall-local)."""


def hall_data(**overrides: Any) -> dict[str, Any]:
    """A small hall open 08:30-17:30 on weekdays, with one kiosk node on a memory printer."""
    data: dict[str, Any] = {
        "name": {"zh": "测试服务大厅", "en": "Test Service Hall"},
        "hours": {"timezone": "Asia/Shanghai", "days": ["mon", "tue", "wed", "thu", "fri"],
                  "periods": [{"start": "08:30", "end": "12:00"},
                              {"start": "13:30", "end": "17:30"}]},
        "services": [
            {"id": "general", "prefix": "A", "name": {"zh": "综合业务", "en": "General Services"},
             "expected_minutes": 10},
            {"id": "reimburse", "prefix": "C", "name": {"zh": "医疗费用报销",
                                                        "en": "Medical Expense Reimbursement"}},
            {"id": "priority", "prefix": "Y", "name": {"zh": "优先办理", "en": "Priority Service"},
             "priority": True},
            {"id": "appointment", "prefix": "B", "name": {"zh": "预约办理", "en": "Appointments"},
             "kiosk": False},
        ],
        "counters": [
            {"number": 1, "services": ["general", "reimburse"]},
            {"number": 2, "services": ["priority", "general", "appointment"]},
        ],
        "kiosks": [{"id": "kiosk-1", "printer": {"type": "preview", "profile": "TM-T20II"}}],
    }
    data.update(overrides)
    return data


def write_hall(path: Path, **overrides: Any) -> Path:
    """Write the hall TOML and return its path."""
    path.write_text(tomli_w.dumps(hall_data(**overrides)), encoding="utf-8")
    return path


@contextmanager
def running_broker(tmp: Path, clock: str = CLOCK, **overrides: Any) -> Iterator[dict[str, Any]]:
    """A real broker process on loopback for the hall; yields its endpoints and config path."""
    config = write_hall(tmp / "hall.toml", **overrides)
    (tmp / "data").mkdir(exist_ok=True)
    process, endpoints = start_broker(str(config), tmp / "data", clock_start=clock)
    try:
        yield {"config": config, "process": process, **endpoints}
    finally:
        stop_broker(process)


def dead_endpoint() -> str:
    """A loopback endpoint where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"tcp://127.0.0.1:{port}"


class FakeNetworkPrinter:
    """A real TCP peer on loopback that behaves like an ESC/POS network printer.

    It records every byte received and answers DLE EOT 1 / DLE EOT 4 queries
    with the configured status bytes; ``None`` means silence (no answer).

    Args:
        online: answer byte to DLE EOT 1 (0x12 online, 0x1A offline) or None.
        paper: answer byte to DLE EOT 4 (0x12 ready, 0x1E near end, 0x72 out) or None.
    """

    def __init__(self, online: int | None = 0x12, paper: int | None = 0x12) -> None:
        self.online = online
        self.paper = paper
        self.received = bytearray()
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(4)
        self._server.settimeout(0.2)
        self.port: int = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                continue
            conn.settimeout(0.2)
            with conn:
                pending = b""
                while not self._stop.is_set():
                    try:
                        chunk = conn.recv(4096)
                    except TimeoutError:
                        continue
                    except OSError:
                        break
                    if not chunk:
                        break
                    self.received += chunk
                    pending += chunk
                    while b"\x10\x04" in pending:
                        at = pending.index(b"\x10\x04")
                        if len(pending) < at + 3:
                            break
                        n = pending[at + 2]
                        pending = pending[at + 3:]
                        answer = self.online if n == 1 else self.paper if n == 4 else None
                        if answer is not None:
                            conn.sendall(bytes([answer]))
                    else:
                        pending = pending[-2:]

    def close(self) -> None:
        """Stop serving."""
        self._stop.set()
        self._thread.join(timeout=2)
        self._server.close()


class InProcess:
    """The request client's contract, answered by a broker service in this process."""

    def __init__(self, service: BrokerService) -> None:
        self.service = service

    def request(self, op: str, args: dict[str, Any] | None = None, *,
                request_id: str | None = None) -> dict[str, Any]:
        rid = request_id or envelope.new_request_id()
        raw = envelope.encode_request(envelope.Request(rid, op, "kiosk-1", dict(args or {})))
        reply = envelope.decode_reply(self.service.handle(raw).reply)
        if not reply["ok"]:
            error = reply["error"]
            raise CommandRefused(error["code"], error["message"], rid, error["params"])
        result: dict[str, Any] = reply["result"]
        return result


def widget_texts(widget: Any) -> list[str]:
    """Every text in a Kivy widget tree (the widget's own first)."""
    found = [getattr(widget, "text", "")]
    for child in widget.children:
        found += widget_texts(child)
    return found
