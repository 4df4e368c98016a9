"""Caller benchmark: a mock pin edge → the broker's acknowledgement, p50/p99.

A real broker process on loopback, the real caller runtime (press filter,
command worker, request client, state mirror) on gpiozero's MockFactory. Each
sample is one CALL NEXT press, timed from ``drive_low()`` to the worker
having the broker's ``ok``. The press filter's clock is shifted by a second
between presses so the duplicate-press guard never sleeps the benchmark.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.stats import latency_rows, summarize

CONFIG = Path(__file__).resolve().parents[1] / "config" / "hall.example.toml"
CALL_NEXT_PIN = 17


def run(quick: bool) -> list[dict[str, Any]]:
    """Measure press-to-acknowledgement latency.

    Args:
        quick: a handful of samples (a smoke test) instead of 500.

    Returns:
        Figures as dicts with ``figure``, ``value``, ``unit``, ``how``.
    """
    from gpiozero.pins.mock import MockFactory

    from caller.run import CallerNodeRuntime
    from callnext.demo import start_broker, stop_broker
    from config.load import load_hall
    from protocol.client import RequestClient

    samples = 20 if quick else 500
    hall = load_hall(CONFIG)
    node = hall.callers[0].model_copy(update={"gpio": "mock"})
    shift = [0.0]
    with tempfile.TemporaryDirectory(prefix="callnext-caller-bench-") as data:
        process, endpoints = start_broker(str(CONFIG), Path(data),
                                          clock_start="2026-11-25T09:00")
        factory = MockFactory()
        runtime = None
        try:
            with RequestClient(endpoints["commands"], "bench-kiosk") as kiosk:
                for _ in range(samples):
                    kiosk.request("issue_ticket", {"service": "general"})
            runtime = CallerNodeRuntime(
                hall, node, 1, wire_node="caller-bench", command_endpoint=endpoints["commands"],
                event_endpoint=endpoints["events"], pin_factory=factory,
                monotonic=lambda: time.monotonic() + shift[0])
            done = threading.Event()
            answered: list[float] = []

            def on_outcome(outcome: Any) -> None:
                if outcome.command.op == "call_next":
                    answered.append(time.perf_counter())
                    done.set()

            runtime.caller.on_outcome = on_outcome
            runtime.start()
            deadline = time.monotonic() + 10
            while not runtime.mirror.connected and time.monotonic() < deadline:
                time.sleep(0.01)
            runtime.caller.worker.wait_idle(5)  # the clock-anchoring snapshot
            pin = factory.pin(CALL_NEXT_PIN)
            latencies: list[float] = []
            failures = 0
            for _ in range(samples):
                shift[0] += 1.0
                done.clear()
                started = time.perf_counter()
                pin.drive_low()
                pin.drive_high()
                if not done.wait(5):
                    failures += 1
                    continue
                outcome = runtime.caller.outcomes[-1]
                if outcome.status != "ok":
                    failures += 1
                    continue
                latencies.append(answered[-1] - started)
        finally:
            if runtime is not None:
                runtime.close()
            factory.reset()
            stop_broker(process)
    summary = summarize(latencies)
    how = (f"{summary['count']} CALL NEXT presses on a MockFactory pin, drive_low() to the "
           f"broker's ok in the command worker; real broker on loopback (journal fsync'd)")
    return [
        *latency_rows("caller press → broker ack", summary, how),
        {"figure": "caller presses lost or refused", "value": failures, "unit": "presses",
         "how": f"of {samples}; should be 0"},
    ]


if __name__ == "__main__":  # pragma: no cover
    for row in run(quick=False):
        print(f"{row['figure']:<36} {row['value']:>10} {row['unit']:<8} {row['how']}")
