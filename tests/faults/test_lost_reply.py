"""A reply lost to a crash: the broker journaled the command, died before the client read the
answer, and the client's retry with the same request id gets that first answer, once."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
import zmq

from protocol.envelope import Request, encode_request
from tests.faults.fault_tools import BrokerProcess, write_hall

pytestmark = pytest.mark.e2e


def stored_reply(journal: Path, rid: str) -> str | None:
    """The reply the broker journaled for ``rid``, read by a separate read-only connection."""
    db = sqlite3.connect(f"file:{journal}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT reply FROM requests WHERE id = ?", (rid,)).fetchone()
    except sqlite3.OperationalError:
        return None  # the broker is still creating its tables
    finally:
        db.close()
    return None if row is None else str(row[0])


def test_the_retry_of_a_request_whose_reply_was_lost_takes_effect_once(tmp_path: Path) -> None:
    broker = BrokerProcess(write_hall(tmp_path), tmp_path / "data")
    broker.start()
    journal = tmp_path / "data" / "journal.sqlite3"
    with broker.client("kiosk-1") as kiosk:
        assert kiosk.request("issue_ticket", {"service": "general"})["ticket"] == "A001"
    context = zmq.Context()
    dealer = context.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.connect(broker.endpoints["commands"])
    rid = "kiosk-1-lost-reply"
    dealer.send(encode_request(Request(rid, "issue_ticket", "kiosk-1", {"service": "general"})))
    deadline = time.monotonic() + 10
    first = stored_reply(journal, rid)
    while first is None and time.monotonic() < deadline:
        time.sleep(0.005)
        first = stored_reply(journal, rid)
    assert first is not None, "the broker never journaled the request"
    # The command is durable; the process dies and the client never reads its answer.
    broker.kill()
    dealer.close(linger=0)
    context.term()
    broker.start()
    try:
        with broker.client("kiosk-1") as kiosk:
            again = kiosk.request("issue_ticket", {"service": "general"}, request_id=rid)
            assert again == json.loads(first)["result"]
            assert again["ticket"] == "A002"
            assert kiosk.request("issue_ticket", {"service": "general"})["ticket"] == "A003"
            waiting = kiosk.request("snapshot")["view"]["services"]["general"]
            assert waiting["waiting"] == 3
    finally:
        broker.stop()
