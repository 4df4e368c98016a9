"""``callnext demo`` with windows: the whole hall on one machine, no hardware needed.

A small process supervisor. It writes a demo copy of the hall file into the
demo folder (loopback ports; the kiosk's printer is the real python-escpos
``File`` printer writing to ``printer.bin``, with a PNG and the bytes of every
ticket kept in ``tickets/``; the display speaks through aplay when the machine
has a sound card, else into WAV files in ``speech/``), makes CURVE keys for
every node, and starts as child processes:

* the broker (``callnext broker``),
* the wall display (``callnext display --node display-1``),
* the ticket kiosk (``callnext kiosk --node kiosk-1 --windowed``),
* the staff console (``callnext web``): counter pages for the clerks (the virtual caller, in
  place of the old Kivy caller panel) and the hall page for the manager, in a browser; the
  demo prints its address and the demo staff's 工号 and PINs.

Ctrl-C, SIGTERM or closing any window stops them all: each node gets SIGINT,
then SIGTERM, then SIGKILL for its whole process group (espeak-ng and aplay
included), and the broker is stopped last so no node loses it while closing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, TextIO

import tomli_w

from callnext.demo import demo_day, start_broker, stop_broker
from callnext.demo_console import add_demo_staff, announce_console, loopback_tables
from callnext.keys import default_names, init_keys
from config.load import load_hall

DISPLAY_ID = "display-1"
KIOSK_ID = "kiosk-1"
# Side by side on a 1920-pixel-wide screen, the display on the left, the kiosk on its right,
# so no window hides another (the console opens in the browser below them).
DISPLAY_WINDOW = ((0, 0), (1120, 630))
KIOSK_WINDOW = ((1120, 0), (800, 600))
STOP_GRACE_S = 4.0
"""Seconds a node has to close its window after SIGINT before SIGTERM, and again before SIGKILL."""


@dataclass
class Child:
    """One node process of the demo."""

    name: str
    process: subprocess.Popen[bytes]


def sound_card_present(cards: Path = Path("/proc/asound/cards")) -> bool:
    """Whether ALSA lists a sound card and aplay exists (else speech goes to WAV files).

    Args:
        cards: ALSA's card list.
    """
    try:
        listed = cards.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "no soundcards" not in listed and bool(listed.strip()) and bool(shutil.which("aplay"))


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_hall(config: str | Path, folder: Path, *, command_port: int, event_port: int,
              speakers: bool, web_port: int = 8080) -> Path:
    """Write the demo's copy of the hall file into ``folder`` and return its path.

    Only what a single machine needs is changed: loopback ports, one display
    in a window (the first ``[[displays]]`` block, renamed ``display-1``), one
    kiosk in a window (likewise ``kiosk-1``) printing through escpos ``File``,
    and the speech output.

    Args:
        config: the hall file the demo is about.
        folder: the demo folder.
        command_port: the broker's command port.
        event_port: the broker's event port.
        speakers: speak through aplay; False writes WAV files into ``folder/speech``.
        web_port: the staff console's port (on 127.0.0.1).
    """
    data: dict[str, Any] = tomllib.loads(Path(config).read_text(encoding="utf-8"))
    loopback_tables(data, command_port=command_port, event_port=event_port, web_port=web_port)
    display: dict[str, Any] = dict((data.get("displays") or [{}])[0])
    speech = dict(display.get("speech", {}))
    speech["audio"] = ({"backend": "aplay", "device": "default"} if speakers
                       else {"backend": "wav_dir", "wav_dir": str(folder / "speech")})
    display.update(id=DISPLAY_ID, counters=[], orientation="landscape",
                   resolution=list(DISPLAY_WINDOW[1]), fullscreen=False, speech=speech)
    data["displays"] = [display]
    kiosk: dict[str, Any] = dict((data.get("kiosks") or [{}])[0])
    printer = dict(kiosk.get("printer", {}))
    printer.update(type="file", device=str(folder / "printer.bin"),
                   preview_dir=str(folder / "tickets"), status_poll_s=0.0)
    kiosk.update(id=KIOSK_ID, window_size=list(KIOSK_WINDOW[1]), printer=printer)
    data["kiosks"] = [kiosk]
    path = folder / "hall.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    load_hall(path)  # the nodes will refuse a broken file: refuse it here first, clearly
    return path


def window_env(place: tuple[tuple[int, int], tuple[int, int]]) -> dict[str, str]:
    """Kivy's environment overrides (``KCFG_<section>_<key>``) that put a window at a place."""
    (left, top), _size = place
    return {"KCFG_GRAPHICS_POSITION": "custom", "KCFG_GRAPHICS_LEFT": str(left),
            "KCFG_GRAPHICS_TOP": str(top)}


def spawn(name: str, argv: list[str], log: Path, env: dict[str, str] | None = None) -> Child:
    """Start one node of the demo, its output appended to ``log`` (stop it with
    ``stop_children``)."""
    # Each node leads its own process group: the terminal's Ctrl-C reaches only the
    # supervisor, which then stops the nodes in order, and a group kill also takes
    # their espeak-ng / aplay helpers.
    with log.open("ab") as sink:
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=sink,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   env={**os.environ, **(env or {})})
    return Child(name, process)


