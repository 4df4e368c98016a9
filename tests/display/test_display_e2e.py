"""A real broker, a headless display (mirror + presenter + announcer), calls on loopback."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest
from display_fixtures import named_hall  # noqa: F401 - keeps helpers importable

from callnext.demo import start_broker, stop_broker
from config.display_node import DisplayNode
from config.load import load_hall
from display.announcer import AnnouncementRenderer, Announcer
from display.app import AUDIO, DisplayCore
from hw.audio import RecordingAudio
from hw.speech import EspeakSpeech
from protocol.client import RequestClient
from protocol.mirror import StateMirror
from runtime.health import HealthReporter
from tests.conftest import wait_for

pytestmark = pytest.mark.e2e

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def newest_ticket(core: DisplayCore) -> str | None:
    newest = core.board().newest
    return newest.ticket if newest else None


def audio_health(core: DisplayCore) -> str | None:
    for entry in (core.view.health.values() if core.view is not None else ()):
        if entry.node == "display-e2e" and entry.component == "audio":
            return entry.status
    return None


def test_call_reaches_board_and_voice_and_display_recovers_from_broker_restart(
        tmp_path: Path) -> None:
    ports = (free_port(), free_port())

    def start() -> tuple[object, dict[str, str]]:
        return start_broker(CONFIG, tmp_path, clock_start="2026-11-25T09:00",
                            command_port=ports[0], event_port=ports[1])

    process, endpoints = start()
    hall = load_hall(CONFIG)
    node = DisplayNode(id="display-e2e", counters=(1, 2, 3))
    sink = RecordingAudio(speed=40.0, fail=1)  # the first announcement meets a broken device
    health_client = RequestClient(endpoints["commands"], node.id, timeout_ms=500, retries=2)
    reporter = HealthReporter(health_client.request, retry_s=0.3)
    renderer = AnnouncementRenderer(hall, node.speech, EspeakSpeech())
    announcer = Announcer(renderer.render, sink,
                          on_health=lambda status, message: reporter.report(AUDIO, status, message))
    mirror = StateMirror(endpoints["commands"], endpoints["events"], node.id)
    core = DisplayCore(hall, node, mirror, announcer)
    clerk = RequestClient(endpoints["commands"], "e2e-clerk", timeout_ms=1000, retries=3)
    reporter.start()
    announcer.start()
    mirror.start()
    try:
        for _ in range(4):
            clerk.request("issue_ticket", {"service": "general"})
        assert wait_for(lambda: core.board().banner is None)
        # The wall shows the broker's day and time (09:00 on 25 Nov), not this machine's.
        board = core.board()
        assert board.date_zh == "2026年11月25日 星期三" and board.clock.startswith("09:0")

        clerk.request("call_next", {"counter": 1})
        assert wait_for(lambda: newest_ticket(core) == "A001")
        assert wait_for(lambda: any(s.request.ticket == "A001" for s in announcer.history))
        assert announcer.history[0].error is not None  # broken device: not heard...
        assert wait_for(lambda: audio_health(core) == "fault")  # ...and staff are told

        clerk.request("call_next", {"counter": 4})  # outside this display's zone
        clerk.request("call_next", {"counter": 2})
        assert wait_for(lambda: [p.clip.label for p in sink.played] == ["call A003 -> 2"])
        assert wait_for(lambda: audio_health(core) == "ok")
        assert core.board().tiles[0].ticket == "A001"

        os.kill(process.pid, signal.SIGKILL)  # type: ignore[attr-defined]
        process.wait(timeout=10)  # type: ignore[attr-defined]
        lost_at = time.monotonic()
        assert wait_for(lambda: core.board().banner is not None, limit_s=8.0)
        assert time.monotonic() - lost_at < 5.0  # the "~3 s", with scheduling slack
        assert core.board().banner.en == "Connection lost"  # type: ignore[union-attr]
        assert core.board().newest.ticket == "A003"  # type: ignore[union-attr]

        process, _ = start()
        clerk.request("recall", {"counter": 2})
        assert wait_for(lambda: core.board().banner is None, limit_s=15.0)
        assert wait_for(lambda: [p.clip.label for p in sink.played]
                        == ["call A003 -> 2", "recall A003 -> 2"])
        assert core.board().newest.recall  # type: ignore[union-attr]
        assert announcer.wait_idle(10.0)
        time.sleep(0.3)
        # Heard once: neither the live event nor the catch-up repeated it.
        assert [p.clip.label for p in sink.played] == ["call A003 -> 2", "recall A003 -> 2"]
        # The clerk asks for a slow repeat for this one visitor: the display says it slowly.
        clerk.request("recall", {"counter": 2, "slow": True})
        assert wait_for(lambda: len(sink.played) == 3)
        assert sink.played[2].clip.label == "recall A003 -> 2 (slow)"
        assert sink.played[2].clip.duration_s > sink.played[1].clip.duration_s * 1.2
    finally:
        mirror.stop()
        announcer.stop()
        reporter.stop()
        health_client.close()
        clerk.close()
        stop_broker(process)  # type: ignore[arg-type]
