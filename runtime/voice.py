"""The voice: planned words (``runtime.voice_plan``) to audio, by clip pack or by espeak-ng.

* ``clips``: each word's clip from the language's pack, spliced with short
  cross-fades at one loudness; a word the pack lacks is synthesised alone by
  espeak-ng, brought to the pack's rate and loudness, and logged once.
* ``espeak``: espeak-ng says the utterance, one run per voice (letters are said
  by the English voice, so the Mandarin voice never reads Y as 外 "wai").

Slow mode (per display, or per call) is longer (clips stretched at the same
pitch by ``slow_stretch``, or espeak-ng's ``slow_rate``; longer pauses) and
louder (``slow_gain_db``, peaks limited). Rendered utterances are cached (LRU).
"""

from __future__ import annotations

import collections
import logging
from pathlib import Path
from typing import Literal

from config.display_node import Speech as SpeechConfig
from hw.audio import SAMPLE_RATE, Pcm, concat, silence
from hw.clips import ClipPack, default_pack_root, load_packs
from hw.dsp import gain_db, normalise, resample, splice, stretch, trim
from hw.speech import Speech, SpeechError
from runtime.voice_plan import Token, Utterance

logger = logging.getLogger(__name__)

VoiceKind = Literal["clips", "espeak"]
WORD_GAP_S = 0.03
"""Silence between spliced words: clips are trimmed tight, speech needs a breath."""
PAUSE_S = 0.18
"""Silence for a comma in the template."""


def pack_root(config: SpeechConfig) -> Path:
    """The configured voice pack folder, or the one shipped with callnext."""
    return Path(config.pack) if config.pack else default_pack_root()


def choose_voice(config: SpeechConfig, packs: dict[str, ClipPack],
                 languages: tuple[str, ...]) -> VoiceKind:
    """``clips`` or ``espeak`` for these languages: the configured one, or for ``auto``
    clips when the pack has every language."""
    if config.voice != "auto":
        return config.voice
    return "clips" if all(language in packs for language in languages) else "espeak"


class VoiceRenderer:
    """Renders utterances to clips, all at one sample rate.

    Args:
        config: the speech settings (voices, rates, slow mode).
        synth: espeak-ng (the voice itself, or the fallback for words a pack lacks); None
            only with packs that cover every word.
        packs: clip packs by language (empty: espeak-ng only).
        kind: ``clips`` or ``espeak``.
        cache_size: utterances kept rendered.
    """

    def __init__(self, config: SpeechConfig, synth: Speech | None,
                 packs: dict[str, ClipPack] | None = None, kind: VoiceKind = "espeak",
                 cache_size: int = 64) -> None:
        self.config = config
        self.synth = synth
        self.packs = packs or {}
        self.kind: VoiceKind = kind if self.packs else "espeak"
        rates = {pack.rate for pack in self.packs.values()}
        self.rate = rates.pop() if self.kind == "clips" and len(rates) == 1 else SAMPLE_RATE
        self._cache: collections.OrderedDict[tuple[object, ...], Pcm] = collections.OrderedDict()
        self._cache_size = cache_size
        self._words: dict[tuple[str, str], Pcm] = {}
        self.fallbacks: set[tuple[str, str]] = set()
        """(language, token key) of every word synthesised because the pack lacked it."""

    def render(self, utterance: Utterance, *, slow: bool = False) -> Pcm:
        """The spoken ``utterance`` (cached).

        Raises:
            SpeechError: a word could not be synthesised.
        """
        key = (utterance.language, utterance.tokens, slow)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        pack = self.packs.get(utterance.language) if self.kind == "clips" else None
        clip = self._clips(utterance, pack, slow) if pack else self._espeak(utterance, slow)
        if slow and self.config.slow_gain_db:
            clip = gain_db(clip, self.config.slow_gain_db)
        self._cache[key] = clip
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return clip

    def pause(self, seconds: float) -> Pcm:
        """Silence at this voice's rate."""
        return silence(seconds, self.rate)

    def _clips(self, utterance: Utterance, pack: ClipPack, slow: bool) -> Pcm:
        parts: list[Pcm] = []
        for token in utterance.tokens:
            if token.is_pause:
                parts.append(silence(PAUSE_S, pack.rate))
                continue
            word = pack.clip(token.key)
            if word is None:
                word = self._fallback(token, pack, utterance.language)
            parts += [word, silence(WORD_GAP_S, pack.rate)]
        joined = splice(parts, label=utterance.text())
        if slow:
            joined = stretch(joined, self.config.slow_stretch)
        return resample(joined, self.rate)

    def _fallback(self, token: Token, pack: ClipPack, language: str) -> Pcm:
        key = (language, token.key)
        word = self._words.get(key)
        if word is None:
            if key not in self.fallbacks:
                logger.warning("voice pack %s has no clip for %r; espeak-ng says it",
                               pack.folder, token.key)
                self.fallbacks.add(key)
            said = self._synth(token.text, token.language or language, slow=False)
            word = normalise(resample(trim(said), pack.rate), pack.manifest.rms_target)
            self._words[key] = word
        return word

    def _synth(self, text: str, language: str, *, slow: bool) -> Pcm:
        if self.synth is None:
            raise SpeechError(f"no synthesiser for {text!r} ({language}); install espeak-ng")
        rate = self.config.slow_rate if slow else self.config.rate
        return self.synth.render(text, voice=self.config.voices.of(language), rate=rate,
                                 volume=self.config.volume)

    def _espeak(self, utterance: Utterance, slow: bool) -> Pcm:
        runs: list[tuple[str, list[str]]] = []
        for token in utterance.tokens:
            language = token.language or (runs[-1][0] if runs else utterance.language)
            if runs and runs[-1][0] == language:
                runs[-1][1].append(token.text)
            else:
                runs.append((language, [token.text]))
        # espeak-ng pads every utterance with silence; trimmed, the runs join like one sentence.
        clips = [trim(self._synth(" ".join(words).replace(" ,", ","), language, slow=slow),
                      keep_s=0.06)
                 for language, words in runs if any(word != "," for word in words)]
        return resample(concat(clips, label=utterance.text()), self.rate)


def build_voice(config: SpeechConfig, synth: Speech | None,
                languages: tuple[str, ...] | None = None,
                kind: VoiceKind | None = None) -> VoiceRenderer:
    """The configured voice: its packs loaded, clips or espeak chosen.

    Args:
        config: the speech settings.
        synth: espeak-ng (None: clips only).
        languages: the languages it will speak (default: the configured ones).
        kind: force ``clips`` or ``espeak`` (``callnext announce --voice``).

    Raises:
        PackError: the configured pack is broken.
    """
    wanted = tuple(languages or config.languages)
    packs = load_packs(pack_root(config), wanted)
    chosen = kind or choose_voice(config, packs, wanted)
    return VoiceRenderer(config, synth, packs if chosen == "clips" else {}, chosen)
