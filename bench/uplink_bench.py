"""Uplink benchmark (issue #18): the journal shipped to a real PostgreSQL, and city reports.

* **backlog**: a 100 000-event hall day in the journal (the broker's own ``Journal``
  writes it), shipped from scratch by the uplink with its default batch size; target
  ≤ 20 s.
* **steady lag**: while the uplink runs, a writer commits one event every 50 ms; the
  lag is journal commit → the row visible centrally, seen by a reader polling the
  central store every millisecond or so; target p99 ≤ 1 s.
* **city report**: 200 simulated halls' days (600 tickets each: issued, called,
  finished or no-show, rated, ≈ 2 400 rows per hall) copied into the central store,
  then ``uplink.city.city_report`` for that day, per hall and city; target ≤ 5 s.

Runs only where PostgreSQL's server binaries are (``bench.pgserver``); the server is
a throwaway one with ``fsync=off`` (the figures measure the uplink and the SQL, not the
disk of this machine).
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any, Iterator

from bench.pgserver import PgServer, find_bin
from bench.stats import latency_rows, summarize

DAY = "2026-11-25"
T0 = 1_795_568_400.0  # 2026-11-25 07:00 in Shanghai


def _day_events(tickets: int, rng: random.Random) -> Iterator[tuple[str, float, dict[str, Any]]]:
    """A hall day's events, in time order: ``(type, at, data)``, about four per ticket."""
    events = []
    for number in range(1, tickets + 1):
        issued = T0 + number * 50.0
        ticket = f"A{number:03d}"
        called = issued + rng.expovariate(1 / 900)
        counter = rng.randint(1, 8)
        events.append(("ticket_issued", issued, {"ticket": ticket, "service": "general",
                                                 "seq_in_service": number, "kind": "walk_in"}))
        events.append(("called", called, {"ticket": ticket, "service": "general",
                                          "counter": counter, "recall": 0}))
        if rng.random() < 0.03:
            events.append(("no_show", called + 120, {"ticket": ticket, "counter": counter}))
            continue
        finished = called + rng.expovariate(1 / 300)
        events.append(("finished", finished, {"ticket": ticket, "service": "general",
                                              "counter": counter, "service_s": finished - called}))
        if rng.random() < 0.7:
            score = rng.choice((1, 2, 3, 3, 3))
            events.append(("rated", finished + 20, {"ticket": ticket, "counter": counter,
                                                    "score": score, "negative": score == 1}))
    events.sort(key=lambda e: e[1])
    return iter(events)


def _write_journal(path: Path, count: int) -> None:
    from broker.journal import Entry, Journal
    from broker.rules import Event

    journal = Journal(path)
    rng = random.Random(18)
    batch: list[Entry] = []
    written = 0
    while written < count:
        for kind, at, data in _day_events(600, rng):
            batch.append(Entry(Event(kind, at, data), DAY))
            written += 1
            if len(batch) == 1000 or written == count:
                journal.append(batch, op="bench", node="bench", request_id=None, reply=None,
                               at=at)
                batch = []
            if written == count:
                break
    journal.close()


def _settings(dsn: str, hall: str = "bench") -> Any:
    from config.central import CentralSettings

    return CentralSettings(hall_id=hall, dsn=dsn, sslmode="disable")


def measure_backlog(pg: PgServer, work: Path, events: int) -> dict[str, Any]:
    """Seconds to ship a journal of ``events`` from scratch (default settings)."""
    from broker.journal import JOURNAL_NAME
    from uplink.connect import connect
    from uplink.loop import Uplink

    path = work / "backlog" / JOURNAL_NAME
    path.parent.mkdir()
    _write_journal(path, events)
    chosen = _settings(pg.dsn(pg.create_db("backlog")))
    uplink = Uplink(chosen, path, connect=lambda: connect(chosen))
    began, cpu = time.perf_counter(), time.process_time()
    while uplink.step():
        pass
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    uplink.close()
    return {"events": uplink.shipped, "seconds": seconds, "cpu_seconds": cpu}


def measure_lag(pg: PgServer, work: Path, samples: int) -> list[float]:
    """Journal commit → central row, in seconds, for ``samples`` events 50 ms apart."""
    import psycopg

    from broker.journal import JOURNAL_NAME, Entry, Journal
    from broker.rules import Event
    from uplink.connect import connect
    from uplink.loop import Uplink
    from uplink.schema import migrate

    path = work / "lag" / JOURNAL_NAME
    path.parent.mkdir()
    journal = Journal(path)
    journal.append([Entry(Event("day_started", T0, {}), DAY)], op="bench", node="bench",
                   request_id=None, reply=None, at=T0)
    dsn = pg.dsn(pg.create_db("lag"))
    with psycopg.connect(dsn) as conn:
        migrate(conn)  # the reader polls the table before the uplink's first batch
    chosen = _settings(dsn)
    uplink = Uplink(chosen, path, connect=lambda: connect(chosen))
    stop = threading.Event()
    runner = threading.Thread(target=uplink.run, args=(stop,), daemon=True)
    runner.start()
    committed: dict[int, float] = {}
    lags: list[float] = []
    try:
        with psycopg.connect(dsn, autocommit=True) as reader:
            _wait_for(reader, 1, time.perf_counter() + 30)
            for number in range(samples):
                at = T0 + number
                [seq] = journal.append([Entry(Event("ticket_issued", at, {
                    "ticket": f"A{number:03d}", "service": "general"}), DAY)],
                    op="bench", node="bench", request_id=None, reply=None, at=at)
                committed[seq] = time.perf_counter()
                if _wait_for(reader, seq, committed[seq] + 10):
                    lags.append(time.perf_counter() - committed[seq])
                time.sleep(0.05)
    finally:
        stop.set()
        runner.join(10)
        journal.close()
    return lags


