"""The anchor is written off the reply path, a few times a second, never ahead of the journal.

A command waits for one flush (the journal's commit), not two: the anchor's own
thread writes it at most once per ``every_s``. The bounds that keep the
restored-journal refusal honest: the anchor never holds more than the journal
committed, and a batch is answered only once every append answered more than
``lag_s`` ago is in the anchor on disk. A gated, slow or counting ``fdatasync``
(the disk's edge) and a hand-moved clock show each rule.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from broker.anchor import ANCHOR_NAME, read_anchor
from broker.anchor_keeper import AnchorKeeper
from broker.continuity import open_journal
from broker.journal import JOURNAL_NAME, Journal
from broker.service import BrokerService
from config.schema import Hall
from tests.broker.test_service import Clock, request

GATE_S = 10.0
"""Bound on a gated flush: a test that forgot to open the gate still ends."""


class Monotonic:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _open(hall: Hall, data: Path) -> tuple[Journal, BrokerService, AnchorKeeper]:
    journal, _ = open_journal(data)
    service = BrokerService(hall, journal, Clock())
    journal.sync_anchor(wait=True)  # what the start-up journaled is on disk
    assert isinstance(journal.anchor, AnchorKeeper)
    return journal, service, journal.anchor


def _anchored(data: Path) -> int:
    """The seq the anchor on disk holds, read as a restore check would read it."""
    found = read_anchor(data / ANCHOR_NAME)
    return 0 if found is None else found.seq


def _issue(service: BrokerService, rid: str) -> None:
    answer = json.loads(service.handle(request("issue_ticket", rid, service="general")).reply)
    assert answer["ok"], answer


class Disk:
    """The anchor's flush, gated or slowed, noting the seq each flush made durable.

    Reading the file is not enough: a written slot is in the page cache, and so
    readable, before its flush returns.
    """

    def __init__(self, data: Path, gate: threading.Event | None = None,
                 delay_s: float = 0.0) -> None:
        self.data, self.gate, self.delay_s = data, gate, delay_s
        self.flushed: list[int] = []
        self.committed: list[int] = []
        """The journal's committed seq at each flush, read beside the broker's connection."""

    def __call__(self, fd: int) -> None:
        if self.gate is not None:
            self.gate.wait(GATE_S)
        time.sleep(self.delay_s)
        os.fdatasync(fd)
        self.flushed.append(_anchored(self.data))  # the slot just flushed is the newest
        with sqlite3.connect(self.data / JOURNAL_NAME) as other:
            found = other.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()
            self.committed.append(found[0])

    @property
    def durable(self) -> int:
        return max(self.flushed, default=0)


def _waited_for_the_gate(service: BrokerService, gate: threading.Event, rid: str) -> bool:
    """Issue ``rid`` while the gate opens a moment later, from elsewhere: did it wait?"""
    opener = threading.Timer(0.3, gate.set)
    opener.start()
    try:
        _issue(service, rid)
        return gate.is_set()
    finally:
        opener.join(GATE_S)


def test_a_reply_does_not_wait_for_its_anchor_but_a_later_one_does(
        hall: Hall, tmp_path: Path) -> None:
    journal, service, keeper = _open(hall, tmp_path)
    gate = threading.Event()
    disk = Disk(tmp_path, gate)
    keeper.sync_file, keeper.lag_s = disk, 0.0  # no lag: every earlier batch
    try:
        _issue(service, "r1")
        first = journal.last_seq()
        assert disk.durable < first, "the reply waited for its own anchor"
        journal.sync_anchor()  # the loop's end of turn: the writer now hangs on the gate
        assert _waited_for_the_gate(service, gate, "r2"), \
            "the next batch was answered before the earlier anchor"
        assert first <= disk.durable < journal.last_seq()
    finally:
        gate.set()
        journal.close()
    assert _anchored(tmp_path) == service.seq, "closing writes what is pending"


def test_only_appends_older_than_the_lag_hold_up_a_reply(hall: Hall, tmp_path: Path) -> None:
    journal, service, keeper = _open(hall, tmp_path)
    clock, gate = Monotonic(), threading.Event()
    disk = Disk(tmp_path, gate)
    keeper.monotonic, keeper.sync_file = clock, disk
    try:
        _issue(service, "r1")
        first = journal.last_seq()
        journal.sync_anchor()  # the writer hangs on the gate with r1
        clock.now += keeper.lag_s / 2
        _issue(service, "r2")  # r1 is younger than the lag: answered at once
        assert disk.durable < first, "waited for an append younger than the lag"
        held = journal.last_seq()
        clock.now += keeper.lag_s
        # r1 and r2 are older than the lag now: they go first.
        assert _waited_for_the_gate(service, gate, "r3"), \
            "answered while older appends were still not in the anchor"
        assert held <= disk.durable < journal.last_seq()
    finally:
        gate.set()
        journal.close()


def test_under_load_the_anchor_is_written_once_per_interval_not_per_batch(
        hall: Hall, tmp_path: Path) -> None:
    journal, service, keeper = _open(hall, tmp_path)
    disk = Disk(tmp_path)
    keeper.monotonic = Monotonic()  # time stands still: the interval never passes
    keeper.sync_file = disk
    try:
        for n in range(20):
            _issue(service, f"r{n}")
            journal.sync_anchor()
        assert len(disk.flushed) <= 1, "one write per batch: the anchor competes with the journal"
    finally:
        journal.close()
    assert _anchored(tmp_path) == service.seq, "closing writes what is pending"


def test_on_a_slow_disk_the_anchor_is_never_ahead_of_the_journal(
        hall: Hall, tmp_path: Path) -> None:
    journal, service, keeper = _open(hall, tmp_path)

    disk = Disk(tmp_path, delay_s=0.005)  # a slow SD card: a flush outlasts a command
    keeper.sync_file = disk
    try:
        answered = journal.last_seq()
        for n in range(30):
            before = answered
            keeper.lag_s = 0.0 if n % 2 else 60.0  # every other batch: no lag allowed
            _issue(service, f"r{n}")
            answered = journal.last_seq()
            on_disk = disk.durable
            assert _anchored(tmp_path) <= answered, (n, _anchored(tmp_path), answered)
            if keeper.lag_s == 0.0:
                assert before <= on_disk, (n, before, on_disk)
            journal.sync_anchor()
    finally:
        journal.close()
    # At the moment of each flush, as another reader of the journal saw it.
    assert disk.flushed and all(anchored <= committed for anchored, committed
                                in zip(disk.flushed, disk.committed, strict=True))


def test_a_failing_anchor_write_is_reported_and_retried_without_blocking_replies(
        hall: Hall, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    journal, service, keeper = _open(hall, tmp_path)

    def full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    keeper.sync_file = full
    try:
        with caplog.at_level(logging.ERROR, logger="broker.anchor_keeper"):
            for n in range(3):
                _issue(service, f"r{n}")
                journal.sync_anchor(wait=True)
        assert keeper.failing
        assert sum("could not be written" in r.message for r in caplog.records) == 1
        # Failed folds are not kept one by one: each commit's settle walks this list.
        assert len(keeper._pending) <= 1  # noqa: SLF001
        keeper.sync_file = os.fdatasync
        _issue(service, "r-after")
        journal.sync_anchor(wait=True)
        assert not keeper.failing
        assert _anchored(tmp_path) == journal.last_seq()
    finally:
        journal.close()


def test_the_writer_is_woken_once_per_write_not_once_per_turn(
        hall: Hall, tmp_path: Path) -> None:
    journal, service, keeper = _open(hall, tmp_path)
    keeper.monotonic = Monotonic()  # time stands still: the interval never passes
    keeper.sync_file = Disk(tmp_path)
    wakes = [0]
    notify_all = keeper._state.notify_all  # noqa: SLF001

    def counted() -> None:
        wakes[0] += 1
        notify_all()

    keeper._state.notify_all = counted  # type: ignore[method-assign]  # noqa: SLF001
    try:
        for n in range(20):
            _issue(service, f"r{n}")
            journal.sync_anchor()
        assert wakes[0] <= 4, "each turn of the loop woke the anchor's writer thread"
    finally:
        journal.close()
    assert _anchored(tmp_path) == service.seq, "what was folded in is still written"
