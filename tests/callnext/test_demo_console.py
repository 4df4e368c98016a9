"""``callnext demo --headless`` runs the staff console beside the day: its printed address
answers while the day plays, the printed demo manager signs in, the printed status line
reaches the demo's broker, and the console stops with the demo."""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("uvicorn")  # the console needs the web extra

pytestmark = pytest.mark.e2e

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")
URL = re.compile(r"staff console / 工作人员控制台 (http://127\.0\.0\.1:\d+/)")
MANAGER = re.compile(r"manager / 大厅经理 (\d+) / PIN (\d+)")
STATUS = re.compile(r"status: callnext (status --config \S+ --keys \S+)")


def _lines(stream: object, found: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        found.put(line)


def _until(found: queue.Queue[str], pattern: re.Pattern[str], limit_s: float) -> re.Match[str]:
    deadline = time.monotonic() + limit_s
    seen: list[str] = []
    while time.monotonic() < deadline:
        try:
            line = found.get(timeout=0.5)
        except queue.Empty:
            continue
        seen.append(line)
        match = pattern.search(line)
        if match:
            return match
    raise AssertionError("not printed: " + pattern.pattern + "\n" + "".join(seen[-40:]))


def _login(url: str, staff: str, pin: str) -> int:
    request = urllib.request.Request(
        f"{url}api/login", data=json.dumps({"staff": staff, "pin": pin}).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(answer.status)


def test_the_headless_demo_serves_the_console_and_stops_it(tmp_path: Path) -> None:
    # Long enough that the console is up well before the day ends; SIGTERM ends it.
    demo = subprocess.Popen(
        [sys.executable, "-m", "callnext", "--log-level", "WARNING", "demo", "--headless",
         "--config", CONFIG, "--minutes", "480", "--speed", "60", "--out", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    found: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(demo.stdout, found), daemon=True).start()
    try:
        url = _until(found, URL, 60).group(1)
        manager = _until(found, MANAGER, 5)
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert answer.status == 200
            assert "text/html" in answer.headers["Content-Type"]
        assert _login(url, manager.group(1), manager.group(2)) == 200
        # The printed status line reaches the demo's broker (its hall copy has the ports).
        status = subprocess.run([sys.executable, "-m", "callnext",
                                 *_until(found, STATUS, 5).group(1).split()],
                                capture_output=True, text=True, timeout=60, check=False)
        assert status.returncode == 0 and "工号 Staff" in status.stdout, status.stderr
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=60) == 130
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(timeout=10)
    with pytest.raises(urllib.error.URLError):  # nothing left listening
        urllib.request.urlopen(f"{url}healthz", timeout=5)
