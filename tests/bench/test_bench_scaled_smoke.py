"""Smoke test of the scaled-hall and push-versus-polling benchmarks: tiny runs, structure only.

Timings depend on the machine and its load, so no figure is compared with a
threshold (not even push against polling); what is checked is that every row
is well formed, percentiles are ordered, the counts add up, and no display
lost an event on an idle loopback, where nothing should ever be lost.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench import hall_bench, polling_bench

TINY_HALL = hall_bench.HallParams(counters=6, services=3, mirrors=4, workers=2, kiosks=2,
                                  caller_threads=2, seconds=2.0, call_gap_s=1.5,
                                  arrivals_per_s=4.0, drain_s=8.0, ready_s=20.0)
"""About 8 calls and 8 tickets in 2 s; each node stays far below the broker's
per-node rate limit, and two worker processes still exercise the spread."""
TINY_POLL = polling_bench.PollParams(counters=4, seconds=2.0, poll_s=0.5, calls_per_s=4.0)
"""About 8 calls in 2 s, polled 4-5 times."""
ROW_KEYS = {"figure", "value", "unit", "how"}
PERCENTILE_KEYS = ("p50_ms", "p90_ms", "p99_ms", "max_ms")


def assert_rows(table: list[dict[str, Any]]) -> None:
    """Every row has exactly the four keys, typed as the bench table expects."""
    assert table
    for row in table:
        assert set(row) == ROW_KEYS
        assert isinstance(row["figure"], str) and row["figure"]
        assert isinstance(row["value"], (float, str))
        assert isinstance(row["unit"], str) and isinstance(row["how"], str) and row["how"]
    figures = [row["figure"] for row in table]
    assert len(figures) == len(set(figures))


def assert_ordered(summary: dict[str, Any], count: int) -> None:
    """A latency summary of ``count`` samples with non-decreasing percentiles."""
    assert summary["count"] == count > 0
    values = [summary[key] for key in PERCENTILE_KEYS]
    assert values == sorted(values)


def value(table: list[dict[str, Any]], figure: str) -> Any:
    """The value of the row named ``figure``."""
    return next(row["value"] for row in table if row["figure"] == figure)


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> hall_bench.HallResults:
    """One tiny scaled-hall run, shared by the checks below."""
    return hall_bench.measure(TINY_HALL, work_dir=tmp_path_factory.mktemp("hall"),
                              say=lambda _m: None)


@pytest.fixture(scope="module")
def polling(tmp_path_factory: pytest.TempPathFactory) -> polling_bench.PollResults:
    """One tiny push-versus-polling run, shared by the checks below."""
    return polling_bench.measure(TINY_POLL, work_dir=tmp_path_factory.mktemp("poll"),
                                 say=lambda _m: None)


def test_scaled_hall_layout() -> None:
    built = hall_bench.scaled_hall(200, 10, seed=1)
    assert len(built.counters) == 200 and len(built.services) == 10
    assert all(1 <= len(c.services) <= 3 for c in built.counters)
    assert len({s.prefix for s in built.services}) == 10
    assert hall_bench._spread(50, 3) == [list(range(i, 50, 3)) for i in range(3)]
    assert sum(len(part) for part in hall_bench._spread(50, 3)) == 50


@pytest.mark.e2e
def test_hall_counts_add_up(hall: hall_bench.HallResults) -> None:
    assert hall["calls"] == hall["calls_with_ticket"] + hall["calls_empty"] > 0
    assert hall["tickets_issued"] > 0 and hall["request_errors"] == 0
    assert hall["mirrors"] == TINY_HALL.mirrors
    assert hall["sightings_expected"] == hall["calls_with_ticket"] * hall["mirrors"]
    assert_ordered(hall["call"], hall["calls"])
    assert_ordered(hall["issue"], hall["tickets_issued"])
    # The floor: every prefilled ticket's round trip, before the load.
    assert_ordered(hall["idle"], TINY_HALL.prefill_per_service * TINY_HALL.services)
    # Only calls of this run are matched, each seen once per mirror at most.
    assert_ordered(hall["display"], hall["sightings_expected"] - hall["sightings_missed"])
    assert 0 < hall["broker_rss_kib"] <= hall["broker_peak_rss_kib"]
    assert hall["broker_cpu_pct"] >= 0 and hall["displays_cpu_pct"] >= 0
    assert hall["driver_cpu_pct"] > 0  # the driver did the load's requests
    assert hall["mirror_cpu_us_per_event"] >= 0  # /proc ticks: a tiny run may round to 0
    assert hall["load_avg_1m"] >= 0 and hall["cpus"] >= 1


@pytest.mark.e2e
def test_hall_mirrors_lost_nothing(hall: hall_bench.HallResults) -> None:
    assert hall["mirrors_caught_up"] == hall["mirrors"]
    assert hall["sightings_missed"] == 0 and hall["mirrors_missing_events"] == 0
    assert hall["resnapshots"] == 0 and hall["losses"] == 0 and hall["step_errors"] == 0
    # Lost nothing: every event due was seen (a tick landing between reads may add one).
    assert hall["events_seen"] >= hall["events_expected"] > 0
    assert hall["events_published"] > 0


@pytest.mark.e2e
def test_hall_rows(hall: hall_bench.HallResults, monkeypatch: pytest.MonkeyPatch) -> None:
    table = hall_bench.rows(hall)
    assert_rows(table)
    assert (value(table, "hall: call_next sent -> ack, p50")
            <= value(table, "hall: call_next sent -> ack, p99"))
    assert (value(table, "hall: call -> seen on displays, p50")
            <= value(table, "hall: call -> seen on displays, p99"))
    assert value(table, "hall: calls made") == float(hall["calls"])
    assert value(table, "hall: floor: idle durable command round trip, p99") == \
        hall["idle"]["p99_ms"]
    assert value(table, "hall: load generator CPU") == hall["driver_cpu_pct"]
    assert value(table, "hall: display CPU per event per mirror") == \
        hall["mirror_cpu_us_per_event"]
    assert "goal <= 20 ms" in next(r["how"] for r in table
                                   if r["figure"] == "hall: call_next sent -> ack, p99")
    # run() without measuring again: the fixture's results stand in for a run.
    seen: list[hall_bench.HallParams] = []

    def fake(params: hall_bench.HallParams) -> hall_bench.HallResults:
        seen.append(params)
        return hall

    monkeypatch.setattr(hall_bench, "measure", fake)
    assert hall_bench.run(True) == table and hall_bench.run(False) == table
    assert seen == [hall_bench.QUICK, hall_bench.FULL]


@pytest.mark.e2e
def test_polling_counts_add_up(polling: polling_bench.PollResults) -> None:
    assert polling["calls"] > 0 and polling["tickets_issued"] >= polling["calls"]
    assert polling["request_errors"] == 0
    for display in (polling["push"], polling["poll"]):
        assert display["shown"] + display["never_shown"] == polling["calls"]
        assert_ordered(display["staleness"], display["shown"])
    # The mirror has every event, so it shows every call; it asked for no snapshot after its first.
    assert polling["push"]["never_shown"] == 0
    assert polling["push"]["requests"] == 0 == polling["push_resnapshots"]
    assert polling["push"]["requests_per_s"] == 0.0
    assert polling["poll"]["requests"] >= 2 and polling["poll"]["requests_per_s"] > 0
    assert polling["snapshot_bytes"] > 0 and polling["poll_bytes_per_s"] > 0


@pytest.mark.e2e
def test_polling_rows(polling: polling_bench.PollResults,
                      monkeypatch: pytest.MonkeyPatch) -> None:
    table = polling_bench.rows(polling)
    assert_rows(table)
    for name in ("push (StateMirror)", f"polling every {TINY_POLL.poll_s:g} s"):
        p50, p99, top = (value(table, f"staleness, {name}, {q}") for q in ("p50", "p99", "max"))
        assert p50 <= p99 <= top
    assert value(table, "broker load, push display") == 0.0
    monkeypatch.setattr(polling_bench, "measure", lambda params: polling)
    assert polling_bench.run(True) == table


def test_first_seen_keeps_the_first_sighting() -> None:
    seen = polling_bench.FirstSeen()
    seen.observe({"counters": {"1": {"serving": "A001"}, "2": {"serving": None}}}, 10)
    seen.observe({"counters": {"1": {"serving": "A001"}, "2": {"serving": "C001"}}}, 20)
    seen.observe({}, 30)
    assert seen.first == {(1, "A001"): 10, (2, "C001"): 20}


def test_params_are_sane(tmp_path: Path) -> None:
    assert hall_bench.FULL.counters == 200 and hall_bench.FULL.mirrors == 50
    assert hall_bench.FULL.kiosks == 20 and 2 <= hall_bench.FULL.workers <= 3
    # 10x a real peak: one call per 4 min per counter, one arrival per second.
    assert hall_bench.FULL.call_gap_s == pytest.approx(24.0)
    assert hall_bench.FULL.arrivals_per_s == pytest.approx(10.0)
    assert polling_bench.FULL.poll_s == 2.0 and polling_bench.QUICK.poll_s == 1.0
    path = hall_bench.write_hall(hall_bench.scaled_hall(5, 3, seed=2), tmp_path)
    assert path.read_text(encoding="utf-8").startswith("# Effective hall configuration")
