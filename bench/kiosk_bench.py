"""Kiosk figures: touch -> ticket acknowledged by a real broker -> bytes handed to the printer.

Runs the real controller, issue flow, ticket composer and request client
against a ``callnext broker`` process on loopback; the printer is the
in-memory one (the bytes are real escpos output), so the figure is the
kiosk's own latency without the printer's mechanics.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stats import summarize
from callnext.demo import start_broker, stop_broker
from config.load import load_hall
from hw.printer import MemoryPrinter
from kiosk.controller import KioskController
from kiosk.issuing import IssueFlow
from kiosk.presenter import KioskPresenter
from protocol.client import RequestClient

CONFIG = Path(__file__).resolve().parents[1] / "config" / "hall.example.toml"
CLOCK_START = "2026-11-25T09:00"
PACE_S = 0.07


def run(quick: bool) -> list[dict[str, Any]]:
    """Measure touch -> ack -> bytes at the printer, p50/p99, for both Chinese modes."""
    samples = 30 if quick else 200
    hall = load_hall(CONFIG)
    base = hall.kiosks[0]
    figures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as data:
        process, endpoints = start_broker(str(CONFIG), Path(data), clock_start=CLOCK_START)
        try:
            with RequestClient(endpoints["commands"], base.id, timeout_ms=2000, retries=2) as client:
                for chinese in ("gb18030", "image"):
                    node = base.model_copy(update={"printer": base.printer.model_copy(
                        update={"chinese": chinese, "type": "preview"})})
                    printer = MemoryPrinter()
                    handed: list[float] = []
                    original = printer.print_bytes

                    def timed(data: bytes, _orig: Any = original, _h: list[float] = handed) -> None:
                        _orig(data)
                        _h.append(time.perf_counter())

                    printer.print_bytes = timed  # type: ignore[method-assign]
                    flow = IssueFlow(hall, node, client, printer)
                    controller = KioskController(KioskPresenter(hall, node), flow, now=lambda: None)
                    controller.set_connected(True)
                    latencies: list[float] = []
                    services = [s.id for s in controller.presenter.services]
                    for i in range(samples + 5):
                        printed = len(handed)
                        start = time.perf_counter()
                        controller.press(f"service:{services[i % len(services)]}")
                        if i >= 5 and len(handed) > printed:
                            latencies.append((handed[-1] - start) * 1000.0)
                        controller.press("home")
                        # The broker rate-limits a node to 20 requests/s; a kiosk never
                        # comes near that, the benchmark must not either.
                        time.sleep(max(0.0, PACE_S - (time.perf_counter() - start)))
                    summary = summarize([x / 1000.0 for x in latencies])
                    size = len(printer.jobs[-1]) if printer.jobs else 0
                    how = (f"{len(latencies)} touches on the real controller -> issue_ticket to a "
                           f"broker process on loopback -> escpos bytes ({chinese}, {size} B) "
                           "handed to the printer port")
                    for q in ("p50", "p99"):
                        figures.append({"figure": f"kiosk touch->ack->printer {chinese} {q}",
                                        "value": round(float(summary[f"{q}_ms"]), 2), "unit": "ms",
                                        "how": how})
        finally:
            stop_broker(process)
    return figures


if __name__ == "__main__":  # pragma: no cover
    for row in run(quick=False):
        print(f"{row['figure']:<45} {row['value']:>8} {row['unit']}  ({row['how']})")
