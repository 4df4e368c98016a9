"""Audio output port and its adapters: PCM clips, a synthesised chime, aplay, WAV files.

``AudioOut.play`` blocks until the clip has been played (or written) and
raises ``AudioError`` when it could not be; callers decide what a failure
means (the display reports it as node health and keeps showing calls).

Adapters:

* ``AplayAudio``: ``aplay -q -D DEVICE`` fed on stdin, with a timeout and a
  checked return code (pyttsx3's ``os.system("aplay …")`` swallows both).
* ``WavDirAudio``: every clip becomes a numbered WAV file, for machines
  without a sound card.
* ``RecordingAudio``: the test sink; records each clip with start/end
  timestamps and takes the clip's real duration (scaled by ``speed``), so
  overlap and ordering can be checked; failures can be scripted.
"""

from __future__ import annotations

import array
import io
import logging
import math
import shutil
import subprocess
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

from foundation.errors import CallnextError

logger = logging.getLogger(__name__)

SAMPLE_RATE = 22050
"""espeak-ng's output rate; every clip is kept at it so clips concatenate without resampling."""


class AudioError(CallnextError):
    """A clip could not be played: no device, a failing player, a bad clip."""


@dataclass(frozen=True)
class Pcm:
    """Mono 16-bit little-endian PCM.

    Attributes:
        frames: the raw samples.
        rate: samples per second.
        label: what this clip is (for logs and recordings).
    """

    frames: bytes
    rate: int = SAMPLE_RATE
    label: str = ""

    @property
    def duration_s(self) -> float:
        """Length in seconds."""
        return len(self.frames) / 2 / self.rate

    def to_wav(self) -> bytes:
        """The clip as a complete WAV file."""
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(self.rate)
            out.writeframes(self.frames)
        return buffer.getvalue()

    @classmethod
    def from_wav(cls, data: bytes, label: str = "") -> Pcm:
        """Read a mono 16-bit WAV file's bytes.

        Raises:
            AudioError: not a mono 16-bit WAV.
        """
        try:
            with wave.open(io.BytesIO(data), "rb") as wav:
                if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
                    raise AudioError(f"expected mono 16-bit WAV, got {wav.getnchannels()} "
                                     f"channel(s) of {wav.getsampwidth() * 8} bit")
                return cls(wav.readframes(wav.getnframes()), wav.getframerate(), label)
        except (wave.Error, EOFError) as err:
            raise AudioError(f"not a WAV file: {err}") from err


def silence(seconds: float, rate: int = SAMPLE_RATE) -> Pcm:
    """A clip of silence."""
    return Pcm(bytes(2 * max(int(seconds * rate), 0)), rate, "silence")


def concat(clips: list[Pcm], label: str = "") -> Pcm:
    """Join clips of the same rate into one.

    Raises:
        AudioError: the clips have different rates.
    """
    rates = {clip.rate for clip in clips}
    if len(rates) > 1:
        raise AudioError(f"cannot join clips of different rates {sorted(rates)}")
    rate = rates.pop() if rates else SAMPLE_RATE
    return Pcm(b"".join(clip.frames for clip in clips), rate, label)


def chime(volume: float = 1.0, rate: int = SAMPLE_RATE) -> Pcm:
    """A two-tone "ding-dong" (E6 then C6) with soft attacks and decaying tails.

    Synthesised here rather than shipped or downloaded: no licence to track,
    and its loudness follows the speech volume.

    Args:
        volume: 0..2, like the speech volume; 1.0 peaks at about half scale.
        rate: sample rate.
    """
    peak = max(0.0, min(volume, 2.0)) * 0.45 * 32767
    samples = array.array("h")
    for frequency, seconds in ((1318.5, 0.45), (1046.5, 0.75)):
        count = int(seconds * rate)
        for index in range(count):
            t = index / rate
            attack = min(1.0, t / 0.01)  # 10 ms ramp: no click
            envelope = attack * math.exp(-3.2 * t / seconds)
            # A quiet octave overtone makes it sound like a bell, not a beep.
            value = (math.sin(2 * math.pi * frequency * t)
                     + 0.25 * math.sin(4 * math.pi * frequency * t)) / 1.25
            samples.append(int(max(-32767, min(32767, peak * envelope * value))))
    return Pcm(samples.tobytes(), rate, "chime")


