"""Voice packs: a folder of WAV clips, one per word, and a ``manifest.json`` describing them.

Layout: ``PACK/<language>/manifest.json`` plus the WAV files it names::

    {"format": 1, "language": "zh", "speaker": "...", "licence": "CC0-1.0",
     "source": "espeak-ng 1.51 cmn-latn-pinyin", "sample_rate": 16000,
     "rms_target": 0.1, "tokens": {"请": "w000.wav", "digit.1": "w001.wav", ...}}

Token keys are those of ``runtime.voice_plan`` (the literal words of the
templates, ``digit.N``, ``letter.X``, ``number.N``, ``counter.N``). Every clip is
mono 16-bit at ``sample_rate`` and is brought to ``rms_target`` when the pack is
read, so words recorded on different days sound equally loud.

A pack keeps in memory only the clips it spoke last (``CACHED_CLIPS``): the whole
shipped pack is 1.6 MiB of samples, a call needs a dozen words (issue #17, lean
display). Every clip's header is checked when the pack is opened, so a broken pack
is still refused at start-up.
"""

from __future__ import annotations

import functools
import json
import logging
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from foundation.errors import CallnextError
from hw.audio import AudioError, Pcm
from hw.dsp import normalise

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
FORMAT = 1
CACHED_CLIPS = 32
"""Clips kept loaded per pack: every word of a call and of the next one (a call is about
ten words; the digits, the letters and the fixed words repeat from call to call)."""


class PackError(CallnextError):
    """A voice pack is missing, unreadable or inconsistent."""


def default_pack_root() -> Path:
    """The voice pack shipped inside the wheel (``hw/voicepacks/default``)."""
    return Path(__file__).resolve().parent / "voicepacks" / "default"


@dataclass
class Manifest:
    """What a pack says about itself.

    Attributes:
        language: the language its words are in.
        speaker: who (or which synthesiser voice) speaks.
        licence: the licence of the audio (SPDX id).
        source: how it was made (recorded, or the engine with its version).
        sample_rate: every clip's rate.
        rms_target: loudness every clip is brought to (fraction of full scale).
        tokens: token key → WAV file name inside the pack folder.
    """

    language: str
    speaker: str
    licence: str
    source: str
    sample_rate: int = 16000
    rms_target: float = 0.1
    tokens: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        """The manifest as written to disk."""
        data: dict[str, Any] = {"format": FORMAT, **self.__dict__}
        return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    @classmethod
    def parse(cls, text: str, where: Path) -> Manifest:
        """Read a manifest.

        Raises:
            PackError: not a manifest of this format.
        """
        try:
            data = json.loads(text)
            if data.pop("format", None) != FORMAT:
                raise PackError(f"{where}: unknown pack format (expected \"format\": {FORMAT})")
            manifest = cls(**data)
        except (ValueError, TypeError) as err:
            raise PackError(f"{where}: not a valid voice pack manifest ({err}); "
                            "'callnext voice render' writes one") from err
        if not 8000 <= int(manifest.sample_rate) <= 48000 or not 0 < manifest.rms_target < 0.5:
            raise PackError(f"{where}: sample_rate 8000..48000 and rms_target 0..0.5 expected")
        return manifest


