"""callnext on the Pi's architecture: the wheel in an arm64 Debian root, run under qemu-user.

The root is the one the appliance image is built from (Debian bookworm arm64, Python 3.11,
/opt/callnext/venv with pip's aarch64 wheels of pyzmq and pydantic), cached between runs
(tests/image/arm64_root.py). Inside it, under emulation: ``callnext check-config`` on the
example hall, and a broker on loopback that the x86 side drives with the protocol client
through a short scripted day (the demo's visitors and clerks), then checks its snapshot.
Skipped, saying why, only where arm64 binaries cannot run (no binfmt_misc / qemu-user).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from arm64_root import ROOT, EmulationUnavailable, arm64_root, check_emulation, in_root
from callnext.demo import start_broker, stop_broker
from callnext.demo_script import ScriptedDay
from config.load import load_hall
from protocol.client import RequestClient

pytestmark = pytest.mark.image

CONFIG = ROOT / "config" / "hall.example.toml"
CLOCK = "2026-11-25T08:55"
"""Five minutes before a Wednesday's opening in the example hall (hall-local)."""
SPEED = 120.0
"""Hall seconds per real second: the 20 hall minutes of the day in 10 s."""
MINUTES = 20
READY_TIMEOUT_S = 120.0
"""Python, pydantic and pyzmq start in seconds natively and in tens of seconds under qemu."""


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The arm64 root with this tree's wheel in /opt/callnext/venv."""
    try:
        check_emulation()
    except EmulationUnavailable as why:
        pytest.skip(f"arm64 emulation cannot run here: {why}")
    dist = tmp_path_factory.mktemp("image-wheel")
    built = subprocess.run(["sh", str(ROOT / "scripts" / "build-wheel.sh"), str(dist),
                            "--no-build-isolation"], env={**os.environ, "PYTHON": sys.executable},
                           capture_output=True, text=True, timeout=300, check=True)
    with arm64_root(Path(built.stdout.strip().splitlines()[-1])) as path:
        yield path


@pytest.fixture
def work(root: Path) -> Iterator[tuple[Path, str]]:
    """A fresh folder inside the root (host path, path seen inside), with the example hall."""
    inside = f"/tmp/test-{os.getpid()}-{time.monotonic_ns()}"
    host = root / inside.lstrip("/")
    host.mkdir(parents=True)
    shutil.copy(CONFIG, host / "hall.toml")
    yield host, inside
    shutil.rmtree(host, ignore_errors=True)


def test_the_root_is_arm64_debian_python_311(root: Path) -> None:
    done = subprocess.run(in_root(root, "/opt/callnext/venv/bin/python", "-c",
                                  "import platform, sys, zmq; print(platform.machine(), "
                                  "sys.version_info[:2], zmq.has('curve'))"),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["aarch64", "(3,", "11)", "True"]
    packages = (root / "usr" / "share" / "callnext" / "packages.txt").read_text(encoding="utf-8")
    assert any(line.startswith("python3.11\t") for line in packages.splitlines())


def test_check_config_passes_the_example_hall_under_emulation(
        root: Path, work: tuple[Path, str]) -> None:
    inside = f"{work[1]}/hall.toml"
    done = subprocess.run(in_root(root, "/opt/callnext/venv/bin/callnext", "check-config",
                                  inside), capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith(f"OK: {inside}")


def test_an_emulated_broker_serves_a_scripted_day_to_the_x86_protocol_client(
        root: Path, work: tuple[Path, str]) -> None:
    hall = load_hall(str(CONFIG))
    process, endpoints = start_broker(
        f"{work[1]}/hall.toml", Path(f"{work[1]}/data"), clock_start=CLOCK, speed=SPEED,
        launcher=in_root(root, "/opt/callnext/venv/bin/callnext"),
        ready_timeout_s=READY_TIMEOUT_S)
    try:
        with RequestClient(endpoints["commands"], "image-test", timeout_ms=5000) as client:
            start = client.request("snapshot", {})["now"]
            began = time.monotonic()
            script = ScriptedDay(hall, client, start, seed=19, log=lambda line: None)
            script.plan(minutes=MINUTES)
            for _ in range(5000):  # bounded: MINUTES hall minutes at SPEED take about 10 s
                now = start + (time.monotonic() - began) * SPEED
                if now > start + MINUTES * 60:
                    break
                script.advance(now)
                time.sleep(0.02)
            last = client.request("issue_ticket", {"service": "general"})["ticket"]
            snapshot = client.request("snapshot", {})
        assert process.poll() is None, "the emulated broker exited during the day"
    finally:
        exit_code = stop_broker(process)
    assert script.issued > 0, "the scripted day issued no ticket"
    assert last in snapshot["view"]["services"]["general"]["next"]
    serving = [c["serving"] for c in snapshot["view"]["counters"].values() if c["serving"]]
    assert serving, "no counter called anyone during the day"
    assert exit_code == 0
    assert (work[0] / "data" / "journal.sqlite3").is_file()
