"""Small signal operations on ``Pcm`` clips: loudness, gain with a peak limiter, cross-fades,
resampling, silence trimming, and a pitch-keeping time stretch (sox ``tempo``).

Plain ``array`` arithmetic (no numpy on the appliance): clips are short words, and
splicing touches only their edges, so a whole announcement is joined in a few
milliseconds; the per-sample passes (gain, normalise) run once per clip at pack load or
once per slow announcement.
"""

from __future__ import annotations

import array
import math
import shutil
import subprocess
import sys

from hw.audio import AudioError, Pcm

FULL_SCALE = 32767
CEILING = 0.93
"""Highest peak the limiter lets through (-0.6 dBFS): no clipping, even after resampling."""


def samples(clip: Pcm) -> array.array[int]:
    """The clip's samples as signed 16-bit integers (native order)."""
    values = array.array("h")
    values.frombytes(clip.frames)
    if sys.byteorder == "big":  # WAV data is little-endian
        values.byteswap()
    return values


def from_samples(values: array.array[int], rate: int, label: str = "") -> Pcm:
    """A clip from signed 16-bit samples."""
    if sys.byteorder == "big":
        values = array.array("h", values)
        values.byteswap()
    return Pcm(values.tobytes(), rate, label)


def rms(clip: Pcm, stride: int = 1) -> float:
    """Root-mean-square level, as a fraction of full scale (0 for an empty clip).

    Args:
        clip: the clip.
        stride: use every n-th sample (an estimate, n times faster).
    """
    values = samples(clip)[::stride]
    if not values:
        return 0.0
    return math.sqrt(math.fsum(v * v for v in values) / len(values)) / FULL_SCALE


def peak(clip: Pcm) -> float:
    """Largest absolute sample, as a fraction of full scale."""
    values = samples(clip)
    return max((abs(v) for v in values), default=0) / FULL_SCALE


def gain(clip: Pcm, factor: float) -> Pcm:
    """The clip ``factor`` times louder, peaks above ``CEILING`` softly limited (never clips).

    Below 0.6 of the ceiling samples scale linearly; above it a tanh knee bends them
    towards the ceiling, which keeps loud vowels loud without the rasp of hard clipping.
    """
    knee = 0.6 * CEILING * FULL_SCALE
    room = CEILING * FULL_SCALE - knee
    out = array.array("h")
    for value in samples(clip):
        scaled = value * factor
        size = abs(scaled)
        if size > knee:
            size = knee + room * math.tanh((size - knee) / room)
        out.append(int(math.copysign(size, scaled)))
    return from_samples(out, clip.rate, clip.label)


def gain_db(clip: Pcm, decibels: float) -> Pcm:
    """The clip ``decibels`` louder (amplitude 10^(dB/20)), peaks limited."""
    return gain(clip, 10 ** (decibels / 20))


def normalise(clip: Pcm, target_rms: float) -> Pcm:
    """The clip scaled to ``target_rms`` (peaks limited); silence stays silence."""
    level = rms(clip, stride=4)
    if level <= 1e-6 or abs(20 * math.log10(target_rms / level)) < 0.5:
        return clip  # silent, or already at the target (a rendered pack): nothing to do
    return gain(clip, target_rms / level)


def resample(clip: Pcm, rate: int) -> Pcm:
    """The clip at ``rate`` by linear interpolation (speech words; good enough for a fallback)."""
    if clip.rate == rate:
        return clip
    values = samples(clip)
    count = int(len(values) * rate / clip.rate)
    out = array.array("h", bytes(2 * count))
    step = clip.rate / rate
    last = len(values) - 1
    for index in range(count):
        position = index * step
        left = int(position)
        right = min(left + 1, last)
        fraction = position - left
        out[index] = int(values[left] * (1 - fraction) + values[right] * fraction)
    return from_samples(out, rate, clip.label)


def trim(clip: Pcm, threshold: float = 0.02, keep_s: float = 0.02) -> Pcm:
    """The clip without leading and trailing silence (below ``threshold`` of full scale),
    keeping ``keep_s`` either side so word onsets are not cut."""
    values = samples(clip)
    level = threshold * FULL_SCALE
    # Scan in from both ends only: the silent edges are short, the speech between is not read.
    first = next((i for i, value in enumerate(values) if abs(value) >= level), None)
    if first is None:
        return Pcm(b"", clip.rate, clip.label)
    last = next(i for i in range(len(values) - 1, -1, -1) if abs(values[i]) >= level)
    keep = int(keep_s * clip.rate)
    start, end = max(first - keep, 0), min(last + keep + 1, len(values))
    return from_samples(values[start:end], clip.rate, clip.label)


def splice(clips: list[Pcm], fade_s: float = 0.012, label: str = "") -> Pcm:
    """Join clips of one rate with short linear cross-fades (no clicks at the joins).

    Raises:
        AudioError: the clips have different rates.
    """
    rates = {clip.rate for clip in clips}
    if len(rates) > 1:
        raise AudioError(f"cannot splice clips of different rates {sorted(rates)}")
    rate = rates.pop() if rates else 16000
    out = array.array("h")
    for clip in clips:
        values = samples(clip)
        overlap = min(int(fade_s * rate), len(out), len(values))
        base = len(out) - overlap
        for index in range(overlap):
            weight = (index + 1) / (overlap + 1)
            mixed = out[base + index] * (1 - weight) + values[index] * weight
            out[base + index] = int(max(-FULL_SCALE, min(FULL_SCALE, mixed)))
        out.extend(values[overlap:])
    return from_samples(out, rate, label)


def stretch(clip: Pcm, factor: float, executable: str = "sox", timeout_s: float = 10.0) -> Pcm:
    """The clip ``factor`` times longer at the same pitch (sox's WSOLA ``tempo`` effect).

    Raises:
        AudioError: sox is missing or failed (``apt-get install sox``).
    """
    if factor == 1.0 or not clip.frames:
        return clip
    found = shutil.which(executable)
    if found is None:
        raise AudioError("sox not found; install it with 'apt-get install sox'")
    command = [found, "-q", "-t", "wav", "-", "-t", "wav", "-", "tempo", "-s", f"{1 / factor:.4f}"]
    try:
        done = subprocess.run(command, input=clip.to_wav(), capture_output=True,
                              timeout=timeout_s, check=False)
    except (subprocess.TimeoutExpired, OSError) as err:
        raise AudioError(f"sox tempo failed: {err}") from err
    if done.returncode != 0:
        raise AudioError(f"sox tempo failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    stretched = Pcm.from_wav(done.stdout, clip.label)
    return stretched
