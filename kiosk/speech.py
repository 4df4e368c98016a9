"""Spoken confirmation of an issued ticket (for visually impaired visitors).

The kiosk speaks through the same voice as the wall display: its phrase templates
(``runtime.messages.KIOSK_VOICE_TEMPLATES``) are planned as words by
``runtime.voice_plan`` (the ticket letter by letter, said by the English voice, so the
Mandarin voice never reads Y as 外 "wai"; digits one by one) and rendered by the shared
``runtime.voice.VoiceRenderer`` with espeak-ng; an audio sink plays them (``hw.audio``).
Only the number and the chosen priority category are said, never anything personal.
"""

from __future__ import annotations

import logging
import threading

from config.display_node import Speech as SpeechConfig
from config.schema import Hall
from hw.audio import AudioError, AudioOut
from hw.speech import Speech, SpeechError
from kiosk.categories import category_names
from kiosk.presenter import IssuedTicket
from runtime.messages import KIOSK_VOICE_TEMPLATES
from runtime.voice import VoiceRenderer
from runtime.voice_plan import Token, Utterance, fill, ticket_tokens

logger = logging.getLogger(__name__)

LANGUAGES = ("zh", "en")
"""Mandarin then English, as the kiosk's screens."""
RATE = 140
"""Words per minute: slower than the display, the visitor is close and may hear poorly."""


def kiosk_speech() -> SpeechConfig:
    """The kiosk's voice settings: espeak-ng, the display's voices, slower, full volume."""
    return SpeechConfig(languages=LANGUAGES, voice="espeak", rate=RATE, volume=1.0)


def ticket_utterances(ticket: IssuedTicket,
                      category: tuple[str, str] | None = None) -> list[Utterance]:
    """What is said, Chinese then English, as planned words: the number and, for a priority
    ticket, the category the visitor chose (``category``: its zh and en names)."""
    said: list[Utterance] = []
    for index, language in enumerate(LANGUAGES):
        templates = KIOSK_VOICE_TEMPLATES[language]
        named = ([] if category is None else
                 fill(templates["category"], language,
                      {"name": [Token(f"category.{ticket.category}", category[index],
                                      language)]}))
        tokens = fill(templates["issued"], language,
                      {"ticket": ticket_tokens(ticket.ticket, language), "category": named})
        said.append(Utterance(language, tuple(tokens)))
    return said


def ticket_phrases(ticket: IssuedTicket,
                   category: tuple[str, str] | None = None) -> tuple[str, str]:
    """The same words as text, Chinese then English (logs, tests)."""
    zh, en = (u.text() for u in ticket_utterances(ticket, category))
    return zh, en


class TicketSpeaker:
    """Says each issued ticket once, one visitor after another, never overlapping.

    Args:
        speech: espeak-ng, which renders the words.
        audio: plays them.
        hall: the hall, to say a priority ticket's category by name (None: not said).
        voice: the renderer (default: espeak-ng with ``kiosk_speech()``).
    """

    def __init__(self, speech: Speech, audio: AudioOut, hall: Hall | None = None,
                 voice: VoiceRenderer | None = None) -> None:
        self._voice = voice or VoiceRenderer(kiosk_speech(), speech, kind="espeak")
        self._audio = audio
        self._hall = hall
        self._lock = threading.Lock()

    def say(self, ticket: IssuedTicket) -> bool:
        """Say ``ticket`` in Mandarin then English; False when speech failed (logged)."""
        with self._lock:
            names = category_names(self._hall, ticket.category) if self._hall else None
            for utterance in ticket_utterances(ticket, names):
                try:
                    self._audio.play(self._voice.render(utterance))
                except (SpeechError, AudioError) as err:
                    logger.warning("spoken confirmation of %s failed: %s", ticket.ticket, err)
                    return False
        return True

    def say_in_background(self, ticket: IssuedTicket) -> None:
        """``say`` on a worker thread, so the touch screen never waits for speech."""
        threading.Thread(target=self.say, args=(ticket,), name="kiosk-speech",
                         daemon=True).start()