class ClipPack:
    """One language of a voice pack: its clips checked, loaded when spoken, loudness-matched.

    Args:
        folder: the language's folder (holding ``manifest.json``).

    Raises:
        PackError: the manifest or a clip's header is unusable.
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        path = self.folder / MANIFEST
        try:
            self.manifest = Manifest.parse(path.read_text(encoding="utf-8"), path)
        except OSError as err:
            raise PackError(f"cannot read voice pack manifest {path}: {err}") from err
        self._paths = {key: self.folder / name for key, name in self.manifest.tokens.items()}
        for key, clip_path in self._paths.items():
            self._check(key, clip_path)
        # The newest clips spoken stay in memory (lru_cache is thread-safe); a clip whose
        # load raised is not kept, so a file mended later is read again.
        self._cached = functools.lru_cache(maxsize=CACHED_CLIPS)(
            lambda key: self._load(key, self._paths[key]))

    def _check(self, key: str, path: Path) -> None:
        """Refuse a clip that is missing, not mono 16-bit WAV, or at another rate."""
        try:
            with wave.open(str(path), "rb") as wav:
                shape = (wav.getnchannels(), wav.getsampwidth(), wav.getframerate())
        except (OSError, EOFError, wave.Error) as err:
            raise PackError(f"voice pack clip {path} for {key!r}: {err}") from err
        if shape[:2] != (1, 2):
            raise PackError(f"voice pack clip {path} for {key!r}: expected mono 16-bit WAV, "
                            f"got {shape[0]} channel(s) of {shape[1] * 8} bit")
        if shape[2] != self.manifest.sample_rate:
            raise PackError(f"{path} is {shape[2]} Hz; the manifest says "
                            f"{self.manifest.sample_rate} Hz")

    def _load(self, key: str, path: Path) -> Pcm:
        try:
            clip = Pcm.from_wav(path.read_bytes(), label=key)
        except (OSError, AudioError) as err:
            raise PackError(f"voice pack clip {path} for {key!r}: {err}") from err
        if clip.rate != self.manifest.sample_rate:
            raise PackError(f"{path} is {clip.rate} Hz; the manifest says "
                            f"{self.manifest.sample_rate} Hz")
        return normalise(clip, self.manifest.rms_target)

    @property
    def language(self) -> str:
        """The pack's language."""
        return self.manifest.language

    @property
    def rate(self) -> int:
        """Sample rate of every clip."""
        return self.manifest.sample_rate

    def keys(self) -> set[str]:
        """Every token key the pack has a clip for."""
        return set(self._paths)

    def loaded(self) -> int:
        """How many clips are in memory now (at most ``CACHED_CLIPS``)."""
        return self._cached.cache_info().currsize

    def clip(self, key: str) -> Pcm | None:
        """The clip of ``key`` (loudness-matched), or None when the pack lacks it or its file
        went bad since the pack was opened (logged; the caller synthesises the word)."""
        if key not in self._paths:
            return None
        try:
            return self._cached(key)
        except PackError as err:
            logger.warning("%s", err)
            return None


def load_packs(root: str | Path, languages: tuple[str, ...]) -> dict[str, ClipPack]:
    """The packs of ``languages`` found under ``root`` (a language without a folder is left out).

    Raises:
        PackError: a language's folder exists but its pack is broken.
    """
    packs: dict[str, ClipPack] = {}
    for language in languages:
        folder = Path(root) / language
        if (folder / MANIFEST).exists():
            packs[language] = ClipPack(folder)
    return packs


def write_pack(folder: str | Path, manifest: Manifest, clips: dict[str, Pcm]) -> Path:
    """Write ``clips`` (already at the manifest's rate) and their manifest into ``folder``.

    Existing clips of other keys in the manifest there are kept (a pack grows word by word).

    Raises:
        PackError: the folder cannot be written, or a clip has the wrong rate.
    """
    target = Path(folder)
    try:
        target.mkdir(parents=True, exist_ok=True)
        old = target / MANIFEST
        if old.exists():
            manifest.tokens = {**Manifest.parse(old.read_text("utf-8"), old).tokens,
                               **manifest.tokens}
        for key, clip in clips.items():
            if clip.rate != manifest.sample_rate:
                raise PackError(f"clip {key!r} is {clip.rate} Hz, the pack {manifest.sample_rate}")
            name = manifest.tokens.get(key)
            if name is None:
                used, number = set(manifest.tokens.values()), len(manifest.tokens)
                while f"w{number:03d}.wav" in used:
                    number += 1
                name = manifest.tokens[key] = f"w{number:03d}.wav"
            (target / name).write_bytes(clip.to_wav())
        (target / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    except OSError as err:
        raise PackError(f"cannot write the voice pack in {target}: {err}") from err
    return target
