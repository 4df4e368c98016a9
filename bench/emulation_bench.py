"""The broker on the Pi's architecture under qemu-user beside the native one (``--only emulation``).

Uses the arm64 root tests/image builds and caches (``~/.cache/callnext/arm64-root-*``, the newest
holding /opt/callnext/venv) only when the callnext installed there is this source tree, file for
file by the hashes of its wheel's RECORD (run ``pytest tests/image`` first): a root left by an
older checkout would run an older broker, which may refuse today's hall file. Reports the time from starting the emulated broker to its ready
line, and the round trip of ``issue_ticket`` (journalled) and ``snapshot`` natively and under
emulation, with their ratio: under QEMU absolute numbers say little about a real Pi, the ratio
says how much the emulation itself costs. Needs root (chroot); without a root the section says
so and measures nothing.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.broker_bench import CLOCK_START
from bench.stats import summarize
from callnext.demo import start_broker, stop_broker
from protocol.client import RequestClient

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "config" / "hall.example.toml"
IN_ROOT = REPO / "scripts" / "image" / "in-root.sh"
READY_TIMEOUT_S = 180.0


def installed_matches_source(root: Path, source: Path = REPO) -> bool:
    """Whether every file of the callnext wheel installed in ``root`` equals ``source``'s copy.

    Compares the sha256 of each RECORD line (the wheel's own manifest) with the file of the
    same relative path in the source tree; a file the tree lacks, or a different hash, is a
    different build. Scripts and bytecode (no path in the tree, no hash) are skipped.
    """
    records = sorted(root.glob("opt/callnext/venv/lib/python3*/site-packages/"
                               "callnext-*.dist-info/RECORD"))
    if len(records) != 1:
        return False
    compared = 0
    for line in records[0].read_text(encoding="utf-8").splitlines():
        path, _, rest = line.partition(",")
        digest = rest.partition(",")[0]
        if not digest.startswith("sha256=") or path.startswith("..") or ".dist-info/" in path:
            continue
        mine = source / path
        if not mine.is_file():
            return False
        encoded = base64.urlsafe_b64encode(hashlib.sha256(mine.read_bytes()).digest())
        if encoded.rstrip(b"=").decode("ascii") != digest.removeprefix("sha256="):
            return False
        compared += 1
    return compared > 0


def _cached_root() -> Path | None:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "callnext"
    roots = [p for p in base.glob("arm64-root-*")
             if (p / "opt" / "callnext" / "venv" / "bin" / "callnext").exists()
             and installed_matches_source(p)]
    return max(roots, key=lambda p: p.stat().st_mtime) if roots else None


def _round_trips(endpoint: str, count: int) -> dict[str, float]:
    """Median milliseconds of issue_ticket and snapshot, after a short warm-up."""
    samples: dict[str, list[float]] = {"issue_ticket": [], "snapshot": []}
    with RequestClient(endpoint, "bench-emulation", timeout_ms=10_000) as client:
        for index in range(count + 5):
            for op, args in (("issue_ticket", {"service": "general"}), ("snapshot", {})):
                began = time.perf_counter()
                client.request(op, args)
                if index >= 5:
                    samples[op].append(time.perf_counter() - began)
    return {op: float(summarize(values)["p50_ms"]) for op, values in samples.items()}


def _row(figure: str, value: float | str, unit: str, how: str) -> dict[str, Any]:
    return {"figure": figure, "value": value, "unit": unit, "how": how}


def run(quick: bool) -> list[dict[str, Any]]:
    """Native versus emulated broker round trips (20 or 200 of each op) as table rows."""
    root = _cached_root()
    if root is None or os.geteuid() != 0:
        return [_row("emulated broker", "not measured", "",
                     "needs root and an arm64 root of tests/image holding this source tree's "
                     "callnext (run pytest tests/image first)")]
    count = 20 if quick else 200
    inside = f"/tmp/bench-{os.getpid()}"
    host = root / inside.lstrip("/")
    host.mkdir(parents=True)
    shutil.copy(CONFIG, host / "hall.toml")
    try:
        began = time.perf_counter()
        process, emulated_endpoints = start_broker(
            f"{inside}/hall.toml", Path(f"{inside}/data"), clock_start=CLOCK_START,
            launcher=["sh", str(IN_ROOT), str(root), "/opt/callnext/venv/bin/callnext"],
            ready_timeout_s=READY_TIMEOUT_S)
        ready_s = time.perf_counter() - began
        try:
            emulated = _round_trips(emulated_endpoints["commands"], count)
        finally:
            stop_broker(process)
        with tempfile.TemporaryDirectory() as data:
            native_process, endpoints = start_broker(str(CONFIG), Path(data),
                                                     clock_start=CLOCK_START)
            try:
                native = _round_trips(endpoints["commands"], count)
            finally:
                stop_broker(native_process)
    finally:
        shutil.rmtree(host, ignore_errors=True)
    rows = [_row("emulated broker start to ready", ready_s, "s",
                 "arm64 root under qemu-user, chroot, from exec to the ready line")]
    for op in ("issue_ticket", "snapshot"):
        rows += [_row(f"{op} round trip, native p50", native[op], "ms", f"{count} requests"),
                 _row(f"{op} round trip, arm64 qemu p50", emulated[op], "ms", f"{count} requests"),
                 _row(f"{op} emulated / native", emulated[op] / native[op], "x", "ratio of p50s")]
    return rows
