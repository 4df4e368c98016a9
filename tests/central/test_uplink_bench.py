"""Smoke test of the uplink benchmark: tiny counts, the shape of the figures, never a timing."""

from __future__ import annotations

from pathlib import Path

from bench import uplink_bench
from bench.pgserver import PgServer


def test_the_benchmark_pieces_ship_measure_and_report(tmp_path: Path, pg: PgServer) -> None:
    backlog = uplink_bench.measure_backlog(pg, tmp_path, 700)
    assert backlog["events"] == 700 and backlog["seconds"] > 0
    lags = uplink_bench.measure_lag(pg, tmp_path, 3)
    assert len(lags) == 3 and all(lag >= 0 for lag in lags)
    city = uplink_bench.measure_city(pg, 3)
    assert city["halls"] == 3 and city["rows"] > 3 * 600
