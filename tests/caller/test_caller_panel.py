"""The demo's caller panel: each row acts as its own counter's caller against a real broker."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from caller.panel import CallerPanel
from callnext.demo import start_broker, stop_broker
from config.load import load_hall
from protocol.client import RequestClient
from tests.conftest import wait_for

pytestmark = pytest.mark.e2e

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[dict[str, str]]:
    process, endpoints = start_broker(CONFIG, tmp_path, clock_start="2026-11-25T09:00")
    yield endpoints
    stop_broker(process)


def test_each_row_calls_for_its_own_counter_under_its_own_name(broker: dict[str, str]) -> None:
    hall = load_hall(CONFIG)
    panel = CallerPanel(hall, broker["commands"], broker["events"], lambda name: None)
    try:
        with RequestClient(broker["commands"], "kiosk-1") as kiosk:
            first = kiosk.request("issue_ticket", {"service": "enrol"})["ticket"]
            second = kiosk.request("issue_ticket", {"service": "general"})["ticket"]
            panel.start()
            assert wait_for(lambda: panel.runtime.connected)
            panel.press(3, "call_next")  # counter 3 serves enrol first
            assert panel.callers[3].worker.wait_idle(5)
            panel.press(1, "call_next")
            assert panel.callers[1].worker.wait_idle(5)
            counters = kiosk.request("snapshot")["view"]["counters"]
        assert (counters["3"]["serving"], counters["1"]["serving"]) == (first, second)
        # Every row is its counter's own node (the name its CURVE key carries in a hall).
        assert [c.node for c in panel.clients] == [f"caller-{n}" for n in range(1, 7)]
        assert wait_for(lambda: (panel.tick() or True) and second in panel.rows[1].text)
        assert panel.rows[1].text.startswith("1号窗口 Counter 1")
        assert first in panel.rows[3].text and second not in panel.rows[3].text

        panel.press(2, "finish")  # counter 2 serves nobody: refused, and the row says so
        assert panel.callers[2].worker.wait_idle(5)
        assert [o.status for o in panel.callers[2].outcomes] == ["refused"]
        assert wait_for(lambda: (panel.tick() or True) and "finish" in panel.rows[2].text)
    finally:
        panel.close()


def test_a_rows_pad_shows_the_five_levels_then_the_reasons_and_rates(
        broker: dict[str, str]) -> None:
    hall = load_hall(CONFIG)
    panel = CallerPanel(hall, broker["commands"], broker["events"], lambda name: None)
    try:
        assert [label.split("\n")[0] for label in panel.pad_labels(1)] == [
            "非常满意", "满意", "基本满意", "不满意", "非常不满意"]
        with RequestClient(broker["commands"], "kiosk-1") as kiosk:
            ticket = kiosk.request("issue_ticket", {"service": "general"})["ticket"]
            panel.start()
            assert wait_for(lambda: panel.runtime.connected)
            panel.press(1, "call_next")
            assert panel.callers[1].worker.wait_idle(5)
            assert wait_for(lambda: panel.callers[1].pad_open())
            panel.rate(1, 4)  # 非常不满意
            assert [label.split("\n")[0] for label in panel.pad_labels(1)] == [
                "态度", "效率", "业务", "环境", "其他"]
            panel.rate(1, 0)  # 态度
            assert panel.callers[1].worker.wait_idle(5)
            view = kiosk.request("snapshot")["view"]
        (case,) = view["cases"].values()
        assert (case["ticket"], case["level"], case["reason"]) == (ticket, 1, "attitude")
        assert panel.pad_labels(1)[0].startswith("非常满意")
    finally:
        panel.close()
