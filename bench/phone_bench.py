"""The visitor's phone pages: one call → every open phone page of that line updated.

A real broker process and a real ``callnext web`` process on loopback; 500 phone pages
(``GET /t/<token>/events``, one asyncio task each, 500 different tickets of one line) stamp
each ``ticket`` frame with ``time.perf_counter`` as it arrives. A call of the line's head
(``call_ticket`` by the admin, stamped before it is sent) moves every page's ``ahead``: each
page's delay is its first frame after the call minus the call. Reported: p50/p99 of the
per-page delay, the last page's, and the web node's RSS with the pages open.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from bench.broker_bench import read_memory, running_broker
from bench.runner import DEFAULT_CONFIG
from bench.stats import latency_rows, summarize
from bench.web_bench import free_port, hall_file, running_console
from protocol.client import RequestClient

PAGES_FULL, CALLS_FULL = 500, 3
PAGES_QUICK, CALLS_QUICK = 20, 1
SERVICE = "general"
WAIT_S = 10.0
"""Longest wait for one call to reach every page (a miss is counted, not waited for)."""


def _broker_hall(folder: Path) -> Path:
    """The example hall with room for the bench's bursts (the web node asks 500 tokens)."""
    data: dict[str, Any] = tomllib.loads(Path(DEFAULT_CONFIG).read_text(encoding="utf-8"))
    data.setdefault("security", {}).update({"web_rate_per_second": 10000.0,
                                            "web_rate_burst": 100000})
    path = folder / "broker.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def _web_hall(folder: Path, endpoints: dict[str, str], port: int) -> Path:
    """The console's hall file: every page from one address, so no per-address limit."""
    path = hall_file(folder, endpoints, port)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["web"].update({"visitor_rate_per_second": 10000.0, "visitor_burst": 100000,
                        "visitor_lookups_per_second": 10000.0})
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def _issue(endpoints: dict[str, str], count: int) -> list[dict[str, Any]]:
    with RequestClient(endpoints["commands"], "admin") as admin:
        return [admin.request("issue_ticket", {"service": SERVICE}) for _ in range(count)]


async def _page(url: str, token: str, frames: list[float], opened: list[int]) -> None:
    """One phone page: stamps every ``ticket`` frame it receives.

    A bare asyncio stream, as in the ``web`` section: 500 pages read by one Python process
    through an HTTP client library would measure the bench's own reading.
    """
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port), limit=1 << 20)
    writer.write(f"GET /t/{token}/events HTTP/1.1\r\nHost: {host}:{port}\r\n"
                 f"Accept: text/event-stream\r\n\r\n".encode())
    try:
        while line := await reader.readline():
            if line.startswith(b"data: "):
                if not frames:
                    opened[0] += 1
                frames.append(time.perf_counter())
    finally:
        writer.close()


def _call(endpoints: dict[str, str], ticket: str) -> float:
    """Call ``ticket`` to counter 1; the ``perf_counter`` just before the request is sent."""
    with RequestClient(endpoints["commands"], "admin") as admin:
        clicked = time.perf_counter()
        admin.request("call_ticket", {"counter": 1, "ticket": ticket, "reason": "bench"})
    return clicked


async def _drive(url: str, endpoints: dict[str, str], tickets: list[dict[str, Any]],
                 calls: int, pid: int) -> dict[str, Any]:
    heads, followed = tickets[:calls], tickets[calls:]
    stamps: list[list[float]] = [[] for _ in followed]
    opened = [0]
    readers = [asyncio.create_task(_page(url, t["track"], stamps[i], opened))
               for i, t in enumerate(followed)]
    deadline = time.perf_counter() + 60
    while opened[0] < len(followed) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    memory = read_memory(pid)
    delays, last, missed = [], [], 0
    for head in heads:
        before = [len(s) for s in stamps]
        clicked = await asyncio.to_thread(_call, endpoints, head["ticket"])
        limit = time.perf_counter() + WAIT_S
        while any(len(s) <= n for s, n in zip(stamps, before)) \
                and time.perf_counter() < limit:
            await asyncio.sleep(0.002)
        arrived = [s[n] - clicked for s, n in zip(stamps, before) if len(s) > n]
        missed += len(followed) - len(arrived)
        delays += arrived
        if arrived:
            last.append(max(arrived))
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    return {"delay": summarize(delays), "last_ms": [round(x * 1000, 1) for x in last],
            "missed": missed, "pages": len(followed), "opened": opened[0],
            "rss_kib": memory["rss_kib"], "calls": len(heads)}


def measure(pages: int, calls: int) -> dict[str, Any]:
    """Run the broker and ``callnext web`` as processes; ``calls`` calls with ``pages`` open."""
    with tempfile.TemporaryDirectory(prefix="phone-bench-") as tmp:
        folder = Path(tmp)
        with running_broker(_broker_hall(folder), folder / "data") as (_pid, endpoints):
            tickets = _issue(endpoints, calls + pages)
            port = free_port()
            with running_console(_web_hall(folder, endpoints, port), port) as (url, pid):
                return asyncio.run(_drive(url, endpoints, tickets, calls, pid))


def run(quick: bool) -> list[dict[str, Any]]:
    """One call → every open phone page (``--quick``: 20 pages, 1 call)."""
    pages, calls = (PAGES_QUICK, CALLS_QUICK) if quick else (PAGES_FULL, CALLS_FULL)
    load = os.getloadavg()[0]
    found = measure(pages, calls)
    setup = (f"{found['calls']} call(s) of the line's head, {found['pages']} phone pages of "
             f"that line open ({found['opened']} streaming), broker and callnext web as "
             f"processes on loopback; load average {load:.1f} before the run")
    return [*latency_rows("phone pages: call → update, per page", found["delay"],
                          f"{setup}; {found['missed']} page-updates missed (waited "
                          f"{WAIT_S:g} s)"),
            {"figure": "phone pages: call → last page updated", "unit": "ms",
             "value": max(found["last_ms"]) if found["last_ms"] else None,
             "how": f"{setup}; the slowest call's last page (each call: "
                    f"{json.dumps(found['last_ms'])} ms)"},
            {"figure": f"web node RSS with {found['pages']} phone pages open", "unit": "MiB",
             "value": round(found["rss_kib"] / 1024, 1),
             "how": f"VmRSS of the callnext web process; {setup}"}]
