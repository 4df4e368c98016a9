"""The broker's command handling with a real journal on disk, without sockets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from broker.journal import Journal
from broker.service import BrokerService
from config.schema import Hall
from protocol import envelope
from tests.conftest import at


class Clock:
    def __init__(self) -> None:
        self.now = at("09:00")

    def __call__(self) -> float:
        return self.now


def request(op: str, rid: str, **args: Any) -> bytes:
    return envelope.encode_request(envelope.Request(rid, op, "test-node", args))


def reply(service: BrokerService, raw: bytes) -> dict[str, Any]:
    return json.loads(service.handle(raw).reply)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(hall: Hall, tmp_path: Path, clock: Clock) -> BrokerService:
    return BrokerService(hall, Journal(tmp_path / "journal.sqlite3"), clock)


def test_issue_is_journaled_answered_and_published_with_gap_free_seq(
        service: BrokerService) -> None:
    first = service.handle(request("issue_ticket", "r1", service="general"))
    second = service.handle(request("issue_ticket", "r2", service="general"))
    assert json.loads(first.reply)["result"]["ticket"] == "A001"
    assert json.loads(second.reply)["result"]["ticket"] == "A002"
    published = [envelope.decode_event(frames) for frames in first.publish + second.publish]
    assert [e.seq for e in published] == [1, 2, 3]
    assert [e.type for e in published] == ["day_started", "ticket_issued", "ticket_issued"]
    assert published[-1].view["services"]["general"]["waiting"] == 2
    assert service.journal.last_seq() == 3


def test_a_retried_request_id_gets_the_first_reply_and_no_second_effect(
        service: BrokerService) -> None:
    first = service.handle(request("issue_ticket", "same", service="general"))
    again = service.handle(request("issue_ticket", "same", service="general"))
    assert again.reply == first.reply and again.publish == []
    assert service.journal.last_seq() == 2


def test_a_retried_refusal_gets_the_same_refusal(service: BrokerService) -> None:
    first = reply(service, request("call_next", "r1", counter=1))
    assert first["ok"] is True and first["result"]["ticket"] is None
    refused = reply(service, request("revive", "r2", ticket="A009"))
    service.handle(request("issue_ticket", "r3", service="general"))
    assert reply(service, request("revive", "r2", ticket="A009")) == refused
    assert refused["error"]["code"] == "unknown_ticket"


def test_restart_replays_the_journal_and_keeps_numbering(hall: Hall, tmp_path: Path,
                                                         clock: Clock) -> None:
    path = tmp_path / "journal.sqlite3"
    before = BrokerService(hall, Journal(path), clock)
    before.handle(request("issue_ticket", "r1", service="general"))
    before.handle(request("call_next", "r2", counter=1))
    before.journal.close()
    after = BrokerService(hall, Journal(path), clock)
    assert after.state == before.state and after.seq == before.seq
    assert after.snapshot() == before.snapshot()
    assert reply(after, request("issue_ticket", "r3", service="general"))["result"]["ticket"] == "A002"
    # The retried first request still gets its original answer after the restart.
    assert reply(after, request("issue_ticket", "r1", service="general"))["result"]["ticket"] == "A001"


@pytest.mark.parametrize(("raw", "code"), [
    (b"\xff\xfe", "bad_json"),
    (b"[1, 2]", "bad_json"),
    (b'{"v": 1, "id": "x", "op": "call_next", "node": "n"}', "bad_envelope"),
    (b'{"v": 9, "id": "x", "op": "call_next", "node": "n", "args": {}}', "unsupported_version"),
    (b'{"v": 1, "id": "x", "op": "explode", "node": "n", "args": {}}', "unknown_op"),
    (b'{"v": 1, "id": "x", "op": "call_next", "node": "n", "args": {}}', "bad_args"),
    (b'{"v": 1, "id": "x", "op": "call_next", "node": "n", "args": {"counter": 99}}',
     "unknown_counter"),
    (b'{"v": 1, "id": "x", "op": "issue_ticket", "node": "n", "args": {"service": "nope"}}',
     "unknown_service"),
    (b'{"v": 1, "id": "x", "op": "call_next", "node": "n", "args": {"counter": 1}, "pad": "'
     + b"x" * 70000 + b'"}', "too_large"),
])
def test_bad_input_gets_a_stable_code_and_changes_nothing(service: BrokerService, raw: bytes,
                                                          code: str) -> None:
    handled = service.handle(raw)
    answer = json.loads(handled.reply)
    assert answer["ok"] is False and answer["error"]["code"] == code
    assert answer["error"]["message"]
    assert handled.publish == [] and service.journal.last_seq() == 0


def test_journal_write_failure_refuses_and_recovers(service: BrokerService) -> None:
    service.handle(request("issue_ticket", "r1", service="general"))
    db = service.journal._db  # noqa: SLF001 - a real SQLite "disk full", not a fake
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count={pages}")
    failed = []
    for i in range(200):
        answer = reply(service, request("issue_ticket", f"fill{i}", service="general"))
        if not answer["ok"]:
            failed.append(answer)
            break
    assert failed and failed[0]["error"]["code"] == "journal_unavailable"
    assert "disk" in failed[0]["error"]["message"]
    issued_before = dict(service.state.next_number)
    db.execute("PRAGMA max_page_count=1073741823")
    retried = reply(service, request("issue_ticket", f"fill{i}", service="general"))
    assert retried["ok"] is True
    assert service.state.next_number["general"] == issued_before["general"] + 1


def test_snapshot_reflects_the_seq_and_the_view(service: BrokerService) -> None:
    service.handle(request("issue_ticket", "r1", service="general"))
    snap = reply(service, request("snapshot", "s1"))["result"]
    assert snap["seq"] == 2
    assert snap["view"]["services"]["general"]["next"] == ["A001"]
    assert snap["view"]["counters"]["1"]["mode"] == "open"


def test_a_snapshot_encodes_the_view_once_per_view_and_never_a_stale_one(
        service: BrokerService, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    encoded: list[Any] = []
    dumps = envelope.dumps

    def counting(obj: Any, what: str) -> bytes:
        if what == "snapshot view":
            encoded.append(obj)
        return dumps(obj, what)

    monkeypatch.setattr(envelope, "dumps", counting)
    service.handle(request("issue_ticket", "r1", service="general"))
    first = reply(service, request("snapshot", "s1"))
    clock.now += 5
    second = reply(service, request("snapshot", "s2"))
    assert len(encoded) == 1  # the same view: encoded once, the clock still fresh
    assert second["id"] == "s2" and second["result"]["now"] == first["result"]["now"] + 5
    assert second["result"] == {**service.snapshot(), "now": clock.now}
    service.handle(request("call_next", "r2", counter=1))
    third = reply(service, request("snapshot", "s3"))["result"]
    assert len(encoded) == 2 and third["seq"] > second["result"]["seq"]
    assert third["view"] == service.snapshot()["view"]
    assert third["view"]["counters"]["1"]["serving"] == "A001"


def test_tick_publishes_time_based_alerts_only_when_something_changes(
        service: BrokerService, clock: Clock) -> None:
    service.handle(request("issue_ticket", "r1", service="general"))
    assert service.tick() == []
    clock.now += 31 * 60
    frames = service.tick()
    assert [envelope.decode_event(f).type for f in frames] == ["alert_raised"]
    assert service.tick() == []


def test_a_request_id_reused_for_another_command_is_refused_not_swallowed(
        service: BrokerService) -> None:
    service.handle(request("issue_ticket", "dup", service="general"))
    answer = reply(service, request("call_next", "dup", counter=1))
    assert answer["ok"] is False and answer["error"]["code"] == "bad_envelope"
    assert "already used for issue_ticket" in answer["error"]["message"]
    assert service.state.counters[1].serving is None


def test_snapshot_args_are_checked_like_every_other_op(service: BrokerService) -> None:
    answer = reply(service, request("snapshot", "s1", full=True))
    assert answer["ok"] is False and answer["error"]["code"] == "bad_args"


def test_a_rule_refusal_travels_as_its_wire_code_with_params_and_is_stored(
        service: BrokerService) -> None:
    first = reply(service, request("call_next", "r9", counter=9))
    assert first["error"]["code"] == "unknown_counter"
    assert first["error"]["params"] == {"counter": 9, "counters": [1, 2, 3],
                                        "reason": "unknown_counter"}
    assert "counter 9" in first["error"]["message"]
    assert reply(service, request("call_next", "r9", counter=9)) == first
    service.handle(request("issue_ticket", "r10", service="general"))
    service.state.next_number["general"] = 99999
    used_up = reply(service, request("issue_ticket", "r11", service="general"))["error"]
    # Once conflated with "booking already checked in" as invalid_state.
    assert used_up["code"] == "numbers_used_up"
    assert used_up["params"] == {"service": "general", "limit": 99999,
                                 "reason": "numbers_used_up"}


def test_a_call_publishes_the_places_it_moved_once_and_mirrors_end_equal(
        service: BrokerService, clock: Clock) -> None:
    """A call that first finishes the counter's visitor moves every estimate (the mean) and
    then every place (the line): its events carry the places once, on the last one, and a
    mirror applying the events in order holds the broker's snapshot view."""
    from protocol.view import merge_view

    for rid in range(8):
        service.handle(request("issue_ticket", f"i{rid}", service="general"))
    reply(service, request("call_next", "c0", counter=1))
    before = reply(service, request("snapshot", "s0"))["result"]["view"]
    clock.now += 1800.0  # a long visit: the mean service time, and every estimate, move
    handled = service.handle(request("call_next", "c1", counter=1))
    events = [envelope.decode_event(frames) for frames in handled.publish]
    assert [e.type for e in events] == ["finished", "called"]
    assert "places" not in events[0].view and len(events[1].view["places"]) == 7
    mirrored = before
    for event in events:
        mirrored = merge_view(mirrored, event.view)
    assert mirrored == reply(service, request("snapshot", "s1"))["result"]["view"]
