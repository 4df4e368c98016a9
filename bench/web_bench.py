"""The staff console: a clerk's click → the broker's ack → the SSE event on every open page.

A real broker process and a real ``callnext web`` process (uvicorn) on loopback; 50 console
pages hold ``GET /api/events`` open (one asyncio stream each, stamping every frame with
``time.perf_counter`` as its line arrives); a clerk's ``POST /api/counters/1/call_next``
is stamped before it is sent. For each call, each page's latency is the arrival of the first
view frame whose counter serves the called ticket, minus the click. Compare with
``polling`` (a page polling every 2 s is on average 1 s stale).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

import httpx
import tomli_w

from bench.broker_bench import running_broker
from bench.runner import DEFAULT_CONFIG
from bench.stats import latency_rows, summarize
from foundation.pins import hash_pin
from protocol.client import RequestClient

PAGES_FULL, CALLS_FULL = 50, 200
PAGES_QUICK, CALLS_QUICK = 5, 5
CLERK, MANAGER, PIN = "1024", "9001", "2468"
CLICK_EVERY_S = 0.1
"""A click every 100 ms: a busy hall (50 counters, each calling every 5 s) and within the
broker's rate limit for one node (20 requests/s, ``[security] rate_per_second``), which the
console's clerks share."""
WAIT_S = 5.0
"""Longest wait for one call to reach every page (a miss is counted, not waited for)."""


