"""Announcer: real espeak-ng WAVs played into a recording sink with timestamps."""

from __future__ import annotations

import threading
import time

import pytest
from display_fixtures import named_hall

from config.display_node import Speech
from display.announcer import (HISTORY_KEPT, AnnouncementQueue, AnnouncementRenderer, Announcer,
                               CallRequest)
from hw.audio import AplayAudio, AudioError, Pcm, RecordingAudio, WavDirAudio, chime
from hw.speech import EspeakSpeech, SpeechError
from runtime.voice_plan import plan

SPEED = 40.0  # the sink plays 40x faster than real time; order and overlap still real


@pytest.fixture(scope="module")
def renderer() -> AnnouncementRenderer:
    return AnnouncementRenderer(named_hall(), Speech(voice="espeak"), EspeakSpeech())


def labels(sink: RecordingAudio) -> list[str]:
    return [played.clip.label for played in sink.played]


def test_real_espeak_announcement_has_chime_then_chinese_then_english(
        renderer: AnnouncementRenderer) -> None:
    zh_words, en_words = plan(named_hall(), Speech(), "A012", 1)
    zh = renderer.voice.render(zh_words)
    en = renderer.voice.render(en_words)
    assert 1.5 < zh.duration_s < 8.0 and 1.5 < en.duration_s < 6.0
    whole = renderer.render(CallRequest("A012", 1))
    bell = chime()
    pause = Speech().pause_seconds
    expected = bell.duration_s + pause + zh.duration_s + pause + en.duration_s
    assert whole.duration_s == pytest.approx(expected, abs=0.01)
    # The chime comes first, then the Chinese utterance exactly as rendered.
    assert whole.frames.startswith(bell.frames)
    offset = len(bell.frames) + int(pause * 22050) * 2
    assert whole.frames[offset:offset + len(zh.frames)] == zh.frames
    assert whole.frames.endswith(en.frames)
    twice = renderer.render(CallRequest("A012", 1), repeats=2)
    assert twice.duration_s > whole.duration_s + zh.duration_s + en.duration_s


def test_missing_voice_is_a_start_up_error() -> None:
    with pytest.raises(SpeechError, match="no voice no-such-voice"):
        EspeakSpeech().check_voices(["cmn-latn-pinyin", "no-such-voice"])


def test_calls_are_spoken_in_order_one_at_a_time(renderer: AnnouncementRenderer) -> None:
    sink = RecordingAudio(speed=SPEED)
    announcer = Announcer(renderer.render, sink)
    announcer.start()
    try:
        for ticket, counter in (("A001", 1), ("C001", 2), ("A002", 3)):
            announcer.submit(CallRequest(ticket, counter))
        assert announcer.wait_idle(20.0)
    finally:
        announcer.stop()
    assert labels(sink) == ["call A001 -> 1", "call C001 -> 2", "call A002 -> 3"]
    for before, after in zip(sink.played, sink.played[1:]):
        assert after.start >= before.end
    for played in sink.played:
        # Never cut off: each took its whole (scaled) length.
        assert played.end - played.start >= played.clip.duration_s / SPEED * 0.95


def test_a_recall_waits_for_the_current_announcement_then_goes_first(
        renderer: AnnouncementRenderer) -> None:
    sink = RecordingAudio(speed=SPEED)
    announcer = Announcer(renderer.render, sink)
    announcer.submit(CallRequest("A001", 1))
    announcer.start()
    try:
        deadline = time.monotonic() + 10
        while announcer.current is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert announcer.current == CallRequest("A001", 1)
        announcer.submit(CallRequest("C001", 2))
        announcer.submit(CallRequest("A002", 3))
        announcer.submit(CallRequest("Y001", 4, recall=True))
        assert announcer.wait_idle(20.0)
    finally:
        announcer.stop()
    assert labels(sink) == ["call A001 -> 1", "recall Y001 -> 4", "call C001 -> 2",
                            "call A002 -> 3"]
    first = sink.played[0]
    assert first.end - first.start >= first.clip.duration_s / SPEED * 0.95