def _wait_for(reader: Any, seq: int, deadline: float) -> bool:
    """Poll the central store until the hall holds ``seq`` (or the deadline passes)."""
    while time.perf_counter() < deadline:
        row = reader.execute("SELECT max(seq) FROM callnext_events WHERE hall = 'bench'")
        found = row.fetchone()
        if found and found[0] is not None and int(found[0]) >= seq:
            return True
        time.sleep(0.001)
    return False


def measure_city(pg: PgServer, halls: int) -> dict[str, Any]:
    """Rows loaded and seconds of one city report over ``halls`` simulated hall days."""
    import psycopg

    from uplink.city import city_report
    from uplink.schema import migrate

    dsn = pg.dsn(pg.create_db("city"))
    rng = random.Random(200)
    rows = 0
    with psycopg.connect(dsn) as conn:
        migrate(conn)
        with conn.transaction():
            conn.execute("INSERT INTO callnext_halls (hall, journal_hall_id) "
                         "SELECT 'hall-' || n, 'j' || n FROM generate_series(1, %s) AS n",
                         (halls,))
            rows = _copy_halls(conn, halls, rng)
        conn.execute("ANALYZE callnext_events")
        conn.commit()
        began = time.perf_counter()
        report = city_report(conn, date.fromisoformat(DAY), date.fromisoformat(DAY))
        seconds = time.perf_counter() - began
    return {"rows": rows, "halls": len(report["rows"]), "seconds": seconds}


def _copy_halls(conn: Any, halls: int, rng: random.Random) -> int:
    import json
    from datetime import datetime, timezone

    rows = 0
    copy_sql = ("COPY callnext_events (hall, seq, day, type, at, data, epoch, digest, chain) "
                "FROM STDIN")
    with conn.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for hall in range(1, halls + 1):
            for seq, (kind, at, data) in enumerate(_day_events(600, rng), start=1):
                copy.write_row((f"hall-{hall}", seq, DAY, kind,
                                datetime.fromtimestamp(at, tz=timezone.utc),
                                json.dumps(data), "bench", b"\0" * 32, b"\0" * 32))
                rows += 1
    return rows


def run(quick: bool) -> list[dict[str, Any]]:
    """The uplink's figures (``python -m bench --only uplink``); empty without PostgreSQL."""
    bin_dir = find_bin()
    if bin_dir is None:
        return [{"figure": "uplink", "value": "skipped", "unit": "",
                 "how": "PostgreSQL server binaries missing (apt-get install postgresql)"}]
    events, samples, halls = (3000, 20, 10) if quick else (100_000, 400, 200)
    with PgServer(bin_dir) as pg, tempfile.TemporaryDirectory(prefix="callnext-uplink-") as tmp:
        backlog = measure_backlog(pg, Path(tmp), events)
        lags = measure_lag(pg, Path(tmp), samples)
        city = measure_city(pg, halls)
    lag = summarize(lags)
    load = os.getloadavg()[0]
    return [
        {"figure": f"backlog of {backlog['events']} events shipped", "value": backlog["seconds"],
         "unit": "s", "how": "journal → PostgreSQL from scratch, batches of 1000 (target ≤ 20 s)"},
        {"figure": "backlog rate", "value": backlog["events"] / max(backlog["seconds"], 1e-9),
         "unit": "events/s", "how": f"the same run; load average {load:.1f} on {os.cpu_count()} "
                                    "CPUs (PostgreSQL shares them)"},
        {"figure": "backlog, the uplink's own CPU", "value": backlog["cpu_seconds"], "unit": "s",
         "how": "process time of the uplink while shipping it (read, hash, COPY)"},
        *latency_rows("steady lag", lag, f"journal commit → central row, {lag['count']} events "
                      "50 ms apart, poll 0.1 s (target p99 ≤ 1000 ms)"),
        {"figure": f"city report, {city['halls']} halls' day", "value": city["seconds"],
         "unit": "s", "how": f"uplink.city.city_report over {city['rows']} central rows "
                             f"(target ≤ 5 s); load average {load:.1f} on {os.cpu_count()} CPUs"},
    ]
