"""Display benchmarks: a call command sent → the display's state updated, and → its audio ready.

A real broker process on loopback, a headless display (state mirror, presenter,
announcer with real espeak-ng rendering) in this process; only the sound card is
replaced by the recording sink, sped up so announcements never queue behind each
other (queueing is policy, not latency).
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.stats import latency_rows, summarize
from callnext.demo import start_broker, stop_broker
from config.display_node import DisplayNode
from config.load import load_hall
from config.schema import Hall
from display.announcer import AnnouncementRenderer, Announcer
from display.app import DisplayCore
from hw.audio import RecordingAudio
from hw.speech import EspeakSpeech
from protocol.client import RequestClient
from protocol.mirror import StateMirror

CONFIG = Path(__file__).resolve().parents[1] / "config" / "hall.example.toml"


def _wait(condition: Any, limit_s: float = 10.0) -> bool:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.0005)
    return bool(condition())


def measure(hall: Hall, node: DisplayNode, samples: int) -> tuple[list[float], list[float],
                                                                   list[float]]:
    """Send ``samples`` calls to counter 1 and time each one's path through the display.

    Returns:
        Seconds from sending ``call_next`` to: the state updated, the audio rendered, the
        first sample handed to the sink (every call a new ticket: the phrase cache is cold).
    """
    with tempfile.TemporaryDirectory(prefix="callnext-display-bench-") as data:
        process, endpoints = start_broker(str(CONFIG), Path(data),
                                          clock_start="2026-11-25T09:00")
        renderer = AnnouncementRenderer(hall, node.speech, EspeakSpeech())
        announcer = Announcer(renderer.render, RecordingAudio(speed=1000.0),
                              clock=time.perf_counter, pileup_threshold=50)
        mirror = StateMirror(endpoints["commands"], endpoints["events"], node.id)
        # Not used directly: it hooks the mirror to the announcer, as on a real display.
        _core = DisplayCore(hall, node, mirror, announcer)
        seen: dict[str, float] = {}
        lock = threading.Lock()

        def on_state(kind: str, payload: Any) -> None:
            if kind == "state":
                serving = payload.get("counters", {}).get("1", {}).get("serving")
                with lock:
                    seen.setdefault(str(serving), time.perf_counter())

        mirror.add_listener(on_state)
        client = RequestClient(endpoints["commands"], "bench-caller", timeout_ms=2000)
        announcer.start()
        mirror.start()
        state_s: list[float] = []
        ready_s: list[float] = []
        started_s: list[float] = []
        try:
            if not _wait(lambda: mirror.connected):
                raise RuntimeError("the display did not connect to the bench broker")
            for _ in range(samples):
                client.request("issue_ticket", {"service": "general"})
                sent = time.perf_counter()
                ticket = client.request("call_next", {"counter": 1})["ticket"]
                if not _wait(lambda: ticket in seen) or not _wait(
                        lambda: any(s.request.ticket == ticket and s.started_at
                                    for s in announcer.history)):
                    raise RuntimeError(f"the display never showed or played {ticket}")
                state_s.append(seen[ticket] - sent)
                spoken = next(s for s in announcer.history if s.request.ticket == ticket)
                ready_s.append(float(spoken.ready_at or 0.0) - sent)
                started_s.append(float(spoken.started_at or 0.0) - sent)
                announcer.wait_idle(10.0)
        finally:
            mirror.stop()
            announcer.stop()
            client.close()
            stop_broker(process)
    return state_s, ready_s, started_s


def run(quick: bool) -> list[dict[str, Any]]:
    """Measure; each figure is a dict with figure, value, unit, how.

    Args:
        quick: 5 calls instead of 100 (a smoke test of the machinery).
    """
    samples = 5 if quick else 100
    hall = load_hall(str(CONFIG))
    node = DisplayNode(id="display-bench")
    state_s, audio_s, _ = measure(hall, node, samples)
    state, audio = summarize(state_s), summarize(audio_s)
    how = (f"{samples} sequential call_next on loopback, real broker process, "
           "display mirror in-process")
    return (latency_rows("display: call → state updated", state, how)
            + latency_rows("display: call → first audio ready", audio,
                           how + "; chime + zh + en, the configured voice"))


if __name__ == "__main__":  # pragma: no cover
    for row in run(quick=False):
        print(f"{row['figure']:<42} {row['value']:>8} {row['unit']:<3} {row['how']}")
