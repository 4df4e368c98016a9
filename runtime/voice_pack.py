"""Making and checking voice packs: the words to record, rendering them with a synthesiser,
recording them with a staff member (trim, normalise, redo), finding the gaps of a hall.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from config.display_node import Speech as SpeechConfig
from config.schema import Hall
from hw.audio import Pcm
from hw.clips import Manifest, load_packs, write_pack
from hw.dsp import normalise, peak, resample, rms, trim
from hw.speech import Speech
from runtime.messages import VOICE_TEMPLATES
from runtime.voice_plan import (ALL_DIGITS, CHINESE, Token, fill, call_template,
                                number_tokens, ticket_tokens, vocabulary)

logger = logging.getLogger(__name__)

PACK_RATE = 16000
"""Clips are kept at 16 kHz mono: speech needs no more, and the shipped pack stays small."""
RMS_TARGET = 0.1
"""Loudness every clip is brought to (about -20 dBFS RMS, room for the slow-mode gain)."""
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def standard_words(language: str, config: SpeechConfig) -> dict[str, Token]:
    """The words any hall needs in ``language``: the templates' words, every letter, every
    digit (and 幺), the numbers of counters 1–99."""
    words: dict[str, Token] = {}

    def add(tokens: list[Token]) -> None:
        words.update((t.key, t) for t in tokens if not t.is_pause)

    empty: dict[str, list[Token]] = {"ticket": [], "counter": [], "number": [], "service": []}
    for recall in (False, True):
        add(fill(call_template(config, language, recall), language, empty))
    add(fill(VOICE_TEMPLATES[language]["counter"], language, empty))
    add(ticket_tokens(LETTERS + ALL_DIGITS, language, say_yao=language in CHINESE))
    for number in range(1, 100):
        add(number_tokens(number, language))
    return words


def render_words(words: dict[str, Token], synth: Speech, config: SpeechConfig,
                 rate: int = PACK_RATE) -> dict[str, Pcm]:
    """Each word said alone by the synthesiser, trimmed and brought to ``rate``.

    Raises:
        SpeechError: a word could not be synthesised.
    """
    clips: dict[str, Pcm] = {}
    for key, token in sorted(words.items()):
        said = synth.render(token.text, voice=config.voices.of(token.language),
                            rate=config.rate, volume=1.0)
        clips[key] = normalise(resample(trim(said), rate), RMS_TARGET)
    return clips


def render_pack(root: str | Path, language: str, synth: Speech, config: SpeechConfig,
                source: str, extra: dict[str, Token] | None = None) -> Path:
    """Render a language's pack with a synthesiser into ``root/<language>``.

    Args:
        root: the pack folder.
        language: the language.
        synth: the synthesiser.
        config: speech settings (voices, rate, templates).
        source: engine name and version, recorded in the manifest.
        extra: more words (a hall's counter names).

    Raises:
        SpeechError: a word could not be synthesised.
        PackError: the pack could not be written.
    """
    words = {**standard_words(language, config), **(extra or {})}
    manifest = Manifest(language=language, speaker=f"{source} {config.voices.of(language)}",
                        licence="CC0-1.0", source=source, sample_rate=PACK_RATE,
                        rms_target=RMS_TARGET)
    return write_pack(Path(root) / language, manifest,
                      render_words(words, synth, config))


@dataclass
class Coverage:
    """What a hall's voice lacks.

    Attributes:
        missing_words: language → words no pack clip covers (espeak-ng will say them).
        missing_voices: languages with neither a pack nor an installed espeak-ng voice.
    """

    missing_words: dict[str, list[str]] = field(default_factory=dict)
    missing_voices: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every word of every language has a clip (or, for an espeak voice, a voice)."""
        return not self.missing_voices and not any(self.missing_words.values())


def coverage(hall: Hall, config: SpeechConfig, counters: tuple[int, ...], pack_root: Path,
             installed_voices: set[str]) -> Coverage:
    """Check that every phrase the hall can produce can be said.

    With ``voice = "espeak"`` every language needs its espeak-ng voice; otherwise every
    word (all prefixes, all digits, every counter, call and recall) needs a pack clip.
    """
    result = Coverage()
    packs = load_packs(pack_root, tuple(config.languages))
    for language in config.languages:
        voice_ok = config.voices.of(language).lower() in installed_voices
        if config.voice == "espeak" or language not in packs:
            if not voice_ok:
                result.missing_voices.append(language)
            if config.voice != "espeak":
                result.missing_words[language] = ["(no pack for this language)"]
            continue
        have = packs[language].keys()
        needed = vocabulary(hall, config, language, counters)
        result.missing_words[language] = sorted(key for key in needed if key not in have)
    return result


Recorder = Callable[[Token, float], Pcm]
"""``record(token, seconds) -> Pcm``: one take of a word from the sound card (or a file)."""
Ask = Callable[[str], str]
"""``ask(prompt) -> answer``: the staff member's choice ("" keep, "r" redo, "s" skip, "q" quit)."""


def clean_take(take: Pcm, rate: int = PACK_RATE, target: float = RMS_TARGET) -> Pcm | None:
    """A recorded take made into a clip: silence trimmed, resampled, loudness normalised.

    Returns:
        None when the take is (nearly) silent: nothing was said, or the microphone is off.
    """
    trimmed = trim(take, threshold=0.03, keep_s=0.04)
    if trimmed.duration_s < 0.08 or rms(trimmed) < 0.005:
        return None
    return normalise(resample(trimmed, rate), target)


def record_session(words: dict[str, Token], record: Recorder, ask: Ask,
                   say: Callable[[str], None], seconds: float = 2.0,
                   max_takes: int = 5) -> dict[str, Pcm]:
    """Guide a staff member through ``words``: prompt, record, clean, keep or redo.

    Args:
        words: the words to record, by key.
        record: takes one recording.
        ask: asks what to do with a take.
        say: shows a line to the staff member.
        seconds: recording length per take.
        max_takes: takes per word before it is skipped.

    Returns:
        The kept clips by key (skipped words are left out; a later session adds them).
    """
    kept: dict[str, Pcm] = {}
    for index, (key, token) in enumerate(sorted(words.items()), 1):
        for take_number in range(1, max_takes + 1):
            say(f"[{index}/{len(words)}] 请说 / please say: {token.text}   ({key}, "
                f"take {take_number})")
            clip = clean_take(record(token, seconds))
            if clip is None:
                say("  听不到声音，请再说一遍 / nothing heard, once more")
                continue
            say(f"  {clip.duration_s:.2f} s, peak {peak(clip):.2f}")
            answer = ask("  Enter = keep, r = redo, s = skip, q = quit: ").strip().lower()
            if answer == "q":
                return kept
            if answer == "s":
                break
            if answer != "r":
                kept[key] = clip
                break
    return kept
