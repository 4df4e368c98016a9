"""Soak: a running broker's wall clock jumps forward, back, by days, and across a restart.

The broker runs in-process (real sockets on loopback, real journal, real tick loop) on a
``TrustedClock`` whose wall clock is the real one plus an offset the test moves, and the real
monotonic clock. A kiosk keeps issuing tickets throughout. Afterwards every number was issued
once, one day was started, every ticket of the day still waits, and the hall stayed open.
``make soak`` runs it; the figures are printed, not asserted.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from broker.clock import ClockPolicy, TrustedClock
from broker.journal import JOURNAL_NAME, Journal
from broker.server import Endpoints, serve
from protocol.client import RequestClient
from tests.conftest import small_hall, wait_for

pytestmark = pytest.mark.e2e

HOUR = 3600.0
TICK_WAIT_S = 15.0
"""Bound on waiting for the broker's tick (every 5 s) to journal a clock change."""


class Broker:
    """``serve`` in a thread, on a wall clock the test can jump."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.offset = 0.0
        self.hall = small_hall()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.endpoints: Endpoints | None = None

    def wall(self) -> float:
        return time.time() + self.offset

    def start(self) -> None:
        ready = threading.Event()
        self._stop = threading.Event()
        clock = TrustedClock(self.wall, time.monotonic, ClockPolicy(jump_s=120, confirm_s=300))

        def on_ready(endpoints: Endpoints) -> None:
            self.endpoints = endpoints
            ready.set()

        self._thread = threading.Thread(target=serve, args=(self.hall, self.data), kwargs={
            "bind": "127.0.0.1", "command_port": 0, "event_port": 0, "clock": clock,
            "insecure": True, "stop": self._stop, "on_ready": on_ready}, daemon=True)
        self._thread.start()
        assert ready.wait(15.0), "the broker did not come up"

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(15.0)

    def client(self) -> RequestClient:
        assert self.endpoints is not None
        return RequestClient(self.endpoints.commands, "admin", timeout_ms=3000, retries=2)


def _alerts(kiosk: RequestClient) -> list[str]:
    return [a["code"] for a in kiosk.request("snapshot")["view"]["alerts"].values()]


def _issue_for(kiosk: RequestClient, seconds: float, numbers: list[str]) -> None:
    """Issue tickets for ``seconds`` of real time (bounded by the count, too)."""
    began = time.monotonic()
    for _ in range(200):
        if time.monotonic() - began >= seconds:
            break
        numbers.append(kiosk.request("issue_ticket", {"service": "general"})["ticket"])
        time.sleep(0.05)


def _phase(broker: Broker, kiosk: RequestClient, offset: float, seconds: float,
           numbers: list[str], expect: Callable[[list[str]], bool]) -> float:
    broker.offset = offset
    _issue_for(kiosk, seconds, numbers)
    began = time.monotonic()
    assert wait_for(lambda: expect(_alerts(kiosk)), TICK_WAIT_S), _alerts(kiosk)
    return time.monotonic() - began


def test_clock_jumps_while_serving_and_across_a_restart(tmp_path: Path) -> None:
    broker = Broker(tmp_path)
    broker.start()
    numbers: list[str] = []
    waits: dict[str, Any] = {}
    try:
        with broker.client() as kiosk:
            _issue_for(kiosk, 1.0, numbers)
            jumped = lambda codes: "clock_jump" in codes  # noqa: E731
            agreed = lambda codes: "clock_jump" not in codes  # noqa: E731
            waits["+10 h"] = _phase(broker, kiosk, 10 * HOUR, 6.0, numbers, jumped)
            waits["back"] = _phase(broker, kiosk, 0.0, 1.0, numbers, agreed)
            waits["+2 days"] = _phase(broker, kiosk, 48 * HOUR, 3.0, numbers, jumped)
            waits["back again"] = _phase(broker, kiosk, 0.0, 1.0, numbers, agreed)
            broker.offset = 10 * HOUR
            _issue_for(kiosk, 1.0, numbers)
        broker.stop()
        broker.offset = 0.0  # corrected while the broker was down
        broker.start()
        with broker.client() as kiosk:
            view = kiosk.request("snapshot")["view"]
            assert view["ticketing"]["open"] is True
            _issue_for(kiosk, 1.0, numbers)
    finally:
        broker.stop()
    print(f"\nclock-jump soak: {len(numbers)} tickets, seconds to see each change: {waits}")
    assert len(numbers) == len(set(numbers)), "a number was issued twice"
    assert numbers == [f"A{n:03d}" for n in range(1, len(numbers) + 1)]
    journal = Journal(tmp_path / JOURNAL_NAME)
    try:
        types = [stored.type for stored in journal.events()]
        carried = [stored.event().data.get("carried") for stored in journal.events()
                   if stored.type == "day_started"]
    finally:
        journal.close()
    assert types.count("day_started") == 1 and carried == [[]]
    assert types.count("alert_raised") >= 2 and types.count("alert_cleared") >= 2
