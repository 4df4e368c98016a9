"""The voice: clip packs spliced and loudness-matched, espeak-ng fallback per word, slow mode
louder and longer (measured with sox), the shipped pack, the ``voice`` commands."""

from __future__ import annotations

import array
import logging
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from display_fixtures import named_hall
from test_display_cli import CONFIG, callnext

from config.display_node import Speech
from display.announcer import AnnouncementRenderer, CallRequest
from hw.audio import Pcm, silence
from hw.clips import ClipPack, Manifest, PackError, default_pack_root, load_packs, write_pack
from hw.dsp import CEILING, gain_db, peak, rms, splice, trim
from hw.speech import EspeakSpeech
from runtime.voice import VoiceRenderer, build_voice
from runtime.voice_pack import clean_take, record_session, standard_words
from runtime.voice_plan import plan

RATE = 16000


def tone(seconds: float, level: float, rate: int = RATE, frequency: float = 440.0) -> Pcm:
    count = int(seconds * rate)
    values = array.array("h", (int(level * 32767 * math.sin(2 * math.pi * frequency * i / rate))
                               for i in range(count)))
    return Pcm(values.tobytes(), rate, "tone")


def sox_stat(path: Path) -> dict[str, float]:
    done = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True,
                          timeout=30, check=True)
    found = dict(re.findall(r"^(Length \(seconds\)|RMS\s+amplitude|Maximum amplitude):\s+(\S+)",
                            done.stderr, re.M))
    return {"length": float(found["Length (seconds)"]),
            "rms": float(next(v for k, v in found.items() if k.startswith("RMS"))),
            "max": float(found["Maximum amplitude"])}


def test_gain_limits_peaks_instead_of_clipping_and_splice_crossfades() -> None:
    loud = tone(0.2, 0.8)
    louder = gain_db(loud, 6.0)
    assert peak(louder) <= CEILING + 1e-3  # 0.8 * 2 would clip; the limiter bends it
    assert rms(louder) > rms(loud) * 1.1
    quiet = gain_db(tone(0.2, 0.1), 3.0)
    assert rms(quiet) == pytest.approx(rms(tone(0.2, 0.1)) * 10 ** (3 / 20), rel=0.01)
    a, b = tone(0.1, 0.5), tone(0.1, 0.5, frequency=660.0)
    joined = splice([a, b], fade_s=0.01)
    assert joined.duration_s == pytest.approx(0.19, abs=1e-3)  # 10 ms overlap
    padded = Pcm(silence(0.3, RATE).frames + a.frames + silence(0.3, RATE).frames, RATE)
    assert trim(padded, keep_s=0.0).duration_s == pytest.approx(0.1, abs=0.005)


def test_pack_clips_are_loudness_matched_and_a_missing_word_is_synthesised_once(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    speech = Speech(languages=("zh",))
    words = {t.key for t in plan(named_hall(), speech, "A012", 2)[0].tokens if not t.is_pause}
    clips = {key: tone(0.2, 0.05 + 0.05 * i) for i, key in enumerate(sorted(words))}
    del clips["digit.2"]
    manifest = Manifest(language="zh", speaker="test tones", licence="CC0-1.0", source="test",
                        sample_rate=RATE, rms_target=0.1)
    write_pack(tmp_path / "zh", manifest, clips)
    pack = ClipPack(tmp_path / "zh")
    assert {round(rms(pack.clip(k)), 2) for k in clips} == {0.1}  # type: ignore[arg-type]
    voice = VoiceRenderer(speech, EspeakSpeech(), {"zh": pack}, "clips")
    with caplog.at_level(logging.WARNING, logger="runtime.voice"):
        first = voice.render(plan(named_hall(), speech, "A012", 2)[0])
        voice.render(plan(named_hall(), speech, "A022", 2)[0])
    assert voice.fallbacks == {("zh", "digit.2")}
    assert sum("digit.2" in r.message for r in caplog.records) == 1  # logged once
    assert first.rate == RATE and first.duration_s > 9 * 0.2
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "manifest.json").write_text("{\"format\": 9}")
    with pytest.raises(PackError, match="unknown pack format"):
        ClipPack(tmp_path / "broken")


@pytest.mark.parametrize("kind", ["clips", "espeak"])
def test_slow_mode_is_louder_and_at_least_a_quarter_longer_measured_with_sox(
        tmp_path: Path, kind: str) -> None:
    renderer = AnnouncementRenderer(named_hall(), Speech(voice=kind, chime=False),
                                    EspeakSpeech())
    assert renderer.voice.kind == kind
    paths = {}
    for slow in (False, True):
        paths[slow] = tmp_path / f"{kind}-{slow}.wav"
        paths[slow].write_bytes(renderer.render(CallRequest("Y012", 3, slow=slow)).to_wav())
    normal, slow_ = sox_stat(paths[False]), sox_stat(paths[True])
    assert slow_["length"] >= 1.25 * normal["length"]
    assert slow_["rms"] >= normal["rms"] * 10 ** (2.5 / 20)  # +3 dB, a little lost to the limiter
    assert slow_["max"] < 1.0  # never clips
    info = subprocess.run(["sox", "--i", "-D", str(paths[True])], capture_output=True,
                          text=True, timeout=30, check=True).stdout
    assert float(info) == pytest.approx(slow_["length"], abs=0.01)


