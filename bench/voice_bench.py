"""Voice benchmarks: a call pressed → its first audio sample handed to the speaker, with the
clip voice and with espeak-ng; CPU per announcement, clips against espeak-ng.

Press → audio: a real broker process on loopback, a headless display (mirror,
announcer) in this process, the sound card replaced by the recording sink (the
moment ``play`` starts is the first sample out). Every call is a new ticket, so
no announcement comes from the phrase cache.

CPU: the same 20 distinct announcements rendered by each voice; this process's CPU
time plus that of its children (espeak-ng runs as a process per utterance).
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.stats import latency_rows, summarize
from callnext.demo import start_broker, stop_broker
from config.display_node import DisplayNode, Speech
from config.load import load_hall
from config.schema import Hall
from display.announcer import AnnouncementRenderer, Announcer, CallRequest
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


def press_to_audio(hall: Hall, kind: str, samples: int) -> list[float]:
    """Seconds from sending ``call_next`` to the announcement's first sample, per call."""
    node = DisplayNode(id=f"display-bench-{kind}", speech=Speech(voice=kind))  # type: ignore[arg-type]
    with tempfile.TemporaryDirectory(prefix="callnext-voice-bench-") as data:
        process, endpoints = start_broker(str(CONFIG), Path(data),
                                          clock_start="2026-11-25T09:00")
        renderer = AnnouncementRenderer(hall, node.speech, EspeakSpeech())
        announcer = Announcer(renderer.render, RecordingAudio(speed=1000.0),
                              clock=time.perf_counter, pileup_threshold=50)
        mirror = StateMirror(endpoints["commands"], endpoints["events"], node.id)
        _core = DisplayCore(hall, node, mirror, announcer)  # hooks the mirror to the voice
        client = RequestClient(endpoints["commands"], "bench-caller", timeout_ms=2000)
        announcer.start()
        mirror.start()
        found: list[float] = []
        try:
            if not _wait(lambda: mirror.connected):
                raise RuntimeError("the display did not connect to the bench broker")
            for _ in range(samples):
                client.request("issue_ticket", {"service": "general"})
                sent = time.perf_counter()
                ticket = client.request("call_next", {"counter": 1})["ticket"]
                if not _wait(lambda: any(s.request.ticket == ticket and s.started_at
                                         for s in announcer.history)):
                    raise RuntimeError(f"the display never played {ticket}")
                spoken = next(s for s in announcer.history if s.request.ticket == ticket)
                found.append(float(spoken.started_at or 0.0) - sent)
                announcer.wait_idle(10.0)
        finally:
            mirror.stop()
            announcer.stop()
            client.close()
            stop_broker(process)
    return found


def _cpu_s() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def cpu_per_announcement(hall: Hall, kind: str, count: int) -> float:
    """Mean CPU seconds to render one announcement (chime, zh, en), cache cold."""
    renderer = AnnouncementRenderer(hall, Speech(voice=kind), EspeakSpeech())  # type: ignore[arg-type]
    renderer.render(CallRequest("B999", 2))  # warm: chime, pack, imports
    before = _cpu_s()
    for index in range(count):
        renderer.render(CallRequest(f"A{index:03d}", 1 + index % 6))
    return (_cpu_s() - before) / count


def run(quick: bool) -> list[dict[str, Any]]:
    """Measure; each figure is a dict with figure, value, unit, how.

    Args:
        quick: 5 calls instead of 100, 3 renders instead of 20.
    """
    samples, renders = (5, 3) if quick else (100, 20)
    hall = load_hall(str(CONFIG))
    rows: list[dict[str, Any]] = []
    how = (f"{samples} sequential call_next, real broker on loopback, display in-process, "
           "first sample handed to the audio sink")
    for kind in ("clips", "espeak"):
        rows += latency_rows(f"voice ({kind}): press → first audio sample",
                             summarize(press_to_audio(hall, kind, samples)), how)
    for kind in ("clips", "espeak"):
        rows.append({"figure": f"voice ({kind}): CPU per announcement",
                     "value": round(cpu_per_announcement(hall, kind, renders) * 1000, 1),
                     "unit": "ms", "how": f"{renders} distinct calls, chime + zh + en, "
                     "process + child CPU time"})
    return rows


if __name__ == "__main__":  # pragma: no cover
    for row in run(quick=False):
        print(f"{row['figure']:<48} {row['value']:>8} {row['unit']:<3} {row['how']}")
