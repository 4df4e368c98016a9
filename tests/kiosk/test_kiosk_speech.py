"""Spoken confirmation: real espeak-ng audio, Mandarin then English, one visitor at a time,
planned as words like the display's calls (letters by the English voice)."""

from __future__ import annotations

import subprocess
import threading

from hw.audio import Pcm, RecordingAudio
from hw.speech import EspeakSpeech
from kiosk.presenter import IssuedTicket
from kiosk.speech import TicketSpeaker, ticket_phrases, ticket_utterances

TICKET = IssuedTicket(ticket="A012", service="general", kind="walkin", ahead=3,
                      wait_min=12, issued_at=1795568400.0)


class SpyingEspeak(EspeakSpeech):
    """The real espeak-ng, noting what text each voice was given."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[tuple[str, str]] = []

    def render(self, text: str, *, voice: str, rate: int, volume: float) -> Pcm:
        self.heard.append((voice, text))
        return super().render(text, voice=voice, rate=rate, volume=volume)


def test_the_number_is_said_digit_by_digit_and_nothing_else() -> None:
    zh, en = ticket_phrases(TICKET)
    assert "A 零 一 二" in zh and "A 0 1 2" in en
    assert "general" not in zh + en


def test_the_mandarin_voice_never_reads_the_letter_y_as_wai() -> None:
    y = IssuedTicket(**{**TICKET.__dict__, "ticket": "Y012"})
    zh = ticket_utterances(y)[0]
    assert [(t.key, t.language) for t in zh.tokens if t.key.startswith("letter.")] == \
        [("letter.Y", "en")]
    espeak = SpyingEspeak()
    assert TicketSpeaker(espeak, RecordingAudio(speed=20.0)).say(y)
    mandarin = [text for voice, text in espeak.heard if voice == "cmn-latn-pinyin"]
    assert ("en-us", "Y") in espeak.heard  # the letter alone, in the English voice
    assert mandarin and not any(ch.isascii() and ch.isalpha() for ch in "".join(mandarin))
    # Why: given the whole line, espeak-ng's Mandarin voice says Y as the syllable wai (外).
    for text in mandarin:
        phonemes = subprocess.run(["espeak-ng", "-q", "-x", "-v", "cmn-latn-pinyin", text],
                                  capture_output=True, text=True, timeout=10, check=True).stdout
        assert "uai" not in phonemes
    old = subprocess.run(["espeak-ng", "-q", "-x", "-v", "cmn-latn-pinyin", "您的号码是 Y 零"],
                         capture_output=True, text=True, timeout=10, check=True).stdout
    assert "uai" in old


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
    first = [ticket_phrases(TICKET), ticket_phrases(other)]
    assert (labels[0], labels[1]) in [tuple(p) for p in first]
    assert (labels[2], labels[3]) in [tuple(p) for p in first]
    assert labels[0] != labels[2]
    assert all(0.5 < p.clip.duration_s < 10 for p in audio.played)
    assert all(a.end <= b.start for a, b in zip(audio.played, audio.played[1:]))


def test_a_broken_audio_device_is_reported_not_raised() -> None:
    speaker = TicketSpeaker(EspeakSpeech(), RecordingAudio(speed=20.0, fail=1))
    assert speaker.say(TICKET) is False