class AudioOut(Protocol):
    """Plays clips one at a time."""

    def play(self, clip: Pcm) -> None:
        """Play ``clip`` and return when it has finished.

        Raises:
            AudioError: it could not be played.
        """
        ...


class AplayAudio:
    """Play through ALSA's ``aplay`` on a chosen device.

    Args:
        device: ALSA device name for ``-D`` (``aplay -L`` lists them).
        executable: the aplay binary.
        margin_s: added to the clip's length for the timeout.

    Raises:
        AudioError: aplay is not installed (a start-up error, not a silent fallback).
    """

    def __init__(self, device: str = "default", executable: str = "aplay",
                 margin_s: float = 5.0) -> None:
        found = shutil.which(executable)
        if found is None:
            raise AudioError(f"{executable!r} not found; install alsa-utils "
                             "(apt-get install alsa-utils)")
        self.device = device
        self._executable = found
        self._margin_s = margin_s

    def play(self, clip: Pcm) -> None:
        """Play ``clip`` with aplay; see ``AudioOut.play``."""
        command = [self._executable, "-q", "-D", self.device, "-t", "wav", "-"]
        try:
            done = subprocess.run(command, input=clip.to_wav(), capture_output=True,
                                  timeout=clip.duration_s + self._margin_s, check=False)
        except subprocess.TimeoutExpired as err:
            raise AudioError(f"aplay on {self.device!r} did not finish within "
                             f"{clip.duration_s + self._margin_s:.0f} s") from err
        except OSError as err:
            raise AudioError(f"aplay could not be started: {err}") from err
        if done.returncode != 0:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
            detail = lines[-1] if lines else f"exit status {done.returncode}"
            raise AudioError(f"aplay on device {self.device!r} failed: {detail}")


class WavDirAudio:
    """Write every clip to ``DIR/announcement-NNNN.wav`` instead of playing it.

    Args:
        directory: where the files go (created if missing).
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise AudioError(f"cannot create the audio folder {self.directory}: {err}") from err
        self._count = len(list(self.directory.glob("announcement-*.wav")))
        self.written: list[Path] = []

    def play(self, clip: Pcm) -> None:
        """Write ``clip`` as the next numbered WAV file; see ``AudioOut.play``."""
        self._count += 1
        path = self.directory / f"announcement-{self._count:04d}.wav"
        try:
            path.write_bytes(clip.to_wav())
        except OSError as err:
            raise AudioError(f"cannot write {path}: {err}") from err
        self.written.append(path)


@dataclass(frozen=True)
class Played:
    """One clip as a ``RecordingAudio`` received it.

    Attributes:
        clip: the clip.
        start: monotonic time playback began.
        end: monotonic time it ended.
    """

    clip: Pcm
    start: float
    end: float


@dataclass
class RecordingAudio:
    """Test sink: records clips with timestamps and takes their (scaled) duration.

    Attributes:
        speed: playback speed-up; 10.0 plays a 4 s clip in 0.4 s.
        fail: how many of the next plays raise ``AudioError`` (a broken device).
        played: every clip played, in order.
    """

    speed: float = 1.0
    fail: int = 0
    clock: Callable[[], float] = time.monotonic
    played: list[Played] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _busy: bool = False

    def play(self, clip: Pcm) -> None:
        """Record ``clip``; see ``AudioOut.play``.

        Raises:
            AudioError: scripted failure, or a second clip started while one plays.
        """
        with self._lock:
            if self.fail > 0:
                self.fail -= 1
                raise AudioError("recording sink: scripted device failure")
            if self._busy:
                raise AudioError("recording sink: overlapping playback")
            self._busy = True
        start = self.clock()
        time.sleep(clip.duration_s / self.speed)
        end = self.clock()
        with self._lock:
            self._busy = False
            self.played.append(Played(clip, start, end))
