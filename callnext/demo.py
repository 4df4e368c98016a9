"""``callnext demo --headless``: a real broker process and a scripted hall day in the terminal.

The day runs on an accelerated clock: visitors arrive with a morning peak,
counters call, serve, recall, mark no-shows, transfer and collect ratings,
one counter takes a break. Everything goes through the real protocol to a real
broker; the board is drawn from a state mirror fed by the broker's events.

``callnext demo`` without ``--headless`` opens the whole hall in windows
(``callnext.hall_demo``) when this machine has a screen; ``choose_mode``
decides, and says so when it falls back to the terminal.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Mapping, TextIO

from foundation.errors import CallnextError
from callnext.keys import ADMIN, default_names, init_keys
from callnext.status import alert_line, format_status
from config.load import load_hall
from config.schema import WEEKDAYS, Hall
from protocol.client import RequestClient
from protocol.envelope import Event
from protocol.errors import CommandRefused
from protocol.mirror import StateMirror
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


@dataclass(order=True)
class _Action:
    at: float
    order: int
    run: Callable[[], None] = field(compare=False)


def demo_day(hall: Hall) -> datetime:
    """The opening of the latest day the hall is open, today included (hall-local)."""
    zone = hall.hours.zone()
    today = datetime.now(zone).date()
    for back in range(7):
        day = today - timedelta(days=back)
        if WEEKDAYS[day.weekday()] in hall.hours.days:
            break
    first = min(hall.hours.periods, key=lambda p: p.start)
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
                 keys_dir: Path | None = None) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start ``callnext broker`` on loopback and wait for its ready line.

    Ports default to 0 (any free port); pass fixed ones to restart a broker
    where its nodes expect it.

    With ``keys_dir`` (made by ``callnext keys init``) the broker runs CURVE and
    its clients need ``protocol.security.client_socket_setup``. Without it the
    broker is started with ``--insecure`` (it logs a warning): the mode for
    tests and benchmarks on loopback, where clients connect without keys.

    Returns:
        The process and its endpoints (``commands``, ``events``).

    Raises:
        DemoError: the broker exited or did not get ready in time.
    """
    command = [sys.executable, "-m", "callnext", "--log-level", "WARNING", "broker",
               "--config", config, "--data", str(data), "--bind", "127.0.0.1",
               "--command-port", str(command_port), "--event-port", str(event_port)]
    command += ["--keys", str(keys_dir)] if keys_dir is not None else ["--insecure"]
    if clock_start:
        command += ["--clock-start", clock_start, "--clock-speed", str(speed)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        ready = _await_ready(process)
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


def _await_ready(process: subprocess.Popen[str]) -> dict[str, str] | None:
    """The endpoints of the broker's ready line; None if it exited or took too long."""
    deadline = time.monotonic() + READY_TIMEOUT_S
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


class ScriptedDay:
    """Arrivals, clerks and visitors of one hall day, driven on the demo clock."""

    def __init__(self, hall: Hall, client: RequestClient, start: float, seed: int,
                 log: Callable[[str], None]) -> None:
        self.hall = hall
        self.client = client
        self.start = start
        self.random = random.Random(seed)
        self.log = log
        self.queue: list[_Action] = []
        self._order = itertools.count()
        self.issued = 0
        self.refused = 0
        self._now = start
        self._calls = 0

    def at(self, when: float, run: Callable[[], None]) -> None:
        """Schedule ``run`` at demo time ``when``."""
        heapq.heappush(self.queue, _Action(when, next(self._order), run))

    def run_due(self, now: float) -> None:
        """Run every action due by ``now``."""
        while self.queue and self.queue[0].at <= now:
            heapq.heappop(self.queue).run()

    def send(self, op: str, **args: Any) -> dict[str, Any] | None:
        """One command; a refusal is shown, not fatal (the clerk would see it too)."""
        try:
            return self.client.request(op, args)
        except CommandRefused as refusal:
            self.log(f"  ✗ {op} {args}: {refusal.message}")
            return None

    # -- visitors -----------------------------------------------------------------------------

    def plan(self, minutes: float) -> None:
        """Schedule arrivals over ``minutes`` and the clerks' first calls."""
        rng = self.random
        services = [s for s in self.hall.services if s.kiosk and s.id != "appointment"]
        weights = [3.0 if s.id == "general" else 1.0 for s in services]
        t = self.start + 60.0
        end = self.start + minutes * 60.0
        while t < end:
            hour = datetime.fromtimestamp(t, self.hall.hours.zone()).hour
            per_minute = 1.6 if 9 <= hour < 11 else 0.7  # the morning peak
            t += rng.expovariate(per_minute) * 60.0
            service = rng.choices(services, weights)[0]
            kind = "priority" if not service.priority and rng.random() < 0.07 else "walkin"
            self.at(t, lambda s=service.id, k=kind: self._arrive(s, k))
        for counter in self.hall.counters:
            self.at(self.start + 90.0 + counter.number * 20.0,
                    lambda n=counter.number: self._call_next(n))
        pause_counter = self.hall.counters[min(3, len(self.hall.counters) - 1)].number
        self.at(self.start + 95 * 60.0, lambda: self._pause(pause_counter))
        self._book_appointments()

    def _book_appointments(self) -> None:
        if self.hall.service("appointment") is None:
            return
        zone = self.hall.hours.zone()
        for i, offset_min in enumerate((40, 75, 130)):
            begin = datetime.fromtimestamp(self.start + offset_min * 60.0, zone)
            code = f"DEMO-{i + 1:02d}"
            self.send("book_appointment", code=code, service="appointment",
                      start=begin.replace(tzinfo=None).isoformat(timespec="minutes"),
                      end=(begin + timedelta(minutes=30)).replace(tzinfo=None)
                      .isoformat(timespec="minutes"))
            self.at(self.start + (offset_min - 10) * 60.0,
                    lambda c=code: self._check_in(c))

    def _arrive(self, service: str, kind: str) -> None:
        result = self.send("issue_ticket", service=service, kind=kind)
        if result is None:
            self.refused += 1
            return
        self.issued += 1
        self.log(f"  取号 {result['ticket']} ({service}{', 优先' if kind == 'priority' else ''})"
                 f" ahead {result['ahead']}, est {result['estimate_min']} min")

    def _check_in(self, code: str) -> None:
        result = self.send("issue_ticket", service="appointment", kind="appointment",
                           appointment=code)
        if result is not None:
            self.issued += 1
            self.log(f"  预约签到 {code} → {result['ticket']}")

    # -- clerks ---------------------------------------------------------------------------------

    def _service_minutes(self, service: str) -> float:
        configured = self.hall.service(service)
        mean = configured.expected_minutes if configured else 8.0
        return max(1.0, self.random.lognormvariate(math.log(mean) - 0.08, 0.4))

    def _call_next(self, counter: int) -> None:
        result = self.send("call_next", counter=counter)
        now = self._now_hint()
        if result is None or result.get("ticket") is None:
            self.at(now + 45.0, lambda: self._call_next(counter))
            return
        number, service = result["ticket"], result["service"]
        self.log(f"  叫号 {number} → {counter}号窗口 / Counter {counter}")
        self._calls += 1
        roll = self.random.random()
        # The second call of the day always misses its visitor and the fifth is always
        # transferred, so even a short demo shows recalls, a no-show and 一票到底.
        if self._calls == 2:
            roll = 0.0
        elif self._calls == 5:
            roll = 0.08
        if roll < 0.07:
            self.at(now + 60.0, lambda: self._recall(counter, number))
            return
        self.at(now + 30.0, lambda: self.send("start", counter=counter))
        if roll < 0.10:
            other = [s.id for s in self.hall.services if s.id not in (service, "appointment")]
            self.at(now + 4 * 60.0, lambda: self._transfer(counter, self.random.choice(other)))
            return
        self.at(now + self._service_minutes(service) * 60.0,
                lambda: self._finish(counter, number))

    def _recall(self, counter: int, number: str) -> None:
        result = self.send("recall", counter=counter)
        if result is None or result.get("status") == "no_show":
            self.log(f"  过号 {number} at counter {counter}")
            self.at(self._now_hint() + 20.0, lambda: self._call_next(counter))
            return
        if result["recalls"] >= 2:
            self.at(self._now_hint() + 60.0, lambda: self._no_show(counter, number))
        else:
            self.at(self._now_hint() + 60.0, lambda: self._recall(counter, number))

    def _no_show(self, counter: int, number: str) -> None:
        self.send("no_show", counter=counter)
        self.log(f"  过号 {number} at counter {counter}")
        self._call_next(counter)

    def _transfer(self, counter: int, service: str) -> None:
        result = self.send("transfer", counter=counter, service=service)
        if result is not None:
            self.log(f"  转移 {result['ticket']} → {service}")
        self._call_next(counter)

    def _finish(self, counter: int, number: str) -> None:
        self.send("finish", counter=counter)
        if self.random.random() < 0.7:
            score = self.random.choices([3, 2, 1], [0.8, 0.15, 0.05])[0]
            self.send("rate", counter=counter, score=score)
        self.at(self._now_hint() + 15.0, lambda: self._call_next(counter))

    def _pause(self, counter: int) -> None:
        self.send("pause", counter=counter)
        self.log(f"  暂停 counter {counter} (15 min break)")
        self.at(self._now_hint() + 15 * 60.0, lambda: self._resume(counter))

    def _resume(self, counter: int) -> None:
        self.send("resume", counter=counter)
        self.log(f"  恢复 counter {counter}")
        self._call_next(counter)

    def _now_hint(self) -> float:
        return self._now

    def advance(self, now: float) -> None:
        """Move the script's clock to ``now`` and run what is due."""
        self._now = now
        self.run_due(now)


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
        began = time.monotonic()
        start = opening.timestamp()
        recent: list[str] = []
        interactive = stream.isatty()

        def log(line: str) -> None:
            recent.append(line)
            del recent[:-12]
            if not interactive:
                print(line, file=stream)

        def on_event(kind: str, payload: Any) -> None:
            if kind == "event" and isinstance(payload, Event) and payload.type == "alert_raised":
                log(f"  ! {alert_line(hall, payload.data)}")

        mirror = StateMirror(endpoints["commands"], endpoints["events"], "display-1",
                             socket_setup=client_socket_setup(keys, "display-1"))
        mirror.add_listener(on_event)
        client = RequestClient(endpoints["commands"], ADMIN, timeout_ms=3000,
                               socket_setup=client_socket_setup(keys, ADMIN))
        print(f"callnext demo: {hall.name.zh} / {hall.name.en}, {minutes:g} hall minutes at "
              f"{speed:g}× (about {minutes * 60 / speed:.0f} s). Journal: {data}. Ctrl-C stops.",
              file=stream, flush=True)
        status = 0
        try:
            mirror.start()
            script = ScriptedDay(hall, client, start, seed, log)
            script.plan(minutes)
            last_board = 0.0
            while True:
                now = start + (time.monotonic() - began) * speed
                if now > start + minutes * 60.0:
                    break
                if process.poll() is not None:
                    raise DemoError(f"the broker exited unexpectedly ({process.returncode})")
                script.advance(now)
                if time.monotonic() - last_board >= (1.0 if interactive else 15.0):
                    last_board = time.monotonic()
                    _draw(stream, hall, mirror, now, recent, interactive)
                time.sleep(0.05)
            _draw(stream, hall, mirror, start + minutes * 60.0, recent, interactive)
            print(f"\nissued {script.issued} tickets, {script.refused} refused.", file=stream)
        except KeyboardInterrupt:
            print("\ncallnext demo: stopped (Ctrl-C) / 已停止.", file=stream)
            status = 130
        finally:
            mirror.stop()
            client.close()
            stop_broker(process)
            restore_sigterm()
        if status == 0:
            from broker.report import print_report

            print_report(config, data, None, csv_path=None)
        return status


def _draw(stream: TextIO, hall: Hall, mirror: StateMirror, now: float, recent: list[str],
          interactive: bool) -> None:
    if mirror.seq <= 0:
        return
    board = format_status(hall, {"seq": mirror.seq, "now": now, "view": mirror.view})
    clock = datetime.fromtimestamp(now, hall.hours.zone()).strftime("%H:%M")
    connection = "" if mirror.connected else "  [连接中断 / connection lost]"
    if interactive:
        stream.write("\x1b[2J\x1b[H")
        print(f"hall time {clock}{connection}\n{board}\n\nlatest:", file=stream)
        print("\n".join(recent), file=stream, flush=True)
    else:
        print(f"--- hall time {clock}{connection}\n{board}", file=stream, flush=True)
