"""Spoken confirmation of an issued ticket (for visually impaired visitors).

The kiosk speaks through the same ports as the wall display: espeak-ng renders
each phrase (``hw.speech``), an audio sink plays it (``hw.audio``). Only the
number is said, never anything personal.
"""

from __future__ import annotations

import logging
import threading

from hw.audio import AudioError, AudioOut
from hw.speech import Speech, SpeechError, spoken_ticket
from config.schema import Hall
from kiosk.categories import category_names
from kiosk.presenter import IssuedTicket

logger = logging.getLogger(__name__)

VOICES = {"zh": "cmn-latn-pinyin", "en": "en-us"}
"""espeak-ng 1.51's ``cmn`` voice reads pinyin as English; ``cmn-latn-pinyin`` is Mandarin."""
RATE = 140
"""Words per minute: slower than the display, the visitor is close and may hear poorly."""


def ticket_phrases(ticket: IssuedTicket,
                   category: tuple[str, str] | None = None) -> tuple[str, str]:
    """What is said, Chinese then English; no personal data, only the number and, for a
    priority ticket, the category the visitor chose (``category``: its zh and en names)."""
    zh_category = f"优先类别：{category[0]}。" if category else ""
    en_category = f"Priority: {category[1]}. " if category else ""
    return (f"{zh_category}您的号码是 {spoken_ticket(ticket.ticket, 'zh')} 号，请留意叫号",
            f"{en_category}Your number is {spoken_ticket(ticket.ticket, 'en')}. "
            "Please watch for your number.")


class TicketSpeaker:
    """Says each issued ticket once, one visitor after another, never overlapping.

    Args:
        speech: renders a phrase to audio.
        audio: plays it.
        hall: the hall, to say a priority ticket's category by name (None: not said).
    """

    def __init__(self, speech: Speech, audio: AudioOut, hall: Hall | None = None) -> None:
        self._speech = speech
        self._audio = audio
        self._hall = hall
        self._lock = threading.Lock()

    def say(self, ticket: IssuedTicket) -> bool:
        """Say ``ticket`` in Mandarin then English; False when speech failed (logged)."""
        with self._lock:
            names = category_names(self._hall, ticket.category) if self._hall else None
            for voice, phrase in zip(("zh", "en"), ticket_phrases(ticket, names), strict=True):
                try:
                    self._audio.play(self._speech.render(phrase, voice=VOICES[voice], rate=RATE,
                                                         volume=1.0))
                except (SpeechError, AudioError) as err:
                    logger.warning("spoken confirmation of %s failed: %s", ticket.ticket, err)
                    return False
        return True

    def say_in_background(self, ticket: IssuedTicket) -> None:
        """``say`` on a worker thread, so the touch screen never waits for speech."""
        threading.Thread(target=self.say, args=(ticket,), name="kiosk-speech",
                         daemon=True).start()
