"""Smoke test of ``python -m bench``: tiny counts, structure only, never a timing threshold.

Timings depend on the machine and its load; a benchmark test that asserts
them fails for reasons unrelated to the code, so only the shape of the
results and the counts are checked here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import bench.__main__ as bench_main
from bench.replay_bench import all_day_hall, build_journal
from bench.report import format_table, rows
from bench.runner import DEFAULT_CONFIG, Counts, run_all
from bench.stats import percentile, summarize, throughput

TINY = Counts(round_trips=20, warmup=2, throughput=14, threads=3, event_samples=10,
              day_events=300, quarter_events=700, floor_commits=10, few_clients=2)
PERCENTILE_KEYS = ("p50_ms", "p90_ms", "p99_ms", "max_ms")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One tiny run of every benchmark, shared by the structure checks below."""
    work = tmp_path_factory.mktemp("bench")
    return run_all(DEFAULT_CONFIG, TINY, quick=True, work_dir=work, say=lambda _m: None)


def assert_ordered(summary: dict[str, Any], count: int) -> None:
    """A latency summary with the right count and non-decreasing percentiles."""
    assert summary["count"] == count
    values = [summary[key] for key in PERCENTILE_KEYS]
    assert values == sorted(values)
    assert values[0] >= 0.0


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_summarize_and_throughput_shapes() -> None:
    summary = summarize([0.003, 0.001, 0.002])
    assert summary["count"] == 3
    assert summary["p50_ms"] == 2.0 and summary["max_ms"] == 3.0
    rate = throughput(10, 2.0, threads=2)
    assert rate == {"count": 10, "threads": 2, "seconds": 2.0, "ops_per_s": 5.0}
    assert json.dumps(throughput(1, 0.0))  # no infinity in JSON


@pytest.mark.e2e
def test_round_trips(results: dict[str, Any]) -> None:
    rt = results["round_trip"]
    assert_ordered(rt["durable"], TINY.round_trips)
    assert_ordered(rt["snapshot"], TINY.round_trips)
    assert set(rt["durable_by_op"]) == {"issue_ticket", "call_next"}
    assert sum(s["count"] for s in rt["durable_by_op"].values()) == TINY.round_trips


@pytest.mark.e2e
def test_throughput(results: dict[str, Any]) -> None:
    tp = results["throughput"]
    assert tp["sequential"]["count"] == TINY.throughput and tp["sequential"]["threads"] == 1
    assert tp["concurrent"]["count"] == TINY.throughput
    assert tp["concurrent"]["threads"] == TINY.threads
    assert tp["sequential"]["ops_per_s"] > 0 and tp["concurrent"]["ops_per_s"] > 0
    assert [run["threads"] for run in tp["by_clients"]] == [1, TINY.few_clients, TINY.threads]
    assert all(run["count"] == TINY.throughput for run in tp["by_clients"])


@pytest.mark.e2e
def test_event_latency(results: dict[str, Any]) -> None:
    ev = results["event_latency"]
    assert ev["event"]["count"] + ev["lost"] == TINY.event_samples
    assert ev["event"]["count"] == ev["reply"]["count"]
    assert_ordered(ev["event"], ev["event"]["count"])


@pytest.mark.e2e
def test_day_replay_and_memory(results: dict[str, Any]) -> None:
    day = results["day"]
    build, replay, broker = day["build"], day["replay"], day["broker"]
    assert build["events"] >= TINY.day_events
    assert build["first_local"][:10] == build["last_local"][:10]  # one hall-local day
    assert build["file_bytes"] > 0
    assert replay["events"] == build["events"] == broker["seq"]
    assert replay["tickets"] == build["tickets"]
    assert replay["seconds"] >= 0 and replay["events_per_s"] > 0
    assert_ordered(broker["snapshot"], min(200, TINY.round_trips))
    for memory in (results["memory"], broker["memory"]):
        assert 0 < memory["rss_kib"] <= memory["peak_rss_kib"]


def test_scale_figures_have_their_floors(results: dict[str, Any]) -> None:
    floors, day, quarter = results["floors"], results["day"], results["quarter"]
    assert floors["sqlite"]["commits_per_s"] > 0
    assert_ordered(floors["sqlite"]["commit"], TINY.floor_commits)
    assert_ordered(floors["zmq_rtt"], TINY.round_trips)
    assert day["loaded"]["concurrent"]["count"] == TINY.throughput
    # The quarter's broker started with every event: checkpoint plus tail.
    assert quarter["seq"] == TINY.quarter_events and quarter["ready_s"] > 0


@pytest.mark.e2e
def test_table_and_json(results: dict[str, Any], tmp_path: Path,
                        monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str]) -> None:
    table = format_table(rows(results))
    assert table.splitlines()[0].startswith("figure")
    assert "event latency" in table and "replay of a day" in table
    assert "vs floor" in table and "700-event quarter" in table
    # Each burst beside the floor, the largest with issue 17's goal; clients are processes.
    for clients in ("1 client", "2 clients", "3 clients"):
        assert f"durable commands/s vs floor, {clients}" in table
    assert "3 clients" in next(line for line in table.splitlines()
                               if "goal >= 1.0 and >= 2000" in line)
    assert "3 client processes" in table
    # main() without measuring again: the fixture's results stand in for a run.
    monkeypatch.setattr(bench_main, "run_all", lambda *_a, **_k: results)
    out = tmp_path / "out" / "broker.json"
    assert bench_main.main(["--quick", "--out", str(out)]) == 0
    assert "round trip, durable commands" in capsys.readouterr().out
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["meta"]["quick"] is True
    assert {"round_trip", "throughput", "event_latency", "memory", "day"} <= set(written)


def test_build_journal_refuses_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"")
    with pytest.raises(FileExistsError):
        build_journal(all_day_hall(DEFAULT_CONFIG), path, 10)
