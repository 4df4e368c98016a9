"""A voice pack keeps only the clips it spoke last in memory (issue #17, lean display)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hw.audio import Pcm, silence
from hw.clips import CACHED_CLIPS, ClipPack, Manifest, PackError, default_pack_root, write_pack

RATE = 16000


def _pack(folder: Path, words: int) -> Path:
    manifest = Manifest(language="zh", speaker="test", licence="CC0-1.0", source="test",
                        sample_rate=RATE, rms_target=0.1)
    clips = {f"digit.{n}": Pcm(silence(0.05).frames[:-2] + b"\x00\x10", RATE)
             for n in range(words)}
    return write_pack(folder, manifest, clips)


def test_clips_load_when_spoken_and_only_the_last_ones_stay(tmp_path: Path) -> None:
    pack = ClipPack(_pack(tmp_path / "zh", CACHED_CLIPS + 8))
    assert pack.loaded() == 0
    first = pack.clip("digit.0")
    assert first is not None and pack.loaded() == 1
    assert pack.clip("digit.0") is first  # a repeated word is not read again
    for n in range(CACHED_CLIPS + 8):
        assert pack.clip(f"digit.{n}") is not None
    assert pack.loaded() == CACHED_CLIPS
    assert pack.clip("no.such.word") is None


def test_the_shipped_pack_opens_without_loading_its_samples() -> None:
    pack = ClipPack(default_pack_root() / "zh")
    assert pack.keys() and pack.loaded() == 0


def test_a_broken_clip_is_refused_when_the_pack_opens(tmp_path: Path) -> None:
    folder = _pack(tmp_path / "zh", 3)
    (folder / "w001.wav").write_bytes(b"RIFF not a wave")
    with pytest.raises(PackError, match="w001.wav"):
        ClipPack(folder)
    (folder / "w001.wav").write_bytes(Pcm(silence(0.05, 8000).frames, 8000).to_wav())
    with pytest.raises(PackError, match="8000 Hz"):
        ClipPack(folder)


def test_a_clip_gone_after_start_is_logged_and_left_to_the_synthesiser(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = _pack(tmp_path / "zh", 2)
    pack = ClipPack(folder)
    (folder / "w000.wav").unlink()
    with caplog.at_level(logging.WARNING, logger="hw.clips"):
        assert pack.clip("digit.0") is None
    assert "w000.wav" in caplog.text
    assert pack.clip("digit.1") is not None
