"""``callnext voice``: check, render, record and audition the hall's voice.

* ``voice check --config FILE --node ID``: every phrase the hall can produce is
  covered (all prefixes and digits, every counter, call and recall); exit 1 listing gaps.
* ``voice render --pack DIR --engine espeak [--lang zh] [--config FILE --node ID]``:
  make a pack with an installed synthesiser (developer time, or on site).
* ``voice record --pack DIR --lang zh``: a staff member records the words one by one
  (``--source`` command, default ``arecord``; or ``--takes DIR`` of WAV files).
* ``voice play --config FILE --number A012 --counter 3``: say a call on the speakers.

espeak-ng, sox and the sound card are touched only inside the command functions.
"""

from __future__ import annotations

import argparse
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from foundation.errors import CallnextError

if TYPE_CHECKING:
    from config.display_node import DisplayNode
    from config.schema import Hall
    from hw.audio import Pcm
    from runtime.voice_plan import Token

LANGUAGES = ["zh", "en", "yue", "hak", "ug"]


class VoiceCommandError(CallnextError):
    """A voice command cannot do what it was asked."""


def _setting(args: argparse.Namespace) -> tuple[Hall, DisplayNode]:
    from config.load import load_hall
    from runtime.blocks import display_block

    hall = load_hall(args.config)
    return hall, display_block(hall, args.node)


def _check(args: argparse.Namespace) -> int:
    from hw.speech import EspeakSpeech
    from runtime.voice import pack_root
    from runtime.voice_pack import coverage

    hall, node = _setting(args)
    speech = node.speech
    found = coverage(hall, speech, node.counters, pack_root(speech), EspeakSpeech().voices())
    for language in found.missing_voices:
        print(f"{language}: no voice pack and no espeak-ng voice "
              f"{speech.voices.of(language)!r}: install it or record a pack")
    for language, words in found.missing_words.items():
        if words:
            print(f"{language}: {len(words)} word(s) not in the pack {pack_root(speech)}: "
                  f"{', '.join(words)}")
    if not found.complete:
        print("voice check: gaps found; 'callnext voice render' or 'voice record' fills them",
              file=sys.stderr)
        return 1
    print(f"voice check: every call of {', '.join(speech.languages)} is covered "
          f"({pack_root(speech)})")
    return 0


def unspeakable_languages(config: str) -> list[str]:
    """One line per display language with neither a voice pack nor an installed espeak-ng
    voice (``callnext check-config``); empty when every display can speak every language."""
    from config.load import load_hall
    from hw.clips import load_packs
    from hw.speech import EspeakSpeech, SpeechError
    from runtime.voice import pack_root

    hall = load_hall(config)
    try:
        installed = EspeakSpeech().voices()
    except SpeechError:
        installed = set()
    problems: list[str] = []
    for node in hall.displays:
        speech = node.speech
        if not speech.enabled:
            continue
        packs = load_packs(pack_root(speech), tuple(speech.languages))
        for language in speech.languages:
            voice = speech.voices.of(language)
            if voice.lower() not in installed and (language not in packs
                                                   or speech.voice == "espeak"):
                problems.append(f"displays.{node.id}.speech.languages: {language!r} has no "
                                f"voice pack in {pack_root(speech)} and espeak-ng has no voice "
                                f"{voice!r}; install espeak-ng, record a pack "
                                "('callnext voice record') or remove the language")
    return problems


def _render(args: argparse.Namespace) -> int:
    from config.display_node import Speech as SpeechConfig
    from hw.speech import EspeakSpeech
    from runtime.voice_pack import render_pack
    from runtime.voice_plan import vocabulary

    if args.engine != "espeak":
        raise VoiceCommandError(f"engine {args.engine!r} is not installed here; use espeak")
    config = SpeechConfig()
    hall: Hall | None = None
    if args.config:
        hall, node = _setting(args)
        config = node.speech
    synth = EspeakSpeech()
    said = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True,
                          timeout=10, check=False).stdout
    found = re.search(r"text-to-speech:\s*(\S+)", said)
    version = found.group(1) if found else "unknown version"
    for language in args.lang or list(config.languages):
        extra = vocabulary(hall, config, language) if hall is not None else {}
        folder = render_pack(args.pack, language, synth, config, f"espeak-ng {version}", extra)
        print(f"{folder}: rendered with espeak-ng {version}")
    return 0


