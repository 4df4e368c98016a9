"""The staff console beside the headless demo (``callnext demo --headless``).

When the ``web`` extra is installed, the headless day also runs ``callnext web`` on a free
port of 127.0.0.1, with the demo's own CURVE key for it, so the scripted day can be watched
on the hall page and a counter page while it plays. Its hall file is a copy of the demo's
pointing at the broker the demo started; the demo staff (a manager and two clerks with
printed PINs: a demo is a bench, not a hall) are added through the broker's ``staff_add``.
It starts beside the day (a thread), not before it: the broker's accelerated clock runs
from its start, and a day held back while uvicorn starts would begin with a burst. Its
address is printed once it answers with the broker's view. It is stopped with the rest of
the demo, whatever ends it.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import threading
import time
import tomllib
import urllib.request
from pathlib import Path
from typing import Callable, Mapping
from urllib.parse import urlsplit

import tomli_w

from callnext.demo_console import add_demo_staff, console_lines, loopback_tables
from callnext.hall_demo import Child, free_port, spawn, stop_children
from config.load import load_hall

READY_S = 30.0
"""How long the console may take to answer ``/healthz`` with the broker's view (a Pi 4 under
the broker's load starts uvicorn in a few seconds)."""


def console_installed() -> bool:
    """Whether the ``web`` extra (Starlette and uvicorn) is installed here."""
    return all(importlib.util.find_spec(name) is not None for name in ("starlette", "uvicorn"))


def console_hall(config: str, folder: Path, endpoints: Mapping[str, str], web_port: int) -> Path:
    """Write the console's copy of the hall file (the running broker's ports, the console on
    127.0.0.1:``web_port``, open to this machine) into ``folder``; its path."""
    data = tomllib.loads(Path(config).read_text(encoding="utf-8"))
    ports = {name: urlsplit(endpoints[name]).port for name in ("commands", "events")}
    loopback_tables(data, command_port=int(ports["commands"] or 0),
                    event_port=int(ports["events"] or 0), web_port=web_port)
    # Not ``hall.toml``: ``--out`` may be the folder of the very hall file the demo plays.
    path = folder / "console-hall.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    load_hall(path)  # the console would refuse a broken file: refuse it here, clearly
    return path


def console_ready(url: str, child: Child, stopped: Callable[[], bool],
                  limit_s: float = READY_S) -> bool:
    """Wait (bounded) until the console answers ``/healthz`` with the broker's view."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline and child.process.poll() is None and not stopped():
        try:
            with urllib.request.urlopen(f"{url}healthz", timeout=2.0) as answer:
                if json.loads(answer.read()).get("broker") is True:
                    return True
        except (OSError, ValueError):  # not listening yet, or not JSON yet
            pass
        time.sleep(0.2)
    return False


class HeadlessConsole:
    """The console of one headless demo: started beside the day, stopped with it.

    Args:
        config: the demo's hall file.
        folder: the demo folder (the console's ``console-hall.toml`` and ``logs/web.log``
            go there).
        keys: the demo's CURVE keys (with one for ``web``).
        endpoints: the running broker's ``commands`` and ``events`` endpoints.
        say: prints a line or lines of the demo's (called from the console's thread).
    """

    def __init__(self, config: str, folder: Path, keys: Path, endpoints: Mapping[str, str],
                 say: Callable[[str], None]) -> None:
        self.config, self.folder, self.keys, self.endpoints = config, folder, keys, endpoints
        self.say = say
        self._child: Child | None = None
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="demo-console", daemon=True)

    def start(self) -> None:
        """Start the console in the background (says so when the web extra is missing)."""
        if not console_installed():
            self.say("callnext demo: no staff console (the web extra is not installed: "
                     "pip install 'callnext[web]')")
            return
        self._thread.start()

    def stop(self) -> None:
        """Stop the console (and its start, if it is still starting)."""
        with self._lock:
            self._stopped.set()
            child = self._child
        if self._thread.is_alive():
            self._thread.join(timeout=10.0)
        if child is not None:
            stop_children([child])

    def _run(self) -> None:
        try:
            self._start()
        except Exception as err:  # the day goes on without the console; the log says why
            self.say(f"callnext demo: the staff console did not start ({err}); "
                     f"see {self.folder / 'logs' / 'web.log'}")

    def _start(self) -> None:
        port = free_port()
        path = console_hall(self.config, self.folder, self.endpoints, port)
        logs = self.folder / "logs"
        logs.mkdir(exist_ok=True)
        with self._lock:
            if self._stopped.is_set():
                return
            self._child = child = spawn(
                "web", [sys.executable, "-m", "callnext", "--log-level", "WARNING", "web",
                        "--config", str(path), "--keys", str(self.keys)], logs / "web.log")
        add_demo_staff(self.endpoints["commands"], self.keys)
        url = f"http://127.0.0.1:{port}/"
        if console_ready(url, child, self._stopped.is_set):
            self.say(console_lines(url, path, self.keys, self.folder))
        elif not self._stopped.is_set():
            self.say(f"callnext demo: the staff console did not start; see {logs / 'web.log'}")
