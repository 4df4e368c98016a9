"""Chain benchmark: a caller's pin edge → the display's state, and → its announcement audio.

A real broker process on loopback; the real caller runtime on gpiozero's
MockFactory (press filter, command worker, request client); the real display
core (state mirror, board state) in the same process with its own sockets.

* press → display state: ``drive_low()`` until the display's mirror holds the
  view in which counter 1 serves the newly called ticket (the display core is
  silent here, so speech synthesis does not load the machine meanwhile);
* press → announcement audio ready: ``drive_low()`` until the announcer has
  the call's clip rendered by espeak-ng (both languages and the chime), ready
  to play. Fewer samples: each render takes espeak-ng a good part of a second.

The press filter's clock is shifted by a second between presses so its
duplicate-press guard never sleeps the benchmark; presses are paced under the
broker's per-node rate limit, which would otherwise refuse some of them.
"""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

from bench.stats import latency_rows, summarize

CONFIG = Path(__file__).resolve().parents[1] / "config" / "hall.example.toml"
CALL_NEXT_PIN = 17
COUNTER = 1


def run(quick: bool) -> list[dict[str, Any]]:
    """Measure press → display state and press → announcement audio ready.

    Args:
        quick: a handful of samples (a smoke test) instead of 1 000 and 40.

    Returns:
        Figures as dicts with ``figure``, ``value``, ``unit``, ``how``.
    """
    from gpiozero.pins.mock import MockFactory

    from caller.run import CallerNodeRuntime
    from callnext.demo import start_broker, stop_broker
    from config.load import load_hall
    from display.announcer import AnnouncementRenderer, Announcer
    from display.app import DisplayCore
    from foundation.heap import settle_heap
    from hw.audio import RecordingAudio
    from hw.speech import EspeakSpeech
    from protocol.client import RequestClient
    from protocol.mirror import StateMirror
    from runtime.blocks import display_block

    state_samples, audio_samples = (20, 3) if quick else (1000, 40)
    hall = load_hall(CONFIG)
    caller_node = hall.callers[0].model_copy(update={"gpio": "mock"})
    display_node = display_block(hall, "display-1")
    shift = [0.0]
    state_s: list[float] = []
    reply_s: list[float] = []
    audio_s: list[float] = []
    failures = 0
    with tempfile.TemporaryDirectory(prefix="callnext-chain-bench-") as data:
        process, endpoints = start_broker(str(CONFIG), Path(data), clock_start="2026-11-25T09:00")
        commands, events = endpoints["commands"], endpoints["events"]
        factory = MockFactory()
        runtime: CallerNodeRuntime | None = None
        cores: list[tuple[StateMirror, Announcer | None]] = []
        try:
            with RequestClient(commands, "bench-kiosk") as kiosk:
                for _ in range(state_samples + audio_samples + 1):
                    kiosk.request("issue_ticket", {"service": "general"})
            runtime = CallerNodeRuntime(
                hall, caller_node, COUNTER, wire_node=f"caller-{COUNTER}",
                command_endpoint=commands, event_endpoint=events, pin_factory=factory,
                monotonic=lambda: time.monotonic() + shift[0])
            runtime.start()
            pin = factory.pin(CALL_NEXT_PIN)
            answered: list[float] = []
            # The caller's worker hears the broker's reply: press -> reply splits the chain
            # into the broker's round trip and the events' way to the display.
            runtime.caller.on_outcome = lambda outcome: answered.append(time.perf_counter())

            def display(announcer: Announcer | None) -> tuple[DisplayCore, threading.Event,
                                                              list[float], StateMirror]:
                mirror = StateMirror(commands, events, display_node.id)
                core = DisplayCore(hall, display_node, mirror, announcer)
                changed = threading.Event()
                seen_at: list[float] = []
                last = [None]

                def on_state(kind: str, payload: Any) -> None:
                    # Runs after the core's own listener: its view is already this one.
                    if kind != "state":
                        return
                    serving = (payload.get("counters", {}).get(str(COUNTER)) or {}).get("serving")
                    # A press finishes the previous visitor and calls the next: two events,
                    # two views. Only the one with the new ticket is what the clerk waits for
                    # (counting the other too misaligned the samples: negative latencies).
                    if serving is not None and serving != last[0]:
                        last[0] = serving
                        seen_at.append(time.perf_counter())
                        changed.set()

                mirror.add_listener(on_state)
                cores.append((mirror, announcer))
                if announcer is not None:
                    announcer.start()
                mirror.start()
                deadline = time.monotonic() + 10
                while not (mirror.connected and runtime.mirror.connected) \
                        and time.monotonic() < deadline:
                    time.sleep(0.01)
                return core, changed, seen_at, mirror

            # The broker limits each node's request rate (security.rate_per_second) and
            # refuses the excess: a clerk never presses that fast, so the bench paces itself.
            gap_s = 1.25 / hall.security.rate_per_second
            last = [0.0]

            def press(before: Callable[[], None] = lambda: None) -> float:
                shift[0] += 1.0
                time.sleep(max(0.0, last[0] + gap_s - time.perf_counter()))
                before()  # after the pause: a late view of the last press is not this one's
                started = last[0] = time.perf_counter()
                pin.drive_low()
                pin.drive_high()
                return started

            # 1. press -> display state (a silent display).
            core, changed, seen_at, mirror = display(None)
            runtime.caller.worker.wait_idle(5)
            # The caller and display processes settle their heaps once started
            # (foundation.heap); this process stands for both, so it does the same.
            settle_heap()
            for _ in range(state_samples):
                marks: list[int] = []
                started = press(lambda: (changed.clear(), marks.extend((len(seen_at),
                                                                         len(answered)))))
                count, replies = marks
                if changed.wait(5) and len(seen_at) > count:
                    state_s.append(seen_at[count] - started)
                else:
                    failures += 1
                runtime.caller.worker.wait_idle(5)
                if len(answered) > replies:
                    reply_s.append(answered[replies] - started)
            mirror.stop()

            # 2. press -> announcement audio ready (espeak-ng, both languages, chime).
            sink = RecordingAudio(speed=1000.0)
            renderer = AnnouncementRenderer(hall, display_node.speech, EspeakSpeech())
            announcer = Announcer(renderer.render, sink, clock=time.perf_counter)
            core, changed, seen_at, mirror = display(announcer)
            for _ in range(audio_samples):
                heard = len(announcer.history)
                started = press()
                deadline = time.monotonic() + 20
                while len(announcer.history) <= heard and time.monotonic() < deadline:
                    time.sleep(0.002)
                spoken = announcer.history[heard:]
                if spoken and spoken[0].ready_at is not None and spoken[0].error is None:
                    audio_s.append(spoken[0].ready_at - started)
                else:
                    failures += 1
                runtime.caller.worker.wait_idle(5)
                announcer.wait_idle(10)
        finally:
            for mirror, announcer in cores:
                mirror.stop()
                if announcer is not None:
                    announcer.stop()
            if runtime is not None:
                runtime.close()
            factory.reset()
            stop_broker(process)
    state = summarize(state_s)
    reply = summarize(reply_s)
    audio = summarize(audio_s)
    how_state = (f"{state['count']} CALL NEXT presses on a MockFactory pin, drive_low() to the "
                 "display's mirror holding the view with the new ticket at the counter; real "
                 "broker on loopback (journal fsync'd), caller and display in one process")
    how_audio = (f"{audio['count']} presses, drive_low() to the announcer's clip rendered by "
                 "espeak-ng (zh + en + chime), ready to play")
    how_reply = (f"{reply['count']} of the same presses, drive_low() to the caller's worker "
                 "holding the broker's reply (the rest of the chain is the events' way to the "
                 "display's mirror)")
    return [
        *latency_rows("caller press → display state", state, how_state),
        *latency_rows("caller press → broker reply at the caller", reply, how_reply),
        *latency_rows("caller press → announcement audio ready", audio, how_audio),
        {"figure": "chain presses lost", "value": failures, "unit": "presses",
         "how": f"of {state_samples + audio_samples} (refused, unanswered or unheard); "
                "should be 0"},
    ]


if __name__ == "__main__":  # pragma: no cover
    for row in run(quick=False):
        print(f"{row['figure']:<44} {row['value']:>10} {row['unit']:<8} {row['how']}")
