"""Checkpoints: the broker starts from its newest state snapshot plus the events after it,
and that start gives exactly the state a replay of the whole journal gives; a damaged or
foreign snapshot is never used."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.journal import Journal
from broker.rules import replay
from broker.service import BrokerService
from config.schema import Hall
from protocol import envelope
from tests.broker.test_rules_properties import SETTINGS, step

FEWER = settings(SETTINGS, max_examples=30)
"""Each example writes a journal with an fsync per command: fewer examples, still seconds."""
from tests.conftest import at, small_hall

days = st.lists(st.tuples(step, st.floats(min_value=0, max_value=2 * 3600)), max_size=40)


class Clock:
    def __init__(self) -> None:
        self.now = at("08:00")

    def __call__(self) -> float:
        return self.now


def drive(service: BrokerService, clock: Clock, steps: list[Any]) -> None:
    for index, ((op, args), later) in enumerate(steps):
        clock.now += later
        service.handle(envelope.encode_request(envelope.Request(f"r{index}", op, "k", args)))


def full_replay(hall: Hall, journal: Journal) -> Any:
    return replay(hall, (stored.event() for stored in journal.events()))


@FEWER
@given(st.integers(1, 6), days)
def test_a_start_from_the_checkpoint_is_a_full_replay(every: int, steps: list[Any]) -> None:
    hall = small_hall()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "journal.sqlite3"
        clock = Clock()
        live = BrokerService(hall, Journal(path), clock, checkpoint_every=every)
        drive(live, clock, steps)
        live.journal.close()
        journal = Journal(path)
        try:
            again = BrokerService(hall, journal, clock, checkpoint_every=every)
            whole = full_replay(hall, journal)
            last = journal.last_seq()
        finally:
            journal.close()
    assert again.state == whole == live.state
    assert again.view == live.view
    # The start used the newest checkpoint: only the events after it were replayed.
    assert again.started.checkpoint > last - every
    assert again.started.replayed == last - again.started.checkpoint


def run_day(tmp_path: Path, hall: Hall, every: int = 4) -> Path:
    path = tmp_path / "journal.sqlite3"
    clock = Clock()
    service = BrokerService(hall, Journal(path), clock, checkpoint_every=every)
    drive(service, clock, [(("issue_ticket", {"service": "general"}), 30.0)] * 6
          + [(("call_next", {"counter": 1}), 60.0)] * 3)
    service.journal.close()
    return path


def test_only_the_two_newest_checkpoints_are_kept_and_the_newest_is_used(
        tmp_path: Path, hall: Hall) -> None:
    path = run_day(tmp_path, hall)
    journal = Journal(path)
    try:
        kept = [row[0] for row in journal._db.execute(  # noqa: SLF001 - the table itself
            "SELECT seq FROM checkpoints ORDER BY seq")]
        service = BrokerService(hall, journal, Clock(), checkpoint_every=4)
        assert len(kept) == 2 and service.started.checkpoint == kept[-1]
        assert service.state == full_replay(hall, journal)
    finally:
        journal.close()


def test_a_damaged_checkpoint_means_a_full_replay_with_a_warning(
        tmp_path: Path, hall: Hall, caplog: pytest.LogCaptureFixture) -> None:
    path = run_day(tmp_path, hall)
    journal = Journal(path)
    try:
        # One flipped byte in the newest snapshot, as a bad sector would leave it.
        seq, data = journal._db.execute(  # noqa: SLF001 - damage the stored row itself
            "SELECT seq, data FROM checkpoints ORDER BY seq DESC LIMIT 1").fetchone()
        damaged = bytes([data[0] ^ 0xFF]) + bytes(data[1:])
        journal._db.execute("UPDATE checkpoints SET data = ? WHERE seq = ?",  # noqa: SLF001
                            (damaged, seq))
        with caplog.at_level(logging.WARNING, logger="broker.checkpoint"):
            service = BrokerService(hall, journal, Clock(), checkpoint_every=4)
        assert "damaged" in caplog.text and f"seq {seq}" in caplog.text
        assert service.started.checkpoint == 0
        assert service.started.replayed == journal.last_seq()
        assert service.state == full_replay(hall, journal)
    finally:
        journal.close()


def test_a_changed_hall_configuration_means_a_full_replay(tmp_path: Path, hall: Hall) -> None:
    path = run_day(tmp_path, hall)
    changed = small_hall(service_time_window=3)
    journal = Journal(path)
    try:
        service = BrokerService(changed, journal, Clock(), checkpoint_every=4)
        assert service.started.checkpoint == 0
        assert service.state == full_replay(changed, journal)
        # A setting replay does not read (an alert threshold) keeps the checkpoint.
        other = BrokerService(small_hall(queue_alert_waiting=3), journal, Clock())
        assert other.started.checkpoint > 0
    finally:
        journal.close()