def test_shipped_pack_covers_zh_and_en_is_small_and_says_what_it_is() -> None:
    root = default_pack_root()
    packs = load_packs(root, ("zh", "en", "yue"))
    assert set(packs) == {"zh", "en"}
    size = sum(f.stat().st_size for f in root.rglob("*") if f.is_file())
    assert size <= 2 * 1024 * 1024
    for language, pack in packs.items():
        assert pack.manifest.licence and pack.manifest.source.startswith("espeak-ng")
        assert set(standard_words(language, Speech())) <= pack.keys()
    voice = build_voice(Speech(), EspeakSpeech())
    assert voice.kind == "clips"  # auto: the shipped pack covers the hall's languages
    assert build_voice(Speech(languages=("zh", "yue")), EspeakSpeech()).kind == "espeak"


def test_recording_trims_normalises_and_lets_the_speaker_redo(tmp_path: Path) -> None:
    words = {k: t for k, t in standard_words("zh", Speech()).items() if k in ("请", "办理")}
    takes = iter([Pcm(silence(0.5, 44100).frames, 44100),          # nothing said: again
                  Pcm(silence(0.4, 44100).frames + tone(0.3, 0.4, 44100).frames
                      + silence(0.6, 44100).frames, 44100),       # redo asked
                  tone(0.25, 0.05, 44100),                        # kept
                  tone(0.3, 0.6, 44100)])                         # kept
    answers = iter(["r", "", ""])
    shown: list[str] = []
    kept = record_session(words, lambda token, s: next(takes), lambda q: next(answers),
                          shown.append)
    assert set(kept) == {"请", "办理"}
    assert all(c.rate == 16000 and rms(c) == pytest.approx(0.1, rel=0.05) for c in kept.values())
    assert any("nothing heard" in line for line in shown)
    assert clean_take(Pcm(silence(1.0, 16000).frames, 16000)) is None
    trimmed = clean_take(Pcm(silence(0.5, 16000).frames + tone(0.3, 0.4).frames, 16000))
    assert trimmed is not None and trimmed.duration_s < 0.4


def test_voice_record_command_reads_takes_and_writes_a_pack(tmp_path: Path) -> None:
    takes = tmp_path / "takes"
    takes.mkdir()
    for index in range(2):
        (takes / f"take-{index}.wav").write_bytes(tone(0.3, 0.3, 22050).to_wav())
    done = subprocess.run([sys.executable, "-m", "callnext", "voice", "record", "--pack",
                           str(tmp_path / "pack"), "--lang", "zh", "--takes", str(takes),
                           "--only", "请", "办理"], input="\n\n", capture_output=True,
                          text=True, timeout=60, cwd=Path(CONFIG).parents[1], check=False)
    assert done.returncode == 0, done.stderr
    assert ClipPack(tmp_path / "pack" / "zh").keys() == {"请", "办理"}


def test_voice_check_passes_on_the_example_hall_and_lists_gaps(tmp_path: Path) -> None:
    done = callnext("voice", "check", "--config", CONFIG, "--node", "display-1")
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.copytree(default_pack_root(), tmp_path / "pack")
    manifest = tmp_path / "pack" / "zh" / "manifest.json"
    manifest.write_text(manifest.read_text("utf-8").replace('"letter.Y"', '"letter.Yx"'),
                        "utf-8")
    hall = Path(CONFIG).read_text("utf-8").replace(
        "[displays.speech]\nlanguages", f"[displays.speech]\npack = \"{tmp_path / 'pack'}\"\n"
        "languages", 1)
    (tmp_path / "hall.toml").write_text(hall, "utf-8")
    done = callnext("voice", "check", "--config", str(tmp_path / "hall.toml"), "--node",
                    "display-1")
    assert done.returncode == 1 and "zh: 1 word(s)" in done.stdout and "letter.Y" in done.stdout


@pytest.mark.parametrize("voice,lang", [("clips", "zh"), ("espeak", "en"), ("espeak", "yue")])
def test_announce_with_either_voice_and_more_languages(tmp_path: Path, voice: str,
                                                       lang: str) -> None:
    out = tmp_path / "x.wav"
    done = callnext("announce", "--config", CONFIG, "--node", "display-1", "--number", "Y012",
                    "--counter", "3", "--voice", voice, "--lang", lang, "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert f"{lang} [{voice}]" in done.stdout
    assert sox_stat(out)["length"] > 2.0


def test_check_config_refuses_a_language_nobody_can_speak(tmp_path: Path) -> None:
    hall = Path(CONFIG).read_text("utf-8").replace(
        'languages = ["zh", "en"]', 'languages = ["zh", "en", "ug"]\nvoices = { ug = "nope" }', 1)
    (tmp_path / "hall.toml").write_text(hall, "utf-8")
    done = callnext("check-config", str(tmp_path / "hall.toml"))
    assert done.returncode == 2
    assert "'ug' has no voice pack" in done.stderr and "'nope'" in done.stderr
    assert callnext("check-config", CONFIG).returncode == 0
