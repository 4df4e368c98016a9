"""End to end on loopback: a mock pin press → real broker → the snapshot shows it."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from caller.run import CallerNodeRuntime
from callnext.demo import start_broker, stop_broker
from config.load import load_hall
from protocol.client import RequestClient
from tests.conftest import wait_for

pytestmark = pytest.mark.e2e

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")
CALL_NEXT, RECALL, RATE_BEST, STATUS = 17, 27, 16, 5


@contextmanager
def _caller(broker: dict[str, str], node: Any) -> Iterator[tuple[CallerNodeRuntime, MockFactory]]:
    """Counter 1's caller on mock pins, started against ``broker``, its press loop ticking."""
    factory = MockFactory()
    runtime = CallerNodeRuntime(load_hall(CONFIG), node, 1, wire_node="caller-1",
                                command_endpoint=broker["commands"],
                                event_endpoint=broker["events"], pin_factory=factory)
    stop = threading.Event()
    loop = threading.Thread(target=_tick, args=(runtime, stop), daemon=True)
    try:
        runtime.start()
        loop.start()
        assert wait_for(lambda: runtime.mirror.connected)
        yield runtime, factory
    finally:
        stop.set()
        if loop.is_alive():
            loop.join(5)
        runtime.close()
        factory.reset()


def _call_next(factory: MockFactory, kiosk: RequestClient, issued: str) -> None:
    factory.pin(CALL_NEXT).drive_low()
    factory.pin(CALL_NEXT).drive_high()
    assert wait_for(lambda: kiosk.request("snapshot", {})["view"]["counters"]["1"]
                    ["serving"] == issued)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[dict[str, str]]:
    process, endpoints = start_broker(CONFIG, tmp_path, clock_start="2026-11-25T09:00")
    yield endpoints
    stop_broker(process)


def test_a_press_calls_the_next_ticket_and_the_pad_rates_it(broker: dict[str, str]) -> None:
    node = load_hall(CONFIG).callers[0].model_copy(update={"gpio": "mock"})
    with RequestClient(broker["commands"], "e2e-kiosk") as kiosk:
        issued = kiosk.request("issue_ticket", {"service": "general"})["ticket"]
        with _caller(broker, node) as (runtime, factory):
            _call_next(factory, kiosk, issued)
            assert wait_for(lambda: runtime.devices.status.is_lit)
            assert wait_for(lambda: runtime.caller.pad_open())
            factory.pin(RATE_BEST).drive_low()
            factory.pin(RATE_BEST).drive_high()
            assert runtime.caller.worker.wait_idle(5)
            rated = [o for o in runtime.caller.outcomes if o.command.op == "rate"]
            assert [(o.status, o.result) for o in rated] == [
                ("ok", {"ticket": issued, "score": 5, "negative": False, "case": None})]


def test_holding_recall_asks_the_displays_for_a_slow_repeat(broker: dict[str, str]) -> None:
    # The example hall's wiring: RECALL held = 慢速重呼, here with the shortest hold time.
    caller = load_hall(CONFIG).callers[0]
    node = caller.model_copy(update={
        "gpio": "mock", "long_press": caller.long_press.model_copy(update={"hold_seconds": 0.3})})
    recalled: list[dict[str, object]] = []
    with RequestClient(broker["commands"], "e2e-kiosk") as kiosk:
        issued = kiosk.request("issue_ticket", {"service": "general"})["ticket"]
        with _caller(broker, node) as (runtime, factory):
            runtime.mirror.add_listener(lambda kind, payload: recalled.append(payload.data) if (
                kind == "event" and payload.type == "recalled") else None)
            _call_next(factory, kiosk, issued)
            factory.pin(RECALL).drive_low()  # held until the tick loop fires the long press
            assert wait_for(lambda: any(o.command.op == "recall"
                                        for o in runtime.caller.outcomes), 10)
            factory.pin(RECALL).drive_high()
            assert wait_for(lambda: bool(recalled), 10)
            assert recalled[0]["ticket"] == issued and recalled[0]["slow"] is True


def _tick(runtime: CallerNodeRuntime, stop: threading.Event) -> None:
    while not stop.is_set():
        runtime.caller.tick()
        stop.wait(0.02)
