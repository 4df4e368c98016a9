"""``callnext demo --headless``: a real broker process and a scripted hall day in the terminal,
with the staff console beside it when the web extra is installed (``callnext.demo_web``).

The day runs on an accelerated clock: visitors arrive with a morning peak,
counters call, serve, recall, mark no-shows, transfer and collect ratings,
one counter takes a break. Everything goes through the real protocol to a real
broker; the board is drawn from a state mirror fed by the broker's events.

``callnext demo`` without ``--headless`` opens the whole hall in windows
(``callnext.hall_demo``) when this machine has a screen; ``choose_mode``
decides, and says so when it falls back to the terminal.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TextIO

from callnext.demo_script import ScriptedDay
from callnext.keys import ADMIN, default_names, init_keys
from callnext.status import alert_line, format_status
from config.load import load_hall
from config import hours
from config.schema import Hall
from foundation.errors import CallnextError
from protocol.client import RequestClient
from protocol.envelope import Event
from protocol.mirror import StateMirror
from protocol.results import SnapshotTaken
from protocol.security import client_socket_setup

READY_TIMEOUT_S = 20.0


class DemoError(CallnextError):
    """The demo could not start its broker or lost it."""


def screen_available(environ: Mapping[str, str] | None = None,
                     model_file: Path = Path("/proc/device-tree/model"),
                     dri_dir: Path = Path("/dev/dri")) -> str | None:
    """Why this machine can open windows, or None when it cannot.

    A desktop session announces itself with ``DISPLAY`` or ``WAYLAND_DISPLAY``;
    a Raspberry Pi console without a desktop has no such variable, but Kivy
    draws there through KMS/DRM when a GPU device exists.

    Args:
        environ: the environment (default: this process's).
        model_file: where the device tree names the board.
        dri_dir: where the GPU's DRM devices appear.

    Returns:
        A short reason such as ``DISPLAY=:0``, or None for no screen.
    """
    env = os.environ if environ is None else environ
    for name in ("WAYLAND_DISPLAY", "DISPLAY"):
        if env.get(name):
            return f"{name}={env[name]}"
    try:
        model = model_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    if "Raspberry Pi" in model and any(dri_dir.glob("card*")):
        return "Raspberry Pi console (KMS/DRM)"
    return None


def choose_mode(headless: bool, windowed: bool = False,
                environ: Mapping[str, str] | None = None) -> tuple[bool, str]:
    """Windowed or headless, and the sentence the demo prints about it.

    Args:
        headless: ``--headless`` was given.
        windowed: ``--windowed`` was given (windows even where no screen was detected,
            e.g. under ``SDL_VIDEODRIVER=offscreen``).
        environ: the environment (default: this process's).

    Returns:
        (windowed, message).
    """
    if windowed and not headless:
        return True, "callnext demo: windows (--windowed)."
    if headless:
        return False, "callnext demo: headless (--headless): a scripted hall day in this terminal."
    reason = screen_available(environ)
    if reason is None:
        return False, ("callnext demo: 未检测到显示器，改为无窗口模式 / no screen found (DISPLAY and "
                       "WAYLAND_DISPLAY unset, not a Pi console): running headless, a scripted "
                       "hall day in this terminal.")
    return True, f"callnext demo: windows on {reason}."

def demo_day(hall: Hall) -> datetime:
    """The opening of the latest day the hall is open, today included (hall-local)."""
    zone = hall.hours.zone()
    today = datetime.now(zone).date()
    # By the hall's calendar: a holiday week (国庆) or a special day is looked past or used
    # with its own periods; a month back covers the longest closure a hall file allows.
    for back in range(31):
        day = today - timedelta(days=back)
        periods = hours.periods_on(hall, day)
        if periods:
            break
    else:
        periods, day = hall.hours.periods, today
    first = min(periods, key=lambda p: p.start)
    return datetime.combine(day, first.start_time(), tzinfo=zone)


def interrupt_on_sigterm() -> Callable[[], None]:
    """Make SIGTERM raise ``KeyboardInterrupt`` in the main thread, as Ctrl-C does.

    Does nothing outside the main thread (Python only lets it set handlers).

    Returns:
        A function that puts the previous SIGTERM handler back.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


def start_broker(config: str, data: Path, *, clock_start: str | None = None,
                 speed: float = 1.0, command_port: int = 0, event_port: int = 0,
                 keys_dir: Path | None = None, launcher: Sequence[str] | None = None,
                 ready_timeout_s: float = READY_TIMEOUT_S,
                 ) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start ``callnext broker`` on loopback and wait for its ready line.

    Ports default to 0 (any free port); pass fixed ones to restart a broker
    where its nodes expect it. ``launcher`` replaces ``python -m callnext`` (this
    interpreter), e.g. by the ``callnext`` of an arm64 root run under emulation
    (tests/image), which also needs a longer ``ready_timeout_s``; ``config`` and
    ``data`` are then paths as that command sees them.

    With ``keys_dir`` (made by ``callnext keys init``) the broker runs CURVE and
    its clients need ``protocol.security.client_socket_setup``. Without it the
    broker is started with ``--insecure`` (it logs a warning): the mode for
    tests and benchmarks on loopback, where clients connect without keys.

    Returns:
        The process and its endpoints (``commands``, ``events``).

    Raises:
        DemoError: the broker exited or did not get ready in time.
    """
    prefix = list(launcher) if launcher is not None else [sys.executable, "-m", "callnext"]
    command = [*prefix, "--log-level", "WARNING", "broker",
               "--config", config, "--data", str(data), "--bind", "127.0.0.1",
               "--command-port", str(command_port), "--event-port", str(event_port)]
    command += ["--keys", str(keys_dir)] if keys_dir is not None else ["--insecure"]
    if clock_start:
        command += ["--clock-start", clock_start, "--clock-speed", str(speed)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        ready = _await_ready(process, ready_timeout_s)
    except BaseException:
        # Ctrl-C or SIGTERM while waiting: never leave the new broker behind.
        process.kill()
        process.wait(timeout=5)
        raise
    if ready is not None:
        return process, ready
    process.kill()
    process.wait(timeout=5)
    raise DemoError(f"the broker did not start (exit {process.returncode}); see its log above")


def _await_ready(process: subprocess.Popen[str], timeout_s: float) -> dict[str, str] | None:
    """The endpoints of the broker's ready line; None if it exited or took too long."""
    deadline = time.monotonic() + timeout_s
    if process.stdout is None:  # pragma: no cover - PIPE always gives a stream
        raise DemoError("the broker's output could not be read")
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(message, dict) and "ready" in message:
            return dict(message["ready"])
    return None


def stop_broker(process: subprocess.Popen[str]) -> int:
    """Stop the broker cleanly (SIGTERM), killing it only if it does not stop."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    return process.returncode or 0

class _Board:
    """The terminal side of the headless demo: the live board and the latest actions.

    On a terminal the board is redrawn in place every second with the last lines under it;
    into a pipe or file every line is printed once and a board every 15 seconds.
    """

    def __init__(self, hall: Hall, stream: TextIO) -> None:
        self.hall = hall
        self.stream = stream
        self.interactive = stream.isatty()
        self.every_s = 1.0 if self.interactive else 15.0
        self.recent: list[str] = []
        self.notes: list[str] = []
        """Lines kept above the live board (the staff console's address)."""

    def log(self, line: str) -> None:
        """Note one action of the day."""
        self.recent.append(line)
        del self.recent[:-12]
        if not self.interactive:
            print(line, file=self.stream)

    def note(self, text: str) -> None:
        """Say something that stays on screen: printed once into a pipe, kept above the board
        on a terminal (any thread)."""
        if self.interactive:
            self.notes = [*self.notes, *text.splitlines()]
        else:
            print(text, file=self.stream, flush=True)

    def on_event(self, kind: str, payload: Any) -> None:
        """Mirror listener: show the hall's alerts among the actions."""
        if kind == "event" and isinstance(payload, Event) and payload.type == "alert_raised":
            self.log(f"  ! {alert_line(self.hall, payload.data)}")

    def draw(self, mirror: StateMirror, now: float) -> None:
        """The board as the mirror sees it at demo time ``now``."""
        model = mirror.model
        if mirror.seq <= 0 or model is None:
            return
        board = format_status(self.hall, SnapshotTaken(seq=mirror.seq, now=now, view=model))
        clock = datetime.fromtimestamp(now, self.hall.hours.zone()).strftime("%H:%M")
        connection = "" if mirror.connected else "  [连接中断 / connection lost]"
        if self.interactive:
            self.stream.write("\x1b[2J\x1b[H")
            notes = "".join(f"{line}\n" for line in self.notes)
            print(f"{notes}hall time {clock}{connection}\n{board}\n\nlatest:", file=self.stream)
            print("\n".join(self.recent), file=self.stream, flush=True)
        else:
            print(f"--- hall time {clock}{connection}\n{board}", file=self.stream, flush=True)


def run_demo(config: str, *, minutes: float = 240.0, speed: float = 120.0, seed: int = 7,
             out: Path | None = None, stream: TextIO = sys.stdout) -> int:
    """Run the broker and a scripted day; print the live board, then the day's report.

    Args:
        config: the hall TOML file.
        minutes: simulated minutes of hall time to play.
        speed: simulated seconds per real second.
        seed: seed of the scripted day, so a demo can be repeated exactly.
        out: keep the journal here (default: a temporary folder, removed afterwards).
        stream: where the board is printed.
    """
    hall = load_hall(config)
    opening = demo_day(hall) - timedelta(minutes=5)
    with tempfile.TemporaryDirectory(prefix="callnext-demo-") as tmp:
        data = out or Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        # The demo runs as a hall should: CURVE on, the script with the admin's key
        # and the board with a display's key (read only).
        keys = data / "keys"
        init_keys(keys, [*default_names(hall_path=config), "display-1"])
        # SIGTERM (a service manager, `timeout`, a test) stops the day like Ctrl-C,
        # so the broker below is always stopped by the ``finally``.
        restore_sigterm = interrupt_on_sigterm()
        process, endpoints = start_broker(
            config, data, clock_start=opening.replace(tzinfo=None).isoformat(), speed=speed,
            keys_dir=keys)
        began = time.monotonic()  # the broker's accelerated hall clock runs from about now
        board = _Board(hall, stream)
        from callnext.demo_web import HeadlessConsole  # it imports this module

        console = HeadlessConsole(config, data, keys, endpoints, board.note)
        mirror, client = _clients(endpoints, keys, board)
        print(f"callnext demo: {hall.name.zh} / {hall.name.en}, {minutes:g} hall minutes at "
              f"{speed:g}× (about {minutes * 60 / speed:.0f} s). Journal: {data}. Ctrl-C stops.",
              file=stream, flush=True)
        status = 0
        try:
            console.start()
            mirror.start()
            script = ScriptedDay(hall, client, opening.timestamp(), seed, board.log)
            _play(script, process, mirror, board, began=began, minutes=minutes, speed=speed)
            print(f"\nissued {script.issued} tickets, {script.refused} refused.", file=stream)
        except KeyboardInterrupt:
            print("\ncallnext demo: stopped (Ctrl-C) / 已停止.", file=stream)
            status = 130
        finally:
            console.stop()  # before the broker: the console never loses it while closing
            mirror.stop()
            client.close()
            stop_broker(process)
            restore_sigterm()
        if status == 0:
            from broker.report import print_report

            print_report(config, data, None, csv_path=None)
        return status


def _clients(endpoints: Mapping[str, str], keys: Path,
             board: _Board) -> tuple[StateMirror, RequestClient]:
    """The board's mirror (a display's key: read only) and the script's client (the admin's)."""
    mirror = StateMirror(endpoints["commands"], endpoints["events"], "display-1",
                         socket_setup=client_socket_setup(keys, "display-1"))
    mirror.add_listener(board.on_event)
    client = RequestClient(endpoints["commands"], ADMIN, timeout_ms=3000,
                           socket_setup=client_socket_setup(keys, ADMIN))
    return mirror, client


def _play(script: ScriptedDay, process: subprocess.Popen[str], mirror: StateMirror,
          board: _Board, *, began: float, minutes: float, speed: float) -> None:
    """Play ``minutes`` of hall time from the script's start (at monotonic ``began``), ``speed``
    times faster."""
    end = script.start + minutes * 60.0
    script.plan(minutes)
    last_board = 0.0
    while True:
        now = script.start + (time.monotonic() - began) * speed
        if now > end:
            break
        if process.poll() is not None:
            raise DemoError(f"the broker exited unexpectedly ({process.returncode})")
        script.advance(now)
        if time.monotonic() - last_board >= board.every_s:
            last_board = time.monotonic()
            board.draw(mirror, now)
        time.sleep(0.05)
    board.draw(mirror, end)
