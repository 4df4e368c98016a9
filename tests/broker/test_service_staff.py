"""Staff through the real BrokerService and journal: the read-only staff ops, the envelope's
``staff`` and the roles, and no PIN hash in any published event, snapshot, log or report."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from broker.journal import Journal
from broker.security import Access
from broker.service import BrokerService
from callnext.cli import main
from config.load import load_hall
from config.security import Security
from foundation.pins import hash_pin, verify_pin
from protocol import envelope, errors
from tests.conftest import at

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")


class Broker:
    """A BrokerService on the example hall with roles checked as in insecure mode."""

    def __init__(self, data: Path) -> None:
        self.now = at("09:00")
        self.data = data
        self.service = BrokerService(load_hall(CONFIG), Journal(data / "journal.sqlite3"),
                                     lambda: self.now,
                                     access=Access(Security(), authenticated=False))
        self.published: list[bytes] = []
        self.count = 0

    def send(self, op: str, node: str = "admin", staff: str | None = None,
             args: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
        """One request; ``staff`` is the envelope's, ``args``/``more`` the op's."""
        self.count += 1
        raw = envelope.encode_request(envelope.Request(f"r{self.count}", op, node,
                                                       {**(args or {}), **more}, staff=staff))
        handled = self.service.handle(raw)
        self.published += [frame for frames in handled.publish for frame in frames]
        self.now += 10.0
        answer: dict[str, Any] = json.loads(handled.reply)
        return answer


@pytest.fixture
def broker(tmp_path: Path) -> Broker:
    return Broker(tmp_path)


def test_staff_reads_answer_their_own_results_and_are_not_journaled(broker: Broker) -> None:
    pin_hash = hash_pin("2580")
    broker.send("staff_add", id="1024", name="张三", role="clerk", pin_hash=pin_hash)
    broker.send("sign_in", node="web", args={"staff": "1024", "counter": 1})
    seq = broker.service.journal.last_seq()
    listed = broker.send("staff_list", node="web")
    assert listed["result"] == {"staff": [{"id": "1024", "name": "张三", "role": "clerk",
                                           "enabled": True, "counter": 1}]}
    credential = broker.send("staff_credential", node="web", id="1024")["result"]
    assert verify_pin("2580", credential["pin_hash"]) and credential["enabled"] is True
    unknown = broker.send("staff_credential", node="web", id="77")["error"]
    assert (unknown["code"], unknown["params"]["staff"]) == (errors.STAFF_UNKNOWN, "77")
    assert broker.send("staff_credential", node="kiosk-1", id="1024")["error"]["code"] == \
        errors.FORBIDDEN
    assert broker.send("snapshot", node="web")["result"]["seq"] == seq
    assert broker.service.journal.last_seq() == seq, "reads change nothing"


def test_only_the_console_names_staff_and_it_must_for_clerk_and_manager_ops(
        broker: Broker) -> None:
    broker.send("staff_add", id="9", name="李四", role="manager", pin_hash=hash_pin("1111"))
    missing = broker.send("open_counter", node="web", counter=1)["error"]
    assert missing["code"] == errors.FORBIDDEN and "staff" in missing["message"]
    assert broker.send("call_next", node="caller-1", staff="9", counter=1)["error"]["code"] == \
        errors.FORBIDDEN
    assert broker.send("open_counter", node="web", staff="9", counter=1)["ok"] is True
    refused = broker.send("call_next", node="web", staff="9", counter=1)["error"]
    assert refused["code"] == errors.STAFF_NOT_AT_COUNTER
    bad = broker.send  # a staff id that is not 1-16 digits is an envelope error
    with pytest.raises(errors.ProtocolError):
        bad("snapshot", node="web", staff="12ab")
    raw = json.dumps({"v": 1, "id": "x1", "op": "snapshot", "node": "web", "args": {},
                      "staff": 1024}).encode()
    assert json.loads(broker.service.handle(raw).reply)["error"]["code"] == errors.BAD_ENVELOPE


def test_no_pin_hash_in_events_snapshots_logs_or_reports(
        broker: Broker, caplog: pytest.LogCaptureFixture,
        capsys: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    first, second = hash_pin("2580"), hash_pin("13579")
    secrets = (first, second, first.split("$")[-1], second.split("$")[-1], "2580", "13579")
    broker.send("staff_add", id="1024", name="张三", role="clerk", pin_hash=first)
    broker.send("staff_set_pin", id="1024", pin_hash=second)
    broker.send("staff_add", id="1024", name="张三", role="clerk", pin_hash=first)  # refused
    broker.send("staff_add", id="5", name="x", role="clerk", pin_hash="2580")  # bad_args
    broker.send("sign_in", node="web", args={"staff": "1024", "counter": 1})
    broker.send("issue_ticket", node="kiosk-1", service="general")
    broker.send("call_next", node="web", staff="1024", counter=1)
    snapshot = json.dumps(broker.send("snapshot", node="web"), ensure_ascii=False)
    listed = json.dumps(broker.send("staff_list", node="web"), ensure_ascii=False)
    published = b"".join(broker.published).decode("utf-8")
    assert '"signed_in"' in published and '"staff_added"' in published
    assert "张三" not in published, "a staff member's name is never published"
    day = broker.service.state.day
    broker.service.journal.close()
    assert main(["report", "--config", CONFIG, "--data", str(broker.data), "--date",
                 str(day)]) == 0
    assert main(["journal", "verify", "--file", str(broker.data / "journal.sqlite3")]) == 0
    printed = capsys.readouterr()
    logs = "\n".join(record.getMessage() for record in caplog.records)
    for where, text in (("PUB", published), ("snapshot", snapshot), ("staff_list", listed),
                        ("logs", logs), ("report/journal", printed.out + printed.err)):
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{where} carries a PIN or hash"
