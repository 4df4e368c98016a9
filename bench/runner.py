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
from bench.hall_bench import write_hall
from bench.replay_bench import all_day_hall, replay_in_fresh_process
from bench.scale_bench import (
    cache_dir,
    copy_journal,
    day_journal,
    quarter_journal,
    sqlite_floor,
    zmq_floor,
)
from bench.stats import summarize
from protocol.client import RequestClient

DEFAULT_CONFIG = Path(__file__).resolve().parents[1] / "config" / "hall.example.toml"


@dataclass(frozen=True)
class Counts:
    """How much work each benchmark does."""

    round_trips: int
    warmup: int
    throughput: int
    threads: int
    """Client processes of the concurrent burst (each its own RequestClient)."""
    event_samples: int
    day_events: int
    quarter_events: int = 0
    """Events of the quarter the broker starts on (0: not measured)."""
    floor_commits: int = 300
    """Single commits timed for SQLite's floor on the same disk."""
    few_clients: int = 4
    """A smaller concurrent burst beside ``threads`` clients (0: none), on the empty day."""


FULL = Counts(round_trips=3000, warmup=200, throughput=4000, threads=20, event_samples=1000,
              day_events=100_000, quarter_events=1_000_000, floor_commits=1000)
"""``make bench``: a few minutes on a 2-core machine; the first run also builds the day and
the quarter (minutes), cached for the next runs (``bench.scale_bench.cache_dir``)."""
QUICK = Counts(round_trips=60, warmup=10, throughput=40, threads=4, event_samples=20,
               day_events=1500, quarter_events=4000, floor_commits=50, few_clients=2)
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
        rate = measure_throughput(endpoints["commands"], counts.throughput, counts.threads,
                                  counts.few_clients)
        memory = read_memory(pid)
    return {"round_trip": round_trips, "event_latency": events, "throughput": rate,
            "memory": memory}


def run_day(config: Path, counts: Counts, data_dir: Path, cache: Path,
            say: Callable[[str], None] = _say) -> dict[str, Any]:
    """On a ``counts.day_events`` day (cached): the start in a fresh process, a broker's
    start, and the durable burst there (the day's tickets already in the state)."""
    hall = all_day_hall(config)
    source, build = day_journal(hall, counts.day_events, cache, say)
    path = copy_journal(source, data_dir)
    say(f"a {build['events']}-event day ({build['tickets']} tickets): start in a fresh process")
    replay = replay_in_fresh_process(hall, path)
    say("starting a broker on the day's journal")
    hall_file = write_hall(hall, data_dir.parent)
    began = time.perf_counter()
    # The broker's clock starts where the day ended, so no day roll-over expires it.
    with running_broker(hall_file, data_dir, clock_start=build["last_local"]) as (pid,
                                                                                  endpoints):
        ready_s = time.perf_counter() - began
        memory = read_memory(pid)
        with RequestClient(endpoints["commands"], "bench-day", timeout_ms=5000) as client:
            seq = int(client.request("snapshot", {})["seq"])
            samples = []
            for _ in range(min(200, counts.round_trips)):
                t0 = time.perf_counter()
                client.request("snapshot", {})
                samples.append(time.perf_counter() - t0)
        say("the same durable burst on the loaded day")
        loaded = measure_throughput(endpoints["commands"], counts.throughput, counts.threads)
    return {"build": build, "replay": replay, "loaded": loaded,
            "broker": {"ready_s": round(ready_s, 3), "seq": seq, "memory": memory,
                       "snapshot": summarize(samples)}}


def run_quarter(config: Path, counts: Counts, day_source: Path, data_dir: Path, cache: Path,
                say: Callable[[str], None] = _say) -> dict[str, Any]:
    """A broker's start on a ``counts.quarter_events`` journal (cached), ready line timed."""
    hall = all_day_hall(config)
    source, last_at = quarter_journal(hall, counts.quarter_events, day_source, cache, say)
    path = copy_journal(source, data_dir)
    hall_file = write_hall(hall, data_dir.parent)
    clock_start = datetime.fromtimestamp(last_at, hall.hours.zone()).replace(
        tzinfo=None).isoformat(timespec="seconds")
    say(f"starting a broker on the {counts.quarter_events}-event quarter")
    began = time.perf_counter()
    with running_broker(hall_file, data_dir, clock_start=clock_start) as (pid, endpoints):
        ready_s = time.perf_counter() - began
        memory = read_memory(pid)
        with RequestClient(endpoints["commands"], "bench-quarter", timeout_ms=5000) as client:
            seq = int(client.request("snapshot", {})["seq"])
    return {"events": counts.quarter_events, "ready_s": round(ready_s, 3), "seq": seq,
            "memory": memory, "journal_bytes": path.stat().st_size}


def run_floors(counts: Counts, data_dir: Path,
               say: Callable[[str], None] = _say) -> dict[str, Any]:
    """What the machine itself allows: SQLite commits on this disk, ZeroMQ on loopback."""
    say("floors: SQLite single commits on this disk, a bare ZeroMQ round trip")
    sqlite = sqlite_floor(data_dir, counts.floor_commits)
    rtt = zmq_floor(counts.round_trips)
    return {"sqlite": sqlite, "zmq_rtt": rtt,
            "round_trip_floor_p99_ms": round(rtt["p99_ms"] + sqlite["commit"]["p99_ms"], 3)}


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
        # Tests keep their journals to themselves; ``python -m bench`` reuses the cache.
        cache = cache_dir() if work_dir is None else Path(tmp) / "cache"
        floors = run_floors(counts, Path(tmp) / "floor", say)
        live = run_live(config, counts, Path(tmp) / "live", say)
        day = run_day(config, counts, Path(tmp) / "day" / "data", cache, say)
        quarter = None if not counts.quarter_events else run_quarter(
            config, counts, day_journal(all_day_hall(config), counts.day_events, cache, say)[0],
            Path(tmp) / "quarter" / "data", cache, say)
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
        "floors": floors,
        "day": day,
        "quarter": quarter,
    }
