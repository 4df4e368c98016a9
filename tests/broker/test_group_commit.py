"""Group commit: the requests drained in one loop turn share one transaction (one fsync),
are decided in order against each other's effects, and are answered only once durable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from broker.journal import Journal
from broker.service import BrokerService, Handled
from config.schema import Hall
from protocol import envelope
from tests.broker.test_service import Clock, request


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "journal.sqlite3")


@pytest.fixture
def service(hall: Hall, journal: Journal) -> BrokerService:
    return BrokerService(hall, journal, Clock())


def commits_during(journal: Journal) -> list[str]:
    """Every COMMIT SQLite runs on the journal's connection from now on (SQLite's own trace)."""
    seen: list[str] = []
    journal._db.set_trace_callback(  # noqa: SLF001 - the real connection's trace hook
        lambda sql: seen.append(sql) if sql.strip().upper() == "COMMIT" else None)
    return seen


def batch(service: BrokerService, *frames: bytes,
          early: list[int] | None = None) -> list[dict[str, Any]]:
    def told(index: int, _handled: Handled) -> None:
        if early is not None:
            early.append(index)

    answers = service.handle_batch([(frame, "kiosk-1") for frame in frames], told)
    return [json.loads(a.reply) for a in answers]


def test_a_batch_is_decided_in_order_and_written_in_one_transaction(
        service: BrokerService, journal: Journal) -> None:
    commits = commits_during(journal)
    handled = service.handle_batch([(request("issue_ticket", f"r{i}", service="general"), None)
                                    for i in range(5)])
    assert [json.loads(h.reply)["result"]["ticket"] for h in handled] == [
        "A001", "A002", "A003", "A004", "A005"]
    assert len(commits) == 1
    published = [envelope.decode_event(f) for h in handled for f in h.publish]
    assert [e.seq for e in published] == list(range(1, 7))
    assert published[-1].view["services"]["general"]["waiting"] == 5
    assert service.seq == journal.last_seq() == 6


def test_a_retry_in_the_same_batch_as_its_original_gets_its_reply_and_no_second_effect(
        service: BrokerService, journal: Journal) -> None:
    first = request("issue_ticket", "same", service="general")
    replies = batch(service, first, request("issue_ticket", "other", service="general"), first)
    assert replies[0] == replies[2]
    assert replies[0]["result"]["ticket"] == "A001"
    assert replies[1]["result"]["ticket"] == "A002"
    assert len([e for e in journal.events() if e.type == "ticket_issued"]) == 2
    # And after the batch, from the journal.
    assert batch(service, first)[0] == replies[0]


def test_a_refusal_and_its_retry_in_one_batch_agree(service: BrokerService) -> None:
    refused = request("call_next", "c1", counter=99)
    replies = batch(service, refused, refused)
    assert replies[0] == replies[1]
    assert replies[0]["ok"] is False and replies[0]["error"]["code"] == "unknown_counter"


def test_a_reused_id_for_another_command_in_the_same_batch_is_refused(
        service: BrokerService) -> None:
    replies = batch(service, request("issue_ticket", "x", service="general"),
                    request("call_next", "x", counter=1))
    assert replies[0]["ok"] is True
    assert replies[1]["error"]["code"] == "bad_envelope"


def test_reads_are_answered_at_once_from_the_durable_state(service: BrokerService) -> None:
    early: list[int] = []
    replies = batch(service, request("issue_ticket", "r1", service="general"),
                    request("snapshot", "s1"), early=early)
    assert early == [1]
    # The snapshot left before the batch was durable, so it shows the state before it.
    assert replies[1]["result"]["seq"] == 0
    assert replies[0]["result"]["ticket"] == "A001"


def test_a_failed_commit_acknowledges_nothing_of_the_batch(
        service: BrokerService, journal: Journal) -> None:
    batch(service, request("issue_ticket", "r0", service="general"))
    before_view, before_seq = service.view, service.seq
    journal._db.execute("PRAGMA query_only = ON")  # noqa: SLF001 - SQLite refuses every write
    replies = batch(service, request("issue_ticket", "r1", service="general"),
                    request("call_next", "r2", counter=1),
                    request("call_next", "r3", counter=99))
    assert [r["error"]["code"] for r in replies] == ["journal_unavailable"] * 3
    assert (service.view, service.seq) == (before_view, before_seq)
    journal._db.execute("PRAGMA query_only = OFF")  # noqa: SLF001 - the disk has room again
    again = batch(service, request("issue_ticket", "r1", service="general"))
    assert again[0]["result"]["ticket"] == "A002"
