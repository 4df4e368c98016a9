"""Roles and rate limits in the broker's request handling (real journal, no sockets)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from broker.journal import Journal
from broker.security import Access
from broker.service import BrokerService
from config.schema import Hall
from config.security import Grant, Security
from protocol import envelope
from tests.conftest import at


class Ticks:
    """A monotonic clock for the rate limiter that moves only when told to."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(hall: Hall, tmp_path: Path, *, authenticated: bool = True,
         security: Security | None = None, ticks: Ticks | None = None) -> BrokerService:
    access = Access(security or Security(), authenticated=authenticated,
                    monotonic=ticks or Ticks())
    return BrokerService(hall, Journal(tmp_path / "journal.sqlite3"), lambda: at("09:00"),
                         access)


def send(broker: BrokerService, peer: str | None, op: str, node: str | None = None,
         rid: str | None = None, **args: Any) -> dict[str, Any]:
    raw = envelope.encode_request(envelope.Request(rid or envelope.new_request_id(), op,
                                                   node or peer or "anon", args))
    return json.loads(broker.handle(raw, peer).reply)


def code(reply: dict[str, Any]) -> str:
    return "ok" if reply["ok"] else reply["error"]["code"]


def test_each_role_may_use_its_ops_and_nothing_else(hall: Hall, tmp_path: Path) -> None:
    service = make(hall, tmp_path)
    assert code(send(service, "kiosk-1", "issue_ticket", service="general")) == "ok"
    assert code(send(service, "kiosk-1", "call_next", counter=1)) == "forbidden"
    assert code(send(service, "display-1", "snapshot")) == "ok"
    assert code(send(service, "display-1", "issue_ticket", service="general")) == "forbidden"
    assert code(send(service, "display-1", "report_health", component="screen",
                     status="ok")) == "ok"
    assert code(send(service, "caller-1", "call_next", counter=1)) == "ok"
    assert code(send(service, "caller-1", "open_counter", counter=1)) == "forbidden"
    assert code(send(service, "caller-1", "book_appointment", code="X1", service="general",
                     start="2026-11-25T10:00", end="2026-11-25T10:30")) == "forbidden"
    assert code(send(service, "admin", "close_counter", counter=2)) == "ok"
    assert code(send(service, "admin", "call_next", counter=3)) == "ok"
    # A forbidden request changed nothing: only the permitted issue is in the queue.
    view = send(service, "admin", "snapshot")["result"]["view"]
    assert view["counters"]["1"]["serving"] == "A001"


def test_a_caller_acting_for_another_counter_is_refused_and_logged(
        hall: Hall, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    service = make(hall, tmp_path)
    send(service, "kiosk-1", "issue_ticket", service="general")
    with caplog.at_level(logging.WARNING, logger="broker.security"):
        reply = send(service, "caller-3", "call_next", counter=2)
    assert code(reply) == "forbidden"
    assert "counter 3" in reply["error"]["message"]
    logged = [r.getMessage() for r in caplog.records]
    assert any("caller-3" in m and "call_next" in m and "counter 2" in m for m in logged)
    assert send(service, "admin", "snapshot")["result"]["view"]["counters"]["2"]["serving"] \
        is None


def test_the_envelope_must_name_the_key_that_sent_it(hall: Hall, tmp_path: Path) -> None:
    service = make(hall, tmp_path)
    forged = send(service, "display-1", "issue_ticket", node="kiosk-1", service="general")
    assert code(forged) == "forbidden" and "own key" in forged["error"]["message"]
    assert code(send(service, None, "snapshot", node="admin")) == "forbidden"
    assert code(send(service, "stranger", "snapshot")) == "forbidden"


def test_configured_roles_override_names(hall: Hall, tmp_path: Path) -> None:
    security = Security(roles={"desk-pc": Grant(role="caller", counter=2),
                               "kiosk-9": Grant(role="display")})
    service = make(hall, tmp_path, security=security)
    assert code(send(service, "desk-pc", "call_next", counter=2)) == "ok"
    assert code(send(service, "desk-pc", "call_next", counter=1)) == "forbidden"
    assert code(send(service, "kiosk-9", "issue_ticket", service="general")) == "forbidden"


def test_a_retried_request_is_still_checked_before_its_stored_reply(
        hall: Hall, tmp_path: Path) -> None:
    service = make(hall, tmp_path)
    first = send(service, "kiosk-1", "issue_ticket", rid="r-1", service="general")
    assert code(first) == "ok"
    assert code(send(service, "display-1", "issue_ticket", rid="r-1",
                     service="general")) == "forbidden"
    assert send(service, "kiosk-1", "issue_ticket", rid="r-1", service="general") == first


def test_past_its_rate_a_node_gets_rate_limited_then_recovers(hall: Hall,
                                                               tmp_path: Path) -> None:
    ticks = Ticks()
    service = make(hall, tmp_path, security=Security(rate_per_second=2, rate_burst=3),
                   ticks=ticks)
    codes = [code(send(service, "display-1", "snapshot")) for _ in range(5)]
    assert codes == ["ok", "ok", "ok", "rate_limited", "rate_limited"]
    # Garbage from an authenticated node costs a token too, and is answered, not fatal.
    limited = json.loads(service.handle(b"\xff" * 100, "display-1").reply)
    assert code(limited) == "rate_limited"
    assert code(send(service, "display-2", "snapshot")) == "ok", "other nodes are unaffected"
    assert all(code(send(service, "admin", "snapshot")) == "ok" for _ in range(50))
    ticks.now += 1.0
    assert code(send(service, "display-1", "snapshot")) == "ok"


def test_insecure_mode_takes_roles_from_the_envelope_and_admits_tools(
        hall: Hall, tmp_path: Path) -> None:
    service = make(hall, tmp_path, authenticated=False)
    assert code(send(service, None, "issue_ticket", node="kiosk-1", service="general")) == "ok"
    assert code(send(service, None, "call_next", node="caller-3", counter=2)) == "forbidden"
    # A name without a role is a tool (status, test driver): insecure mode trusts it.
    assert code(send(service, None, "call_next", node="status-cli", counter=2)) == "ok"


def test_the_console_has_its_own_higher_rate_for_all_its_clerks(hall: Hall,
                                                                tmp_path: Path) -> None:
    ticks = Ticks()
    service = make(hall, tmp_path, security=Security(rate_per_second=2, rate_burst=3,
                                                     web_rate_per_second=20, web_rate_burst=10),
                   ticks=ticks)
    web = [code(send(service, "web", "snapshot")) for _ in range(12)]
    assert web == ["ok"] * 10 + ["rate_limited"] * 2
    display = [code(send(service, "display-1", "snapshot")) for _ in range(4)]
    assert display == ["ok", "ok", "ok", "rate_limited"]