def free_port() -> int:
    """A TCP port free on loopback now (for a process that takes a fixed port)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def hall_file(folder: Path, endpoints: dict[str, str], port: int) -> Path:
    """The example hall pointed at the bench broker, its console on ``port``."""
    data: dict[str, Any] = tomllib.loads(Path(DEFAULT_CONFIG).read_text(encoding="utf-8"))
    data["broker"].update({"host": "127.0.0.1",
                           "command_port": int(endpoints["commands"].rsplit(":", 1)[1]),
                           "event_port": int(endpoints["events"].rsplit(":", 1)[1])})
    data["web"] = {"bind": "127.0.0.1", "port": port, "staff_networks": []}
    path = folder / "hall.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def _prepare(endpoints: dict[str, str], tickets: int) -> None:
    # The admin: a kiosk may send only 20 requests a second.
    with RequestClient(endpoints["commands"], "admin") as admin:
        for staff, role in ((CLERK, "clerk"), (MANAGER, "manager")):
            admin.request("staff_add", {"id": staff, "name": "测试", "role": role,
                                        "pin_hash": hash_pin(PIN)})
        for _ in range(tickets):
            admin.request("issue_ticket", {"service": "reimburse"})


async def _page(url: str, cookie: str, seen: list[dict[str, float]],
                ready: asyncio.Event, count: list[int]) -> None:
    """One open console page: stamps each ``"serving":"X"`` it sees for the first time.

    A bare asyncio stream, not an HTTP client library: 50 pages read by one Python process
    must cost about what 50 browser tabs cost the console's machine (nothing), or the bench
    would measure its own reading.
    """
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port), limit=1 << 20)
    writer.write(f"GET /api/events HTTP/1.1\r\nHost: {host}:{port}\r\n"
                 f"Cookie: callnext_session={cookie}\r\nAccept: text/event-stream\r\n\r\n"
                 .encode())
    mine: dict[str, float] = {}
    seen.append(mine)
    try:
        while line := await reader.readline():
            now = time.perf_counter()
            if not line.startswith(b"data: "):
                continue
            if not ready.is_set():
                count[0] += 1  # pages that got their first view
                if count[0] >= count[1]:
                    ready.set()
            start = 0
            while (start := line.find(b'"serving":"', start)) >= 0:
                ticket = line[start + 11:line.index(b'"', start + 11)].decode()
                mine.setdefault(ticket, now)
                start += 11
    finally:
        writer.close()


async def _drive(url: str, pages: int, calls: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=10) as clerk, \
            httpx.AsyncClient(base_url=url, timeout=10) as manager:
        csrf = (await clerk.post("/api/login", json={"staff": CLERK, "pin": PIN,
                                                     "counter": 1})).json()["csrf"]
        await manager.post("/api/login", json={"staff": MANAGER, "pin": PIN})
        cookie = str(manager.cookies["callnext_session"])
        seen: list[dict[str, float]] = []
        ready, count = asyncio.Event(), [0, pages]
        readers = [asyncio.create_task(_page(url, cookie, seen, ready, count))
                   for _ in range(pages)]
        await asyncio.wait_for(ready.wait(), 20)
        latencies: list[float] = []
        fanout: list[float] = []
        acks: list[float] = []
        missed = 0
        for _ in range(calls):
            await asyncio.sleep(CLICK_EVERY_S)
            clicked = time.perf_counter()
            answer = await clerk.post("/api/counters/1/call_next", json={},
                                      headers={"X-CSRF-Token": csrf})
            acked = time.perf_counter()
            acks.append(acked - clicked)
            if answer.status_code != 200:
                raise RuntimeError(f"call_next refused: {answer.status_code} {answer.text}")
            ticket = answer.json()["result"]["ticket"]
            deadline = time.perf_counter() + WAIT_S
            while any(ticket not in page for page in seen) and time.perf_counter() < deadline:
                await asyncio.sleep(0.001)
            arrived = [page[ticket] - clicked for page in seen if ticket in page]
            missed += pages - len(arrived)
            latencies += arrived
            fanout += [page[ticket] - acked for page in seen if ticket in page]
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
    return {"latency": summarize(latencies), "ack": summarize(acks),
            "fanout": summarize(fanout), "missed": missed,
            "pages": pages, "calls": calls}


def measure(pages: int, calls: int) -> dict[str, Any]:
    """Run the broker and ``callnext web`` as processes and drive ``calls`` clicks."""
    with tempfile.TemporaryDirectory(prefix="web-bench-") as tmp:
        folder = Path(tmp)
        with running_broker(DEFAULT_CONFIG, folder / "data") as (_pid, endpoints):
            _prepare(endpoints, calls + 5)
            port = free_port()
            config = hall_file(folder, endpoints, port)
            web = subprocess.Popen([sys.executable, "-m", "callnext", "--log-level", "WARNING",
                                    "web", "--config", str(config), "--insecure"])
            try:
                url = f"http://127.0.0.1:{port}"
                await_healthy(url)
                return asyncio.run(_drive(url, pages, calls))
            finally:
                web.terminate()
                try:
                    web.wait(10)
                except subprocess.TimeoutExpired:
                    web.kill()
                    web.wait(5)


def await_healthy(url: str, limit_s: float = 20.0) -> None:
    """Wait until the console at ``url`` answers ``/healthz`` with its broker link up."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).json().get("broker"):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("callnext web did not become healthy in time")


def run(quick: bool) -> list[dict[str, Any]]:
    """The console's click → ack → SSE figures (``--quick``: 5 pages, 5 calls)."""
    pages, calls = (PAGES_QUICK, CALLS_QUICK) if quick else (PAGES_FULL, CALLS_FULL)
    load = os.getloadavg()[0]
    found = measure(pages, calls)
    setup = (f"{found['calls']} call_next clicks, {found['pages']} open pages, broker and "
             f"callnext web as processes on loopback; load average {load:.1f} before the run")
    return [*latency_rows("console click → ack", found["ack"], setup),
            *latency_rows("console click → SSE on every page", found["latency"],
                          f"{setup}; {found['missed']} page-events missed (waited "
                          f"{WAIT_S:g} s); polling every 2 s: ~1000 ms mean, see 'polling'"),
            *latency_rows("console ack → SSE on every page", found["fanout"],
                          f"{setup}; the console's own share (may dip below 0: the broker "
                          f"publishes while the reply travels)")]
