"""Run every broker benchmark in order and collect the figures in one JSON-ready dict."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.broker_bench import (
    measure_event_latency,
    measure_round_trips,
    measure_throughput,
    read_memory,
    running_broker,
)
from bench.replay_bench import all_day_hall, build_journal, replay_in_fresh_process
from bench.stats import summarize
from broker.journal import JOURNAL_NAME
from protocol.client import RequestClient

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "config" / "hall.example.toml"


@dataclass(frozen=True)
class Counts:
    """How much work each benchmark does."""

    round_trips: int
    warmup: int
    throughput: int
    threads: int
    event_samples: int
    day_events: int


FULL = Counts(round_trips=3000, warmup=200, throughput=2000, threads=4, event_samples=1000,
              day_events=100_000)
"""``make bench``: about a minute on an idle 2-core machine, most of it building the day."""
QUICK = Counts(round_trips=60, warmup=10, throughput=40, threads=4, event_samples=20,
               day_events=1500)
"""``--quick``: seconds; the figures are only a smoke test of the machinery."""


def _say(message: str) -> None:
    """Progress on stderr, so stdout holds only the table."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def run_live(config: Path, counts: Counts, data_dir: Path,
             say: Callable[[str], None] = _say) -> dict[str, Any]:
    """Round trips, event latency, durable throughput and memory of one broker process.

    Event latency runs before the throughput runs, which leave thousands of
    tickets waiting; the memory figure is read last, after all of them.
    """
    with running_broker(config, data_dir) as (pid, endpoints):
        say(f"broker pid {pid} on {endpoints['commands']}: round trips")
        round_trips = measure_round_trips(endpoints["commands"], counts.round_trips,
                                          counts.warmup)
        say("event latency")
        events = measure_event_latency(endpoints["commands"], endpoints["events"],
                                       counts.event_samples)
        say("durable throughput")
        rate = measure_throughput(endpoints["commands"], counts.throughput, counts.threads)
        memory = read_memory(pid)
    return {"round_trip": round_trips, "event_latency": events, "throughput": rate,
            "memory": memory}


def run_day(config: Path, counts: Counts, data_dir: Path,
            say: Callable[[str], None] = _say) -> dict[str, Any]:
    """Build a ``counts.day_events`` journal, time its replay, then start a broker on it."""
    hall = all_day_hall(config)
    path = data_dir / JOURNAL_NAME
    say(f"building a {counts.day_events}-event day in-process (the longest step)")
    build = build_journal(hall, path, counts.day_events)
    say(f"built {build['events']} events in {build['seconds']} s; replaying in a fresh process")
    replay = replay_in_fresh_process(hall, path)
    say("starting a broker on the day's journal")
    began = time.perf_counter()
    # The broker's clock starts where the day ended, so no day roll-over expires it.
    with running_broker(config, data_dir, clock_start=build["last_local"]) as (pid, endpoints):
        ready_s = time.perf_counter() - began
        memory = read_memory(pid)
        with RequestClient(endpoints["commands"], "bench-day", timeout_ms=5000) as client:
            seq = int(client.request("snapshot", {})["seq"])
            samples = []
            for _ in range(min(200, counts.round_trips)):
                t0 = time.perf_counter()
                client.request("snapshot", {})
                samples.append(time.perf_counter() - t0)
    return {"build": build, "replay": replay,
            "broker": {"ready_s": round(ready_s, 3), "seq": seq, "memory": memory,
                       "snapshot": summarize(samples)}}


def run_all(config: Path = DEFAULT_CONFIG, counts: Counts = FULL, *, quick: bool = False,
            work_dir: Path | None = None,
            say: Callable[[str], None] = _say) -> dict[str, Any]:
    """Every figure, with the conditions they were measured under.

    Args:
        config: the hall TOML the brokers run on (its hours are widened for the day build).
        counts: how much work each benchmark does.
        quick: recorded in the output, so quick figures are never mistaken for real ones.
        work_dir: where journals go (default: a temporary folder, removed afterwards).
        say: progress reporter.
    """
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="callnext-bench-", dir=work_dir) as tmp:
        live = run_live(config, counts, Path(tmp) / "live", say)
        day = run_day(config, counts, Path(tmp) / "day", say)
    return {
        "meta": {
            "quick": quick,
            "counts": asdict(counts),
            "config": str(config),
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - began, 1),
        },
        **live,
        "day": day,
    }
