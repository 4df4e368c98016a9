"""Speech port and its espeak-ng adapter: text in, a PCM clip out.

The adapter runs the ``espeak-ng`` program (a separate process per
utterance, ~15 ms) instead of pyttsx3 in-process: pyttsx3 hangs after
``fork``, plays through an ``os.system("aplay")`` that hides every error, and
writes only the last of two queued files. Text goes in on stdin (never argv),
with a timeout and a checked return code.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Literal, Protocol

from foundation.errors import CallnextError
from hw.audio import AudioError, Pcm

logger = logging.getLogger(__name__)


_ZH_DIGITS = "零一二三四五六七八九"


def spoken_ticket(ticket: str, language: Literal["zh", "en"], *, say_yao: bool = False) -> str:
    """The ticket number as espeak-ng must be given it, one symbol at a time.

    espeak-ng reads "012" as 零十二 ("zero twelve"); spaced digits are read one by one.

    Args:
        ticket: e.g. ``"A012"``.
        language: "zh" gives Chinese digits, "en" Arabic digits (read by an English voice).
        say_yao: in Chinese, say 幺 instead of 一 for 1.

    Returns:
        e.g. ``"A 零 一 二"`` or ``"A 0 1 2"``.
    """
    parts: list[str] = []
    for char in ticket:
        if char.isdigit() and language == "zh":
            parts.append("幺" if char == "1" and say_yao else _ZH_DIGITS[int(char)])
        else:
            parts.append(char)
    return " ".join(parts)


class SpeechError(CallnextError):
    """Text could not be turned into speech: espeak-ng missing, a voice missing, a failure."""


class Speech(Protocol):
    """Renders one utterance to audio."""

    def render(self, text: str, *, voice: str, rate: int, volume: float) -> Pcm:
        """The spoken ``text``.

        Args:
            text: what to say.
            voice: the synthesiser's voice name.
            rate: words per minute.
            volume: 0..2, 1 = normal.

        Raises:
            SpeechError: it could not be rendered.
        """
        ...


class EspeakSpeech:
    """espeak-ng through its command-line program.

    Args:
        executable: the espeak-ng binary.
        timeout_s: the longest one utterance may take to render.

    Raises:
        SpeechError: espeak-ng is not installed.
    """

    def __init__(self, executable: str = "espeak-ng", timeout_s: float = 10.0) -> None:
        found = shutil.which(executable)
        if found is None:
            raise SpeechError(f"{executable!r} not found; install it with "
                              "'apt-get install espeak-ng'")
        self._executable = found
        self._timeout_s = timeout_s

    def voices(self) -> set[str]:
        """Every voice name espeak-ng knows, lower-cased ("cmn-latn-pinyin", "sit/cmn-latn-pinyin").

        Raises:
            SpeechError: espeak-ng failed.
        """
        done = self._run([self._executable, "--voices"], b"")
        names: set[str] = set()
        for line in done.stdout.decode("utf-8", "replace").splitlines()[1:]:
            columns = line.split()
            # Columns: Pty, Language, Age/Gender, VoiceName, File[, other languages].
            if len(columns) >= 5:
                names.update(name.lower() for name in (
                    columns[1], columns[3], columns[4], columns[4].rsplit("/", 1)[-1]))
        return names

    def check_voices(self, wanted: list[str]) -> None:
        """Fail at start-up when a configured voice is missing.

        Raises:
            SpeechError: a voice is not installed.
        """
        known = self.voices()
        missing = [voice for voice in wanted if voice.lower() not in known]
        if missing:
            raise SpeechError(f"espeak-ng has no voice {', '.join(missing)}; "
                              "'espeak-ng --voices' lists the installed ones")

    def render(self, text: str, *, voice: str, rate: int, volume: float) -> Pcm:
        """Render ``text`` with espeak-ng; see ``Speech.render``."""
        amplitude = str(int(round(max(0.0, min(volume, 2.0)) * 100)))
        handle, name = tempfile.mkstemp(prefix="callnext-speech-", suffix=".wav")
        os.close(handle)
        path = Path(name)
        try:
            self._run([self._executable, "-v", voice, "-s", str(rate), "-a", amplitude,
                       "-w", str(path), "--stdin"], text.encode("utf-8"))
            try:
                return Pcm.from_wav(path.read_bytes(), label=f"{voice}: {text}")
            except AudioError as err:
                raise SpeechError(f"espeak-ng wrote an unreadable WAV: {err}") from err
        finally:
            path.unlink(missing_ok=True)

    def _run(self, command: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
        try:
            done = subprocess.run(command, input=stdin, capture_output=True,
                                  timeout=self._timeout_s, check=False)
        except subprocess.TimeoutExpired as err:
            raise SpeechError(f"espeak-ng did not finish within {self._timeout_s:g} s") from err
        except OSError as err:
            raise SpeechError(f"espeak-ng could not be started: {err}") from err
        if done.returncode != 0:
            detail = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
            raise SpeechError(f"espeak-ng failed: {detail}")
        return done
