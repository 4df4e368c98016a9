"""Subcommands of the display node, registered into the ``callnext`` command.

* ``callnext display --config FILE --node ID``: the wall display (screen and voice).
* ``callnext display --config FILE --screenshot OUT.png [--state JSON]``: one frame, headless.
* ``callnext announce --config FILE --number A012 --counter 3 --out FILE.wav``: preview a voice.

Kivy and espeak-ng are loaded only inside the command functions.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

from foundation.errors import CallnextError
from runtime.security import add_security_args

logger = logging.getLogger(__name__)


class StateFileError(CallnextError):
    """A ``--state`` file is not a snapshot result."""


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1280x720") from err
    return width, height


def load_state(path: str) -> dict[str, Any]:
    """Read a state file: a snapshot result ``{"seq", "now", "view"}``, plus an optional
    ``"connected": false`` to show the lost banner.

    Raises:
        StateFileError: unreadable or the wrong shape.
    """
    try:
        state = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise StateFileError(f"cannot read the state file {path}: {err}") from err
    if not isinstance(state, dict) or not isinstance(state.get("view"), dict):
        raise StateFileError(f"{path} must hold a snapshot result: "
                             '{"seq": N, "now": EPOCH_SECONDS, "view": {...}} '
                             "(`callnext status --json` prints one)")
    return state


def _display(args: argparse.Namespace) -> int:
    from config.load import load_hall
    from display.app import run_display
    from runtime.blocks import display_block

    hall = load_hall(args.config)
    node = display_block(hall, args.node)
    if args.orientation:
        node = node.model_copy(update={"orientation": args.orientation})
    if args.screenshot:
        return _screenshot(hall, node, args)
    if args.state:
        raise CallnextError("--state is only used with --screenshot")
    from runtime.security import security_from_args

    return run_display(hall, node, security_from_args(args, hall))


def _screenshot(hall: Any, node: Any, args: argparse.Namespace) -> int:
    from display.presenter import BoardPresenter, saved_view
    from display.ui import BoardView, configure_display_window, render_png
    from runtime.kivy_setup import register_fonts

    state = load_state(args.state) if args.state else {"view": {}, "now": time.time()}
    width, height = configure_display_window(node, args.size, headless=True)
    register_fonts()
    presenter = BoardPresenter(hall, node)
    board = presenter.present(saved_view(state["view"]), bool(state.get("connected", True)),
                              float(state.get("now") or time.time()), time.monotonic())
    view = BoardView(width, height, node)
    view.show(board)
    out = render_png(view, Path(args.screenshot))
    print(out)
    return 0


def _announce(args: argparse.Namespace) -> int:
    from config.load import load_hall
    from display.announcer import CallRequest
    from display.app import build_renderer
    from runtime.blocks import display_block
    from runtime.voice_plan import plan

    hall = load_hall(args.config)
    node = display_block(hall, args.node)
    if hall.counter(args.counter) is None:
        raise CallnextError(f"the hall has no counter {args.counter} "
                            f"(counters: {[c.number for c in hall.counters]})")
    speech = node.speech
    languages = None if args.lang == "all" else (args.lang,)
    renderer = build_renderer(hall, node, languages, args.voice)
    request = CallRequest(args.number.upper(), args.counter, recall=args.recall, slow=args.slow)
    clip = renderer.render(request, speech.repeat, languages=languages)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(clip.to_wav())
    for utterance in plan(hall, speech, request.ticket, request.counter, recall=args.recall,
                          languages=languages):
        print(f"{utterance.language} [{renderer.voice.kind}]: {utterance.text()}")
    print(f"{out}: {clip.duration_s:.2f} s")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``display`` and ``announce`` subcommands."""
    display = subparsers.add_parser(
        "display", help="run the wall display (live board and spoken calls)")
    display.add_argument("--config", required=True, help="hall TOML file")
    add_security_args(display)
    display.add_argument("--node", help="this display's id in [[displays]] "
                         "(may be left out when the hall has at most one)")
    display.add_argument("--screenshot", metavar="FILE",
                         help="render one frame headless to this PNG and exit")
    display.add_argument("--state", metavar="JSON",
                         help="with --screenshot: a snapshot result {seq, now, view} to show")
    display.add_argument("--size", type=_size, metavar="WxH",
                         help="with --screenshot: window size instead of the node's resolution")
    display.add_argument("--orientation", choices=["landscape", "portrait"],
                         help="override the node's orientation")
    display.set_defaults(run=_display)

    announce = subparsers.add_parser(
        "announce", help="render a call's announcement to a WAV file (voice preview)")
    announce.add_argument("--config", required=True, help="hall TOML file")
    announce.add_argument("--node", help="display whose speech settings to use")
    announce.add_argument("--number", required=True, help="ticket number, e.g. A012")
    announce.add_argument("--counter", required=True, type=int, help="counter number")
    announce.add_argument("--lang", choices=["zh", "en", "yue", "hak", "ug", "all"],
                          default="all", help="only one language (default: the configured ones)")
    announce.add_argument("--voice", choices=["clips", "espeak"],
                          help="clip pack or espeak-ng (default: the configured voice)")
    announce.add_argument("--recall", action="store_true", help="the recall phrasing")
    announce.add_argument("--slow", action="store_true", help="slow mode (hard of hearing)")
    announce.add_argument("--out", required=True, help="WAV file to write")
    announce.set_defaults(run=_announce)