def test_queue_policy_dedupes_and_drops_repeats_first_in_a_pile_up() -> None:
    queue = AnnouncementQueue(repeat=2, pileup_threshold=3)
    assert queue.push(CallRequest("A001", 1))
    assert not queue.push(CallRequest("A001", 1, at=5.0))  # same call queued twice
    assert queue.push(CallRequest("A002", 2))
    assert not queue.push(CallRequest("A002", 2, recall=True))  # merged, moved ahead
    assert [r.ticket for r in queue.pending()] == ["A002", "A001"]
    assert queue.pending()[0].recall
    assert not queue.push(CallRequest("A002", 2, recall=True, slow=True))  # asked slowly: kept
    assert queue.pending()[0].slow
    assert not queue.push(CallRequest("A002", 2, recall=True))
    assert queue.pending()[0].slow
    for number in range(3, 7):
        queue.push(CallRequest(f"A00{number}", 1))
    spoken = []
    while (item := queue.pop()) is not None:
        spoken.append((item[0].ticket, item[1]))
    assert [ticket for ticket, _ in spoken] == ["A002", "A001", "A003", "A004", "A005", "A006"]
    assert [repeats for _, repeats in spoken] == [1, 1, 1, 1, 2, 2]


def test_same_call_queued_twice_is_spoken_once(renderer: AnnouncementRenderer) -> None:
    sink = RecordingAudio(speed=SPEED)
    announcer = Announcer(renderer.render, sink)
    announcer.submit(CallRequest("A001", 1))
    announcer.submit(CallRequest("A001", 1))
    while announcer.run_once() is not None:
        pass
    assert labels(sink) == ["call A001 -> 1"]


def test_audio_failure_is_reported_and_recovery_reported_once(
        renderer: AnnouncementRenderer) -> None:
    sink = RecordingAudio(speed=SPEED, fail=2)
    reports: list[tuple[str, str]] = []
    announcer = Announcer(renderer.render, sink, on_health=lambda s, m: reports.append((s, m)))
    for ticket in ("A001", "A002", "A003", "A004"):
        announcer.submit(CallRequest(ticket, 1))
    while announcer.run_once() is not None:
        pass
    assert [r[0] for r in reports] == ["fault", "ok"]
    assert "device failure" in reports[0][1]
    assert [s.error is not None for s in announcer.history] == [True, True, False, False]
    assert labels(sink) == ["call A003 -> 1", "call A004 -> 1"]


def test_aplay_without_a_sound_card_raises_instead_of_hiding_it() -> None:
    with pytest.raises(AudioError, match="aplay on device 'nonexistent-device' failed"):
        AplayAudio("nonexistent-device").play(chime())


def test_wav_dir_sink_writes_playable_files(tmp_path: object) -> None:
    from pathlib import Path

    sink = WavDirAudio(Path(str(tmp_path)) / "out")
    sink.play(chime(0.5))
    written = sink.written[0]
    clip = Pcm.from_wav(written.read_bytes())
    assert written.name == "announcement-0001.wav"
    assert clip.duration_s == pytest.approx(chime().duration_s, abs=0.001)


def test_submit_from_many_threads_never_overlaps(renderer: AnnouncementRenderer) -> None:
    sink = RecordingAudio(speed=SPEED * 2)
    announcer = Announcer(renderer.render, sink, pileup_threshold=50)
    announcer.start()
    tickets = [f"A{n:03d}" for n in range(1, 9)]
    threads = [threading.Thread(target=announcer.submit, args=(CallRequest(t, 1),))
               for t in tickets]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
        assert announcer.wait_idle(30.0)
    finally:
        announcer.stop()
    assert sorted(p.clip.label.split()[1] for p in sink.played) == tickets
    for before, after in zip(sink.played, sink.played[1:]):
        assert after.start >= before.end


def test_history_keeps_only_the_latest_announcements() -> None:
    sink = RecordingAudio(speed=1e6)
    silence = Pcm(b"\x00\x00" * 22, label="silence")
    announcer = Announcer(lambda request, repeats: silence, sink)
    for number in range(HISTORY_KEPT + 5):
        announcer.submit(CallRequest(f"A{number:03d}", 1))
        announcer.run_once()
    assert len(announcer.history) == HISTORY_KEPT
    assert announcer.history[-1].request.ticket == f"A{HISTORY_KEPT + 4:03d}"
    assert announcer.history[0].request.ticket == "A005"