def _arecord(command: str) -> Callable[[Token, float], Pcm]:
    from hw.audio import AudioError, Pcm

    def record(_token: Token, seconds: float) -> Pcm:
        words = shlex.split(command.format(seconds=max(1, round(seconds))))
        try:
            done = subprocess.run(words, capture_output=True, timeout=seconds + 10, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise VoiceCommandError(f"recording with {words[0]!r} failed: {err}") from err
        if done.returncode != 0:
            raise VoiceCommandError(f"recording failed: {done.stderr.decode(errors='replace')}")
        try:
            return Pcm.from_wav(done.stdout)
        except AudioError as err:
            raise VoiceCommandError(f"the recorder gave no mono 16-bit WAV: {err}") from err
    return record


def _takes(folder: str) -> Callable[[Token, float], Pcm]:
    from hw.audio import Pcm

    files = iter(sorted(Path(folder).glob("*.wav")))

    def record(_token: Token, _seconds: float) -> Pcm:
        path = next(files, None)
        if path is None:
            raise VoiceCommandError(f"no more takes in {folder}")
        return Pcm.from_wav(path.read_bytes(), label=path.name)
    return record


def _record(args: argparse.Namespace) -> int:
    from config.display_node import Speech as SpeechConfig
    from hw.clips import Manifest, write_pack
    from runtime.voice_pack import PACK_RATE, RMS_TARGET, record_session, standard_words

    words = standard_words(args.lang, SpeechConfig())
    if args.only:
        words = {key: token for key, token in words.items() if key in set(args.only)}
    record = _takes(args.takes) if args.takes else _arecord(args.source)
    kept = record_session(words, record, input, print, seconds=args.seconds)
    manifest = Manifest(language=args.lang, speaker=args.speaker, licence=args.licence,
                        source="recorded with callnext voice record", sample_rate=PACK_RATE,
                        rms_target=RMS_TARGET)
    folder = write_pack(Path(args.pack) / args.lang, manifest, kept)
    print(f"{folder}: {len(kept)} of {len(words)} word(s) kept")
    return 0


def _play(args: argparse.Namespace) -> int:
    from display.announcer import CallRequest
    from display.app import build_renderer
    from hw.audio import AplayAudio

    hall, node = _setting(args)
    renderer = build_renderer(hall, node, None, args.voice)
    clip = renderer.render(CallRequest(args.number.upper(), args.counter, recall=args.recall,
                                       slow=args.slow))
    AplayAudio(args.device).play(clip)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``voice check|render|record|play``."""
    voice = subparsers.add_parser("voice", help="check, render, record or play the hall's voice")
    actions = voice.add_subparsers(dest="action", required=True)
    check = actions.add_parser("check", help="is every call the hall can make covered?")
    check.add_argument("--config", required=True, help="hall TOML file")
    check.add_argument("--node", help="display id in [[displays]]")
    check.set_defaults(run=_check)
    render = actions.add_parser("render", help="make a voice pack with a synthesiser")
    render.add_argument("--pack", required=True, help="pack folder to write")
    render.add_argument("--engine", default="espeak", help="synthesiser (espeak)")
    render.add_argument("--lang", action="append", choices=LANGUAGES,
                        help="a language (repeatable; default: the configured ones)")
    render.add_argument("--config", help="hall TOML file: adds its counter names")
    render.add_argument("--node", help="display id in [[displays]]")
    render.set_defaults(run=_render)
    record = actions.add_parser("record", help="record the words of a pack, one by one")
    record.add_argument("--pack", required=True, help="pack folder to write")
    record.add_argument("--lang", required=True, choices=LANGUAGES)
    record.add_argument("--speaker", default="hall staff", help="who speaks (manifest)")
    record.add_argument("--licence", default="LicenseRef-hall-own", help="SPDX id (manifest)")
    record.add_argument("--source", default="arecord -q -f S16_LE -c 1 -r 16000 -d {seconds} "
                        "-t wav -", help="recording command writing a WAV to stdout")
    record.add_argument("--takes", help="read takes from this folder's WAV files instead")
    record.add_argument("--seconds", type=float, default=2.0, help="recording length per take")
    record.add_argument("--only", nargs="+", metavar="KEY", help="only these words (redo)")
    record.set_defaults(run=_record)
    play = actions.add_parser("play", help="say a call on the speakers")
    play.add_argument("--config", required=True, help="hall TOML file")
    play.add_argument("--node", help="display id in [[displays]]")
    play.add_argument("--number", required=True)
    play.add_argument("--counter", required=True, type=int)
    play.add_argument("--voice", choices=["clips", "espeak"])
    play.add_argument("--recall", action="store_true")
    play.add_argument("--slow", action="store_true")
    play.add_argument("--device", default="default", help="ALSA device")
    play.set_defaults(run=_play)
