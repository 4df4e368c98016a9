"""A power cut mid-write: a torn write-ahead log tail or a truncated database file on start.

The disk state at the moment of the cut is taken by copying the journal's files
while the broker's connection is still open (every acknowledged append has been
fsync'd), then cutting the copy; the journal is opened on the copy, as the
broker does after power returns.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from broker.journal import Journal, StoredEvent
from broker.service import BrokerService
from config.schema import Hall
from protocol import envelope
from tests.conftest import at

CUTS = 8


def issue(service: BrokerService, rid: str) -> dict[str, Any]:
    raw = envelope.encode_request(envelope.Request(rid, "issue_ticket", "kiosk-1",
                                                   {"service": "general"}))
    reply: dict[str, Any] = json.loads(service.handle(raw).reply)
    return reply


def power_cut_copy(live: Path, target: Path) -> Path:
    """The journal's files as the disk holds them now (no clean close, no checkpoint)."""
    target.mkdir()
    for suffix in ("", "-wal"):
        source = Path(f"{live}{suffix}")
        if source.exists():
            shutil.copyfile(source, target / f"{live.name}{suffix}")
    return target / live.name


def facts(events: list[StoredEvent]) -> list[tuple[Any, ...]]:
    return [(e.seq, e.type, e.data, e.request_id) for e in events]


@pytest.mark.parametrize("seed", range(CUTS))
def test_a_torn_log_tail_loses_only_the_unacknowledged_write(hall: Hall, tmp_path: Path,
                                                              seed: int) -> None:
    rng = random.Random(seed)
    live = tmp_path / "live" / "journal.sqlite3"
    service = BrokerService(hall, Journal(live), lambda: at("09:00"))
    acknowledged = [issue(service, f"r{i}") for i in range(rng.randint(1, 6))]
    wal = Path(f"{live}-wal")
    acknowledged_size, seq = wal.stat().st_size, service.seq
    issue(service, "in-flight")  # the write the power cut interrupts
    copy = power_cut_copy(live, tmp_path / "cut")
    cut_wal = Path(f"{copy}-wal")
    with open(cut_wal, "r+b") as file:
        file.truncate(rng.randint(acknowledged_size + 1, wal.stat().st_size - 1))
    journal = Journal(copy)
    try:
        assert any("incomplete write" in note and "never acknowledged" in note
                   for note in journal.recovered)
        assert list(tmp_path.glob("cut/*.torn-*")), "a copy of the torn log is kept"
        recovered = BrokerService(hall, journal, lambda: at("09:05"))
        assert recovered.seq == seq
        tickets = [e.data["ticket"] for e in journal.events() if e.type == "ticket_issued"]
        assert tickets == [a["result"]["ticket"] for a in acknowledged]
        assert journal.reply_for("in-flight") is None
        assert issue(recovered, "in-flight")["result"]["ticket"] == \
            f"A{len(acknowledged) + 1:03d}"
    finally:
        journal.close()
        service.journal.close()


def test_a_clean_log_says_nothing_and_garbage_after_it_is_ignored(hall: Hall,
                                                                  tmp_path: Path) -> None:
    live = tmp_path / "live" / "journal.sqlite3"
    service = BrokerService(hall, Journal(live), lambda: at("09:00"))
    issue(service, "r1")
    clean = Journal(power_cut_copy(live, tmp_path / "clean"))
    assert clean.recovered == [] and clean.last_seq() == service.seq
    clean.close()
    copy = power_cut_copy(live, tmp_path / "garbage")
    with open(f"{copy}-wal", "ab") as file:
        file.write(os.urandom(1234))
    journal = Journal(copy)
    assert journal.last_seq() == service.seq
    assert any("1234 bytes" in note for note in journal.recovered)
    journal.close()
    service.journal.close()


@pytest.mark.parametrize("seed", range(CUTS))
def test_a_truncated_database_is_detected_moved_aside_and_rebuilt(hall: Hall, tmp_path: Path,
                                                                  seed: int) -> None:
    rng = random.Random(1000 + seed)
    live = tmp_path / "live" / "journal.sqlite3"
    service = BrokerService(hall, Journal(live), lambda: at("09:00"))
    for i in range(300):
        issue(service, f"r{i}")
    service.journal.close()  # checkpointed: everything is in the database file now
    original = Journal(live)
    before = facts(list(original.events()))
    original.close()
    size = live.stat().st_size
    copy = power_cut_copy(live, tmp_path / "cut")
    with open(copy, "r+b") as file:
        file.truncate(rng.randint(size // 2, size - 1))
    journal = Journal(copy)
    try:
        assert any("was damaged" in note and "moved to" in note for note in journal.recovered)
        assert list(tmp_path.glob("cut/journal.sqlite3.damaged-*"))
        kept = facts(list(journal.events()))
        assert kept == before[:len(kept)], "the rebuilt journal is a prefix of what was written"
        recovered = BrokerService(hall, journal, lambda: at("09:05"))
        waiting = recovered.view["services"]["general"]["waiting"]
        assert waiting == sum(1 for fact in kept if fact[1] == "ticket_issued")
        kept_ids = {rid for *_, rid in kept}
        for _seq, type_, data, rid in kept:
            stored = journal.reply_for(rid) if rid is not None else None
            if stored is not None and type_ == "ticket_issued":
                assert json.loads(stored)["result"]["ticket"] == data["ticket"]
        lost_ids = {fact[3] for fact in before[len(kept):]} - kept_ids
        assert all(journal.reply_for(rid) is None for rid in lost_ids), \
            "no reply is kept for an effect that is gone"
        fresh = issue(recovered, "after")
        assert fresh["ok"] is True
    finally:
        journal.close()
