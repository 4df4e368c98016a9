"""Spoken confirmation: real espeak-ng audio, Mandarin then English, one visitor at a time."""

from __future__ import annotations

import threading

from hw.audio import RecordingAudio
from hw.speech import EspeakSpeech
from kiosk.presenter import IssuedTicket
from kiosk.speech import TicketSpeaker, ticket_phrases

TICKET = IssuedTicket(ticket="A012", service="general", kind="walkin", ahead=3,
                      wait_min=12, issued_at=1795568400.0)


def test_the_number_is_said_digit_by_digit_and_nothing_else() -> None:
    zh, en = ticket_phrases(TICKET)
    assert "A 零 一 二" in zh and "A 0 1 2" in en
    assert "general" not in zh + en


def test_each_ticket_is_spoken_in_mandarin_then_english_without_overlap() -> None:
    audio = RecordingAudio(speed=20.0)
    speaker = TicketSpeaker(EspeakSpeech(), audio)
    other = IssuedTicket(**{**TICKET.__dict__, "ticket": "C003"})
    threads = [threading.Thread(target=speaker.say, args=(t,)) for t in (TICKET, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    labels = [p.clip.label for p in audio.played]
    assert len(labels) == 4
    assert [label.split(":")[0] for label in labels] == ["cmn-latn-pinyin", "en-us"] * 2
    assert {labels[0].split(": ")[1][:20], labels[2].split(": ")[1][:20]} == \
        {ticket_phrases(TICKET)[0][:20], ticket_phrases(other)[0][:20]}
    assert all(0.5 < p.clip.duration_s < 10 for p in audio.played)
    assert all(a.end <= b.start for a, b in zip(audio.played, audio.played[1:]))


def test_a_broken_audio_device_is_reported_not_raised() -> None:
    speaker = TicketSpeaker(EspeakSpeech(), RecordingAudio(speed=20.0, fail=1))
    assert speaker.say(TICKET) is False
