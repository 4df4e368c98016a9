"""The per-command path's cheap checks keep refusing what the expensive ones refused."""

from __future__ import annotations

import json
from pathlib import Path

from broker.journal import Journal
from broker.service import BrokerService
from config.schema import Hall
from tests.broker.test_service import Clock


def test_a_lone_surrogate_nested_deeper_than_the_walk_is_still_refused(
        hall: Hall, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    service = BrokerService(hall, journal, Clock())
    try:
        depth = 70  # deeper than the 64 levels the decoder once walked
        args = b'{"service": "general", "x": ' + b"[" * depth + b'"\\udc00"' + b"]" * depth + b"}"
        frame = b'{"v": 1, "id": "deep", "op": "issue_ticket", "node": "kiosk-1", "args": ' + \
            args + b"}"
        answer = json.loads(service.handle(frame).reply)
        assert not answer["ok"] and answer["error"]["code"] == "bad_json"
        assert "surrogate" in answer["error"]["message"]
        assert journal.last_seq() == 0
    finally:
        journal.close()
