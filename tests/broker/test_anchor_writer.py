"""The anchor is written off the reply path, and never lags by more than the latest batch.

A command waits for one flush (the journal's commit), not two: the anchor's own
thread flushes it beside the next commit. The bounds that keep the restored-journal
refusal honest: the anchor never holds more than the journal committed, and a batch
is answered only once the anchor of every earlier batch is on disk. A slow or gated
``fdatasync`` (the disk's edge) shows both.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path

import pytest

from broker.anchor import ANCHOR_NAME, read_anchor
from broker.continuity import open_journal
from broker.journal import Journal
from broker.service import BrokerService
from config.schema import Hall
from tests.broker.test_service import Clock, request

GATE_S = 10.0
"""Bound on a gated flush: a test that forgot to open the gate still ends."""


def _open(hall: Hall, data: Path) -> tuple[Journal, BrokerService]:
    journal, _ = open_journal(data)
    service = BrokerService(hall, journal, Clock())
    journal.sync_anchor(wait=True)  # what the start-up journaled is on disk
    return journal, service


def _anchored(data: Path) -> int:
    """The seq the anchor on disk holds, read as a restore check would read it."""
    found = read_anchor(data / ANCHOR_NAME)
    return 0 if found is None else found.seq


def _issue(service: BrokerService, rid: str) -> None:
    answer = json.loads(service.handle(request("issue_ticket", rid, service="general")).reply)
    assert answer["ok"], answer


def test_a_reply_does_not_wait_for_its_anchor_but_the_next_batch_does(
        hall: Hall, tmp_path: Path) -> None:
    journal, service = _open(hall, tmp_path)
    gate = threading.Event()

    def gated(fd: int) -> None:
        gate.wait(GATE_S)
        os.fdatasync(fd)

    assert journal.anchor is not None
    journal.anchor.sync_file = gated  # type: ignore[attr-defined]
    try:
        _issue(service, "r1")
        first = journal.last_seq()
        assert _anchored(tmp_path) < first, "the reply waited for its own anchor"
        journal.sync_anchor()  # the loop's end of turn: the writer now hangs on the gate
        # The gate opens a moment later, from elsewhere; the next batch must wait for it.
        opener = threading.Timer(0.3, gate.set)
        opener.start()
        _issue(service, "r2")
        assert gate.is_set(), "the next batch was answered before the earlier anchor"
        assert first <= _anchored(tmp_path) < journal.last_seq()
        opener.join(GATE_S)
    finally:
        gate.set()
        journal.close()
    assert _anchored(tmp_path) == service.seq, "closing writes what is pending"


def test_on_a_slow_disk_the_anchor_stays_within_one_batch_and_never_ahead(
        hall: Hall, tmp_path: Path) -> None:
    journal, service = _open(hall, tmp_path)

    def slow(fd: int) -> None:
        time.sleep(0.005)  # a slow SD card: the anchor's flush outlasts a command
        os.fdatasync(fd)

    journal.anchor.sync_file = slow  # type: ignore[union-attr]
    try:
        answered = journal.last_seq()
        for n in range(30):
            before = answered
            _issue(service, f"r{n}")
            answered = journal.last_seq()
            on_disk = _anchored(tmp_path)
            assert before <= on_disk <= answered, (n, before, on_disk, answered)
            if n % 3 == 0:
                journal.sync_anchor()  # not every turn: the bound holds without it too
    finally:
        journal.close()


def test_a_failing_anchor_write_is_reported_and_retried_without_blocking_replies(
        hall: Hall, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    journal, service = _open(hall, tmp_path)
    keeper = journal.anchor
    assert keeper is not None

    def full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    keeper.sync_file = full  # type: ignore[attr-defined]
    try:
        with caplog.at_level(logging.ERROR, logger="broker.anchor"):
            for n in range(3):
                _issue(service, f"r{n}")
                journal.sync_anchor(wait=True)
        assert keeper.failing  # type: ignore[attr-defined]
        assert sum("could not be written" in r.message for r in caplog.records) == 1
        keeper.sync_file = os.fdatasync  # type: ignore[attr-defined]
        _issue(service, "r-after")
        journal.sync_anchor(wait=True)
        assert not keeper.failing  # type: ignore[attr-defined]
        assert _anchored(tmp_path) == journal.last_seq()
    finally:
        journal.close()
