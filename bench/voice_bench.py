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
from typing import Any

from bench.display_bench import CONFIG, measure
from bench.stats import latency_rows, summarize
from config.display_node import DisplayNode, Speech
from config.load import load_hall
from config.schema import Hall
from display.announcer import AnnouncementRenderer, CallRequest
from hw.speech import EspeakSpeech


def press_to_audio(hall: Hall, kind: str, samples: int) -> list[float]:
    """Seconds from sending ``call_next`` to the announcement's first sample, per call."""
    node = DisplayNode(id=f"display-bench-{kind}", speech=Speech(voice=kind))  # type: ignore[arg-type]
    return measure(hall, node, samples)[2]


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
