"""Settings of one display node, as a ``[[displays]]`` table of the hall file.

Every default of the wall display lives here and only here: the screen
(zone, orientation, resolution, how many recent calls, how long a call
flashes) and the voice (languages and their order, templates, repeats,
rate, volume, slow mode, voices, 幺 for 1, audio output).
"""

from __future__ import annotations

import string
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from config.base import ConfigModel, NodeId, PathText, Word

MAX_TEMPLATE = 200
"""Longest speech template: a call must be said before the next one is due."""

TEMPLATE_FIELDS = frozenset({"ticket", "counter", "service"})
"""Placeholders a speech template may use."""


def _check_template(value: str) -> str:
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as err:
        raise ValueError(f"is not a valid template ({err}); write placeholders as "
                         "{ticket} and {counter}") from err
    unknown = names - TEMPLATE_FIELDS
    if unknown:
        raise ValueError(f"unknown placeholder(s) {', '.join(sorted(unknown))}; "
                         "only {ticket}, {counter} and {service} are allowed")
    if "ticket" not in names:
        raise ValueError("must contain {ticket}, or the visitor never hears their number")
    return value


class LanguageTemplates(ConfigModel):
    """What is said for a call and for a recall in one language.

    ``{ticket}`` becomes the ticket spoken digit by digit (A012 → "A 零 一 二"),
    ``{counter}`` the counter's spoken name (else its name without the brackets'
    content, else "3号窗口" / "Counter 3"), ``{service}`` the ticket's service (its
    ``spoken_name``, else its name without the brackets' content).
    """

    call: Annotated[str, Field(max_length=MAX_TEMPLATE)]
    recall: Annotated[str, Field(max_length=MAX_TEMPLATE)]

    @field_validator("call", "recall")
    @classmethod
    def _template(cls, value: str) -> str:
        return _check_template(value)


SpeechLanguage = Literal["zh", "en", "yue", "hak", "ug"]
"""Languages a call can be spoken in: Mandarin, English, Cantonese, Hakka, Uyghur."""


class Templates(ConfigModel):
    """The hall's own phrases per language; a language left out uses the message
    catalogue's (``runtime.messages.VOICE_TEMPLATES``)."""

    zh: LanguageTemplates | None = None
    en: LanguageTemplates | None = None
    yue: LanguageTemplates | None = None
    hak: LanguageTemplates | None = None
    ug: LanguageTemplates | None = None


class Voices(ConfigModel):
    """espeak-ng voice names per language (the synthesiser voice, and the fallback of a
    clip pack for a word it lacks).

    The Mandarin voice must be ``cmn-latn-pinyin``: espeak-ng 1.51's ``cmn``
    voice reads its own pinyin as English ("king three").
    """

    zh: Word = "cmn-latn-pinyin"
    en: Word = "en-us"
    yue: Word = "yue"
    hak: Word = "hak"
    ug: Word = "ug"

    def of(self, language: str) -> str:
        """The voice of ``language``."""
        return str(getattr(self, language))

    @field_validator("zh")
    @classmethod
    def _not_broken_cmn(cls, value: str) -> str:
        if value.strip() in ("cmn", "zh", "sit/cmn"):
            raise ValueError(f"voice {value!r} reads Chinese as English in espeak-ng 1.51; "
                             "use 'cmn-latn-pinyin'")
        return value


class Audio(ConfigModel):
    """Where the announcements are played."""

    backend: Literal["aplay", "wav_dir"] = "aplay"
    """``aplay``: the ALSA device below; ``wav_dir``: write each announcement as a WAV
    file into ``wav_dir`` (machines without a sound card, recordings for checks)."""
    device: Word = "default"
    """ALSA device for aplay -D, e.g. "default", "plughw:CARD=vc4hdmi0,DEV=0",
    "plughw:1,0" (USB speaker). ``aplay -L`` lists them."""
    wav_dir: PathText | None = None
    """Folder for the ``wav_dir`` backend."""

    @model_validator(mode="after")
    def _wav_dir_given(self) -> Audio:
        if self.backend == "wav_dir" and not self.wav_dir:
            raise ValueError("audio.backend = \"wav_dir\" needs audio.wav_dir = \"/some/folder\"")
        return self