def _signal_group(child: Child, signum: int) -> None:
    try:
        os.killpg(child.process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def stop_children(children: list[Child]) -> None:
    """Stop every node: SIGINT, then SIGTERM, then SIGKILL, each to its process group."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        running = [c for c in children if c.process.poll() is None]
        if not running:
            break
        for child in running:
            _signal_group(child, signum)
        deadline = time.monotonic() + STOP_GRACE_S
        for child in running:
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
    for child in children:
        # Helpers a node left behind (its group outlives it): nothing may stay.
        _signal_group(child, signal.SIGKILL)


def run_hall_demo(config: str, *, out: Path | None = None, stream: TextIO = sys.stdout) -> int:
    """Run the windowed hall until Ctrl-C, SIGTERM or a closed window.

    Args:
        config: the hall TOML file.
        out: the demo folder (default: a new temporary folder, kept and named).
        stream: where the demo reports.

    Returns:
        0 after a clean stop, 1 when a node failed.

    Raises:
        DemoError: the broker did not start (the nodes are not started then).
        ConfigError: the hall file cannot be used.
    """
    hall = load_hall(config)
    folder = (out or Path(tempfile.mkdtemp(prefix="callnext-demo-"))).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    speakers = sound_card_present()
    command_port, event_port = free_port(), free_port()
    web_port = free_port()
    path = demo_hall(config, folder, command_port=command_port, event_port=event_port,
                     speakers=speakers, web_port=web_port)
    keys = folder / "keys"
    init_keys(keys, default_names(hall_path=str(path)))
    logs = folder / "logs"
    logs.mkdir(exist_ok=True)
    opening = demo_day(hall) + timedelta(minutes=30)
    from config.hours import is_open

    # Outside opening hours the hall would refuse tickets: the demo then replays the
    # latest opening day from 30 minutes after opening, in real time.
    clock = None if is_open(hall, time.time()) else opening.replace(tzinfo=None).isoformat()
    _announce(folder, speakers, clock, stream)

    stop = threading.Event()
    restore_signals = _stop_on_signals(stop)
    children: list[Child] = []
    broker: subprocess.Popen[str] | None = None
    try:
        broker, _ = start_broker(str(path), folder, clock_start=clock, speed=1.0,
                                 command_port=command_port, event_port=event_port,
                                 keys_dir=keys)
        add_demo_staff(f"tcp://127.0.0.1:{command_port}", keys)
        common = ["--config", str(path), "--keys", str(keys)]
        _start_nodes(children, common, logs, stop)
        announce_console(f"http://127.0.0.1:{web_port}/", path, keys, folder, stream)
        pids = ", ".join(f"{c.name} {c.process.pid}" for c in children)
        print(f"callnext demo: running (broker {broker.pid}, {pids}); logs in {logs}",
              file=stream, flush=True)
        return _supervise(broker, children, logs, stop, stream)
    finally:
        stop_children(children)
        if broker is not None:
            stop_broker(broker)
        restore_signals()
        printed = sorted((folder / "tickets").glob("*.png"))
        print(f"callnext demo: stopped / 已停止. {len(printed)} ticket(s) printed in "
              f"{folder / 'tickets'}; journal in {folder}", file=stream, flush=True)


def _announce(folder: Path, speakers: bool, clock: str | None, stream: TextIO) -> None:
    print(f"callnext demo: folder {folder}\n"
          f"  printed tickets (PNG + ESC/POS bytes) -> {folder / 'tickets'}\n"
          + ("  speech -> speakers (aplay, ALSA 'default') / 语音从扬声器播放\n" if speakers else
             f"  speech -> WAV files in {folder / 'speech'} (no sound card found) / "
             "未检测到声卡，语音写入 WAV 文件\n")
          + (f"  hall clock starts at {clock} (the hall is closed now)\n" if clock else "")
          + "  Ctrl-C (or closing any window) stops everything / 按 Ctrl-C 结束",
          file=stream, flush=True)


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """SIGINT and SIGTERM set ``stop`` (main thread only); returns what puts the handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for signum in previous:
        signal.signal(signum, lambda *_: stop.set())

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return restore


def _start_nodes(children: list[Child], common: list[str], logs: Path,
                 stop: threading.Event) -> None:
    """Start the display, the kiosk and the staff console into ``children`` (each one as soon
    as it runs, so a failure part-way still stops those started), each logging into ``logs``."""
    python = [sys.executable, "-m"]
    for name, argv, env in (
            ("display", [*python, "callnext", "display", *common, "--node", DISPLAY_ID],
             window_env(DISPLAY_WINDOW)),
            ("kiosk", [*python, "callnext", "kiosk", *common, "--node", KIOSK_ID, "--windowed"],
             window_env(KIOSK_WINDOW)),
            ("web", [*python, "callnext", "web", *common], {})):
        if stop.is_set():
            break
        children.append(spawn(name, argv, logs / f"{name}.log", env))


def _supervise(broker: subprocess.Popen[str], children: list[Child], logs: Path,
               stop: threading.Event, stream: TextIO) -> int:
    """Wait for a stop signal, a closed window or a dead broker; the demo's exit status."""
    while not stop.is_set():
        if broker.poll() is not None:
            print(f"callnext demo: the broker stopped ({broker.returncode}); see {logs}",
                  file=stream)
            return 1
        ended = [c for c in children if c.process.poll() is not None]
        if ended:
            code = ended[0].process.returncode
            print(f"callnext demo: the {ended[0].name} window closed (exit {code}); "
                  "stopping the hall", file=stream)
            return 0 if code == 0 else 1
        stop.wait(0.2)
    return 0
