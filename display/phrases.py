"""What the display says for a call: bilingual templates, tickets digit by digit.

espeak-ng reads "012" as 零十二 ("zero twelve"), so ticket digits are spoken
one by one: A012 → "A 零 一 二" in Mandarin (or "A 零 幺 二" where the hall
says 幺 for 1), "A 0 1 2" in English. Counter names are the hall's own
(``hall.counters[i].name``), else "3号窗口" / "Counter 3".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from config.display_node import Speech
from config.schema import Hall
from hw.speech import spoken_ticket

Language = Literal["zh", "en"]

@dataclass(frozen=True)
class Phrase:
    """One utterance: the text and how to say it.

    Attributes:
        language: "zh" or "en".
        text: what espeak-ng is given.
        voice: the espeak-ng voice.
        rate: words per minute.
        volume: 0..2, 1 = normal.
    """

    language: Language
    text: str
    voice: str
    rate: int
    volume: float


def counter_name(hall: Hall, counter: int, language: Language) -> str:
    """The counter's name in one language: the configured one, else a generic one.

    Args:
        hall: the hall configuration.
        counter: the counter number.
        language: "zh" or "en".
    """
    configured = hall.counter(counter)
    if configured is not None and configured.name is not None:
        return configured.name.zh if language == "zh" else configured.name.en
    return f"{counter}号窗口" if language == "zh" else f"Counter {counter}"


def phrases(hall: Hall, speech: Speech, ticket: str, counter: int, *, recall: bool = False,
            languages: tuple[Language, ...] | None = None) -> list[Phrase]:
    """The phrases of one announcement, in the configured language order.

    Args:
        hall: the hall (counter names).
        speech: the display's speech settings.
        ticket: the ticket called.
        counter: the counter it is called to.
        recall: use the recall templates.
        languages: override the configured languages (``callnext announce --lang``).

    Returns:
        One phrase per language, once; the announcer repeats them.
    """
    rate = speech.slow_rate if speech.slow_mode else speech.rate
    volume = speech.slow_volume if speech.slow_mode else speech.volume
    result: list[Phrase] = []
    for language in languages if languages is not None else speech.languages:
        templates = speech.templates.zh if language == "zh" else speech.templates.en
        template = templates.recall if recall else templates.call
        text = template.format(
            ticket=spoken_ticket(ticket, language, say_yao=speech.say_yao),
            counter=counter_name(hall, counter, language))
        voice = speech.voices.zh if language == "zh" else speech.voices.en
        result.append(Phrase(language=language, text=text, voice=voice, rate=rate,
                             volume=volume))
    return result