class Speech(ConfigModel):
    """How calls are announced: chime, then each language in order."""

    enabled: bool = True
    """False: a silent display (the screen still flashes every call)."""
    languages: Annotated[tuple[SpeechLanguage, ...], Field(min_length=1, max_length=5)] = (
        "zh", "en")
    """Languages in the order they are spoken; Mandarin first is the hall norm."""
    voice: Literal["auto", "clips", "espeak"] = "auto"
    """``clips``: splice recorded clips of a voice pack (a word the pack lacks is
    synthesised); ``espeak``: espeak-ng for everything; ``auto``: clips when the pack
    has every language spoken here, else espeak."""
    pack: PathText | None = None
    """Voice pack folder (one sub-folder with a ``manifest.json`` per language);
    none: the pack shipped with callnext."""
    chime: bool = True
    """A synthesised two-tone chime before each announcement."""
    repeat: Annotated[int, Field(ge=1, le=3)] = 1
    """How often the phrases are said per call; extra repeats are dropped first
    when calls pile up."""
    rate: Annotated[int, Field(ge=80, le=260)] = 150
    """Speaking rate in words per minute (espeak-ng; 175 is its default)."""
    volume: Annotated[float, Field(ge=0.0, le=2.0)] = 1.0
    """1.0 is espeak-ng's normal amplitude; the chime follows it."""
    slow_mode: bool = False
    """Slower, louder speech with longer pauses, for the hard of hearing (适当提高音量、
    放慢语速); a single call can also ask for it (``recall`` with ``slow``)."""
    slow_rate: Annotated[int, Field(ge=60, le=200)] = 110
    """espeak-ng rate used in slow mode."""
    slow_stretch: Annotated[float, Field(ge=1.25, le=2.0)] = 1.3
    """Clip voice in slow mode: each word lasts this many times longer (pitch kept)."""
    slow_gain_db: Annotated[float, Field(ge=0.0, le=12.0)] = 3.0
    """Slow mode is this much louder; peaks are limited, so it never clips."""
    pause_seconds: Annotated[float, Field(ge=0.0, le=5.0)] = 0.4
    """Silence between the chime and the phrases (doubled in slow mode)."""
    say_yao: bool = False
    """Say 幺 (yāo) instead of 一 for the digit 1, as some halls do."""
    pileup_threshold: Annotated[int, Field(ge=1, le=50)] = 3
    """With this many announcements waiting, repeats are dropped so every call is heard."""
    voices: Voices = Voices()
    templates: Templates = Templates()
    audio: Audio = Audio()


class DisplayNode(ConfigModel):
    """One display node of the hall (a wall screen with speakers)."""

    id: NodeId
    counters: tuple[Annotated[int, Field(ge=1, le=999)], ...] = ()
    """Counters this display shows and speaks for (a floor or zone); empty = all."""
    orientation: Literal["landscape", "portrait"] = "landscape"
    """Layout. Portrait uses the resolution's short side as width; rotate the panel
    itself in the OS (Pi OS: the display's rotate setting)."""
    resolution: tuple[Annotated[int, Field(ge=320, le=7680)],
                      Annotated[int, Field(ge=240, le=7680)]] = (1920, 1080)
    """The panel's pixels, e.g. [1920, 1080] or [1280, 720]."""
    fullscreen: bool = True
    recent_calls: Annotated[int, Field(ge=0, le=10)] = 6
    """How many earlier calls the board lists (the broker keeps the last 10)."""
    flash_seconds: Annotated[float, Field(ge=0.0, le=60.0)] = 8.0
    """How long a new call flashes: the visual cue for visitors who cannot hear it."""
    ticker_speed: Annotated[float, Field(ge=10.0, le=1000.0)] = 120.0
    """Speed of the scrolling notices line, in pixels per second at 1080 lines."""
    staff_alerts: bool = False
    """Show a small strip of the unacknowledged staff alerts of this display's counters
    (差评, time limits, queues). Off by default: the wall screen faces visitors; turn it on
    only for a display staff see and visitors do not."""
    speech: Speech = Speech()

    def window_size(self) -> tuple[int, int]:
        """The window's (width, height) for the configured orientation."""
        long_side, short_side = max(self.resolution), min(self.resolution)
        if self.orientation == "portrait":
            return short_side, long_side
        return long_side, short_side
