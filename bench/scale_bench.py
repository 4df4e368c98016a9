"""The broker at city scale (issue 17): each figure beside its floor measured in the same run.

* floors: SQLite's own single-commit rate and commit latency on the same disk (WAL,
  ``synchronous=FULL``, the journal's settings), and a bare ZeroMQ loopback round trip;
* durable commands/s with 1 and 20 clients (``broker_bench.measure_throughput``) against
  the single-commit floor, and the same burst on a day that already holds ~20 000
  tickets, as a ratio to the empty day;
* broker ready on a 100 000-event day and on a 1 000 000-event quarter, whose journals
  are built fast and cached under ``~/.cache/callnext/bench`` keyed by the generator's
  version, the hall and the state format.

The quarter is one scripted day (``replay_bench.build_journal``) repeated day after day
(its events shifted by whole days), with the checkpoint a broker would have written
(every ``CHECKPOINT_EVERY`` events): replay treats events as facts, so that is a valid
journal and one a real broker would have left.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import zmq

from bench.replay_bench import build_journal
from bench.stats import LatencySummary, summarize
from broker.checkpoint import CHECKPOINT_EVERY, snapshot, state_format
from broker.journal import JOURNAL_NAME, Journal
from broker.rules import Event, evolve, initial_state
from config.schema import Hall

GENERATOR_VERSION = "1"
"""Bump when the journals built here change: cached ones are then rebuilt."""

DAY_S = 86400.0


def cache_dir() -> Path:
    """Where built journals are kept between runs (``XDG_CACHE_HOME`` respected)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "callnext" / "bench"


def _key(hall: Hall, kind: str, events: int) -> str:
    text = json.dumps([GENERATOR_VERSION, kind, events, state_format(), hall.model_dump_json()])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def sqlite_floor(folder: Path, commits: int) -> dict[str, Any]:
    """SQLite's single-commit rate and latency on ``folder``'s disk, the journal's settings."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "floor.sqlite3"
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data TEXT NOT NULL)")
        samples = []
        began = time.perf_counter()
        for i in range(commits):
            t0 = time.perf_counter()
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO t(data) VALUES (?)", (f'{{"ticket":"A{i:03d}"}}',))
            db.execute("COMMIT")
            samples.append(time.perf_counter() - t0)
        seconds = time.perf_counter() - began
    finally:
        db.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return {"commits_per_s": round(commits / max(seconds, 1e-9)), "commit": summarize(samples)}


def zmq_floor(count: int) -> LatencySummary:
    """Round trips of a bare DEALER -> ROUTER echo on loopback (no broker work at all)."""
    context = zmq.Context()
    router = context.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    stop = threading.Event()

    def echo() -> None:
        poller = zmq.Poller()
        poller.register(router, zmq.POLLIN)
        while not stop.is_set():
            if poller.poll(100):
                router.send_multipart(router.recv_multipart())

    thread = threading.Thread(target=echo, daemon=True)
    thread.start()
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.setsockopt(zmq.RCVTIMEO, 5000)
    dealer.connect(f"tcp://127.0.0.1:{port}")
    samples = []
    try:
        for i in range(count + 20):
            t0 = time.perf_counter()
            dealer.send(b'{"id":"%d"}' % i)
            dealer.recv()
            if i >= 20:
                samples.append(time.perf_counter() - t0)
    finally:
        stop.set()
        thread.join(timeout=2)
        dealer.close()
        router.close()
        context.term()
    return summarize(samples)


def day_journal(hall: Hall, events: int, cache: Path, say: Any) -> tuple[Path, dict[str, Any]]:
    """A one-day journal of ``events`` from the seeded script, built once and cached."""
    folder = cache / _key(hall, "day", events)
    path, facts = folder / JOURNAL_NAME, folder / "build.json"
    if facts.exists() and path.exists():
        return path, json.loads(facts.read_text(encoding="utf-8"))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    say(f"building a {events}-event day (cached in {folder} for next time)")
    build = build_journal(hall, path, events, durable=False)
    facts.write_text(json.dumps(build), encoding="utf-8")
    return path, dict(build)


def quarter_journal(hall: Hall, events: int, day: Path, cache: Path,
                    say: Any) -> tuple[Path, float]:
    """``events`` made of ``day`` repeated day after day, with the broker's checkpoint;
    built once and cached. Returns the journal and the time of its last event."""
    folder = cache / _key(hall, f"quarter-{day.parent.name}", events)
    path, facts = folder / JOURNAL_NAME, folder / "last_at.json"
    if facts.exists() and path.exists():
        return path, float(json.loads(facts.read_text(encoding="utf-8")))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    say(f"building a {events}-event quarter from the day (cached in {folder})")
    source = Journal.open_read_only(day)
    try:
        template = [(e.at, e.day, e.type, e.data, e.op, e.node) for e in source.events()]
    finally:
        source.close()
    last_at = _write_days(hall, path, template, events)
    facts.write_text(json.dumps(last_at), encoding="utf-8")
    return path, last_at


def _write_days(hall: Hall, path: Path, template: list[tuple[Any, ...]], events: int) -> float:
    """Write ``events`` events, day after day of ``template``, and the last checkpoint."""
    journal = Journal(path)
    state, checkpoint_seq = initial_state(hall), events // CHECKPOINT_EVERY * CHECKPOINT_EVERY
    rows, seq, shift, at = [], 0, 0, 0.0
    try:
        db = journal._db  # noqa: SLF001 - a bench fixture written in bulk, not by commands
        db.execute("BEGIN IMMEDIATE")
        while seq < events:
            for at0, day, type_, data, op, node in template:
                if seq >= events:
                    break
                seq, at = seq + 1, at0 + shift * DAY_S
                if type_ == "day_started":
                    data = {**data, "day": _day_after(day, shift),
                            "previous": _day_after(day, shift - 1) if shift else None}
                stored_day = _day_after(day, shift)
                rows.append((seq, at, stored_day, type_, json.dumps(data, ensure_ascii=False,
                                                                    separators=(",", ":")),
                             op, node))
                if seq <= checkpoint_seq:
                    evolve(state, Event(type_, at, data))
                if len(rows) >= 50_000:
                    _insert(db, rows)
            shift += 1
        _insert(db, rows)
        if checkpoint_seq:
            found = snapshot(state)
            db.execute("INSERT INTO checkpoints(seq, format, hall, crc, data) VALUES (?,?,?,?,?)",
                       (checkpoint_seq, found.format, found.hall, found.crc, found.data))
        db.execute("COMMIT")
    finally:
        journal.close()
    return at


def _insert(db: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    db.executemany("INSERT INTO events(seq, at, day, type, data, op, node, request_id) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, NULL)", rows)
    rows.clear()


def _day_after(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def copy_journal(source: Path, folder: Path) -> Path:
    """A working copy of a cached journal in ``folder`` (a broker writes to its journal)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / JOURNAL_NAME
    shutil.copyfile(source, target)
    return target
