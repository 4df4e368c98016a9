"""A journal that went back in time is not served silently (issue 11, items 2 and 4).

The anchor beside the journal remembers the last durable seq and the highest
ticket number per service. A journal behind it (restored from an older copy,
deleted, emptied, rebuilt shorter after damage) stops the broker with both seqs named; the operator's
``--accept-journal-rollback`` continues numbering above the anchor, and a retry
of a request the restored journal has forgotten is refused, not run again.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from broker.continuity import JournalBehind
from broker.journal import JOURNAL_NAME
from protocol.errors import CommandRefused
from tests.faults.disk_tools import run_broker_once, start_and_stop
from tests.faults.fault_tools import BrokerProcess, write_hall

pytestmark = pytest.mark.e2e

EARLY = int(os.environ.get("CALLNEXT_ROLLBACK_EARLY", "5"))
"""Tickets before the copy is taken (the soak run raises it)."""
LATE = int(os.environ.get("CALLNEXT_ROLLBACK_LATE", "3"))
"""Tickets after it: the ones a restored copy has forgotten."""


def _issue(broker: BrokerProcess, count: int, last_id: str | None = None) -> list[str]:
    """``count`` tickets: in bulk as admin (not rate limited), the last one by the kiosk."""
    with broker.client("admin") as admin, broker.client("kiosk-1") as kiosk:
        tickets = [admin.request("issue_ticket", {"service": "general"})["ticket"]
                   for _ in range(count - 1)]
        tickets.append(kiosk.request("issue_ticket", {"service": "general"},
                                     request_id=last_id)["ticket"])
    return tickets


def _journal_files(data: Path) -> list[Path]:
    return [p for p in data.iterdir() if p.name.startswith(JOURNAL_NAME)]


@pytest.mark.parametrize("loss", ["restored", "deleted", "emptied", "damaged"])
def test_a_journal_behind_its_anchor_needs_a_decision_and_never_reissues(
        tmp_path: Path, loss: str) -> None:
    config, data, copy = write_hall(tmp_path), tmp_path / "data", tmp_path / "copy"
    broker = BrokerProcess(config, data)
    broker.start()
    _issue(broker, EARLY)
    broker.stop()
    copy.mkdir()
    for path in _journal_files(data):
        shutil.copy2(path, copy / path.name)
    broker.start()
    late = _issue(broker, LATE, last_id="kiosk-1-last")
    with broker.client("admin") as admin:
        reached = admin.request("snapshot")
    broker.stop()
    assert late[-1] == f"A{EARLY + LATE:03d}"

    if loss == "damaged":  # cut mid-file: rebuilt from what is readable, so shorter
        journal = data / JOURNAL_NAME
        with open(journal, "r+b") as file:
            file.truncate(journal.stat().st_size // 2)
    else:
        for path in _journal_files(data):
            path.unlink()
    if loss == "restored":
        for path in copy.iterdir():
            shutil.copy2(path, data / path.name)
    elif loss == "emptied":
        (data / JOURNAL_NAME).write_bytes(b"")

    refused = run_broker_once(config, data)
    assert refused.returncode == JournalBehind.exit_status == 3  # the unit stops restarting
    assert f"reached seq {reached['seq']}" in refused.stderr  # both seqs are named
    assert ("is missing" if loss == "deleted" else "ends at seq") in refused.stderr
    assert "--accept-journal-rollback" in refused.stderr
    assert run_broker_once(config, data).returncode != 0, "a second start must refuse too"

    start_and_stop(config, data, "--accept-journal-rollback")
    broker.start()
    try:
        with broker.client("kiosk-1") as kiosk:
            ticket = kiosk.request("issue_ticket", {"service": "general"})["ticket"]
            assert ticket == f"A{EARLY + LATE + 1:03d}", "a number visitors hold was reissued"
            try:
                again = kiosk.request("issue_ticket", {"service": "general"},
                                      request_id="kiosk-1-last")
            except CommandRefused as forgotten:
                assert forgotten.code == "journal_rolled_back"
            else:  # only a rebuilt journal may still hold it: then it answers as before
                assert loss == "damaged" and again["ticket"] == late[-1], again
        with broker.client("admin") as admin:
            assert admin.request("snapshot")["epoch"] != reached["epoch"]
    finally:
        broker.stop()
    # The decision is journaled: later starts need no option and keep numbering up.
    broker.start()
    try:
        assert _issue(broker, 1)[0] == f"A{EARLY + LATE + 2:03d}"
    finally:
        broker.stop()
