"""A node's health stays bounded: 32 components at most, and nodes gone from the hall file are
forgotten at the broker's next start (real BrokerService, real journal)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from broker.journal import Journal
from broker.rules.feedback import MAX_COMPONENTS_PER_NODE, hall_nodes
from broker.service import BrokerService
from config.schema import Hall
from protocol import envelope
from tests.conftest import at


def _report(service: BrokerService, node: str, rid: str, component: str,
            status: str = "ok") -> dict[str, Any]:
    raw = envelope.encode_request(envelope.Request(rid, "report_health", node, {
        "component": component, "status": status, "message": ""}))
    return json.loads(service.handle(raw).reply)


def test_a_node_may_report_32_components_and_no_new_one(hall: Hall, tmp_path: Path) -> None:
    service = BrokerService(hall, Journal(tmp_path / "j.sqlite3"), lambda: at("09:00"))
    for part in range(MAX_COMPONENTS_PER_NODE):
        assert _report(service, "display-1", f"r{part}", f"part-{part}")["ok"]
    refused = _report(service, "display-1", "r-new", "one-more")
    assert refused["error"]["code"] == "bad_args"
    assert refused["error"]["params"] == {"reason": "too_many_components", "node": "display-1",
                                          "component": "one-more", "limit": 32}
    # Known components still report, and another node has its own 32.
    assert _report(service, "display-1", "r-old", "part-3", "fault")["ok"]
    assert _report(service, "kiosk-1", "r-k", "printer")["ok"]
    assert len(service.view["health"]) == MAX_COMPONENTS_PER_NODE + 1


def test_nodes_gone_from_the_hall_file_are_forgotten_at_start(hall: Hall, tmp_path: Path) -> None:
    # display-9 reports (its key may exist) but the hall file does not name it.
    path = tmp_path / "j.sqlite3"
    service = BrokerService(hall, Journal(path), lambda: at("09:00"))
    assert _report(service, "caller-1", "a", "buttons", "fault")["ok"]
    assert _report(service, "display-9", "b", "audio", "fault")["ok"]
    assert _report(service, "display-9", "c", "screen")["ok"]
    assert set(service.view["alerts"]) == {"node:caller-1/buttons",
                                                           "node:display-9/audio"}
    service.journal.close()
    again = BrokerService(hall, Journal(path), lambda: at("09:05"))
    assert "display-9" not in hall_nodes(hall)
    assert set(again.view["health"]) == {"caller-1/buttons"}
    assert set(again.view["alerts"]) == {"node:caller-1/buttons"}
    again.journal.close()
    # The forgetting was journaled: a third start replays it and forgets nothing more.
    third = BrokerService(hall, Journal(path), lambda: at("09:10"))
    assert set(third.view["health"]) == {"caller-1/buttons"}
    assert third.seq == again.seq
