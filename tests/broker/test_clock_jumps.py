"""Wall-clock jumps: the broker keeps its own time, alerts staff and moves no day on a jump.

Every scenario drives the real BrokerService (real journal on disk) with an injected wall
clock and monotonic clock; nothing sleeps.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from broker.clock import ClockPolicy, TrustedClock
from broker.journal import Journal
from broker.service import BrokerService
from config.schema import Hall
from protocol import envelope
from tests.conftest import at

HOUR = 3600.0


class Clocks:
    """A wall clock that can be set like a person or NTP would, and a monotonic clock."""

    def __init__(self, start: float) -> None:
        self.wall = start
        self.mono = 1000.0

    def pass_s(self, seconds: float) -> None:
        """Real time passes: both clocks move."""
        self.wall += seconds
        self.mono += seconds

    def trusted(self, policy: ClockPolicy = ClockPolicy()) -> TrustedClock:
        return TrustedClock(lambda: self.wall, lambda: self.mono, policy)


def _ask(broker: BrokerService, op: str, rid: str, **args: Any) -> dict[str, Any]:
    raw = envelope.encode_request(envelope.Request(rid, op, "admin", args))
    return json.loads(broker.handle(raw).reply)


def _open(hall: Hall, path: Path, clocks: Clocks) -> BrokerService:
    return BrokerService(hall, Journal(path / "journal.sqlite3"), clocks.trusted())


def _ticket(service: BrokerService, rid: str) -> str:
    answer = _ask(service, "issue_ticket", rid, service="general")
    assert answer["ok"], answer
    return str(answer["result"]["ticket"])


def _journaled_ops(service: BrokerService) -> list[str]:
    rows = service.journal._db.execute(  # noqa: SLF001 - reading the audit trail back
        "SELECT op FROM events ORDER BY seq").fetchall()
    return [row[0] for row in rows]


def test_a_short_forward_jump_moves_no_day_and_is_alerted_then_cleared(
        hall: Hall, tmp_path: Path) -> None:
    clocks = Clocks(at("10:00"))
    service = _open(hall, tmp_path, clocks)
    assert _ticket(service, "r1") == "A001"
    clocks.wall += 10 * HOUR  # +10 h for 6 s
    clocks.mono += 6
    service.tick()
    assert service.state.day == "2026-11-25"
    assert service.state.tickets["A001"].status == "waiting"
    alert = next(iter(service.view["alerts"].values()), None)
    assert alert is not None and alert["code"] == "clock_jump"
    assert alert["params"] == {"minutes": 600}
    assert _ticket(service, "r2") == "A002"  # during the jump: today, still open
    assert service.state.tickets["A002"].issued_at < at("10:01")
    clocks.wall -= 10 * HOUR  # corrected
    clocks.pass_s(5)
    service.tick()
    assert not service.view["alerts"]
    assert service.view["ticketing"]["open"] is True
    assert _ticket(service, "r3") == "A003"
    assert [t.status for t in service.state.tickets.values()] == ["waiting"] * 3


def test_a_two_day_jump_and_back_never_reissues_a_number(hall: Hall, tmp_path: Path) -> None:
    clocks = Clocks(at("10:00"))
    service = _open(hall, tmp_path, clocks)
    assert [_ticket(service, "a"), _ticket(service, "b")] == ["A001", "A002"]
    clocks.wall += 48 * HOUR
    clocks.pass_s(30)
    assert _ticket(service, "c") == "A003"
    clocks.wall -= 48 * HOUR
    clocks.pass_s(30)
    service.tick()
    assert _ticket(service, "d") == "A004"
    assert "clock_jump" in _journaled_ops(service)


def test_a_correction_back_after_a_restart_leaves_the_hall_open(
        hall: Hall, tmp_path: Path) -> None:
    clocks = Clocks(at("10:00"))
    service = _open(hall, tmp_path, clocks)
    _ticket(service, "a")
    clocks.wall += 16 * HOUR  # 02:00 tomorrow, for 6 s
    clocks.pass_s(6)
    service.tick()
    service.journal.close()
    clocks.wall -= 16 * HOUR  # corrected while the broker restarts
    clocks.pass_s(20)
    again = _open(hall, tmp_path, clocks)
    assert again.view["ticketing"]["open"] is True
    assert _ticket(again, "b") == "A002"
    assert again.state.tickets["A001"].status == "waiting"


def test_a_wall_clock_behind_the_journal_at_start_never_sends_time_back(
        hall: Hall, tmp_path: Path) -> None:
    clocks = Clocks(at("10:00"))
    service = _open(hall, tmp_path, clocks)
    _ticket(service, "a")
    service.journal.close()
    clocks.wall = at("08:00")  # a Pi without a real-time clock boots with a stale time
    clocks.mono += 60
    again = _open(hall, tmp_path, clocks)
    assert any(a["code"] == "clock_jump" for a in again.view["alerts"].values())
    assert again.clock() >= at("10:00")
    assert _ticket(again, "b") == "A002"
    assert again.state.tickets["A002"].issued_at >= again.state.tickets["A001"].issued_at


def test_a_wall_clock_that_keeps_its_new_time_is_taken_after_the_confirmation(
        hall: Hall, tmp_path: Path) -> None:
    # NTP sets right a clock that was a day behind: after clock_confirm_s the broker takes it.
    clocks = Clocks(at("10:00", "2026-11-24"))
    service = _open(hall, tmp_path, clocks)
    _ticket(service, "a")
    clocks.wall += 24 * HOUR
    for _ in range(59):
        clocks.pass_s(5)
        service.tick()
    assert service.state.day == "2026-11-24"
    clocks.pass_s(10)
    service.tick()
    assert service.state.day == "2026-11-25"
    # The clock alert is gone; yesterday's A001 was carried over and still waits (a day).
    assert [a["kind"] for a in service.view["alerts"].values()] == ["longest_wait"]
    assert _ticket(service, "b") == "A002"


def test_durations_run_with_the_monotonic_clock_during_a_jump(hall: Hall, tmp_path: Path) -> None:
    clocks = Clocks(at("10:00"))
    service = _open(hall, tmp_path, clocks)
    _ticket(service, "a")
    _ask(service, "call_next", "c", counter=1)
    clocks.wall -= 3 * HOUR
    clocks.pass_s(90)
    answer = _ask(service, "finish", "f", counter=1)
    assert answer["ok"]
    assert service.state.service_times["general"] == (90.0,)


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.tuples(st.floats(0, 600), st.floats(-3 * 86400, 3 * 86400)),
                      max_size=30))
def test_the_trusted_clock_never_goes_back_and_ignores_short_jumps(
        steps: list[tuple[float, float]]) -> None:
    policy = ClockPolicy(jump_s=120.0, confirm_s=300.0)
    clocks = Clocks(at("10:00"))
    clock = clocks.trusted(policy)
    clock.start(0.0)
    last = clock()
    for elapsed, jump in steps:
        clocks.pass_s(elapsed)
        clocks.wall += jump
        now = clock()
        assert now >= last
        if elapsed < policy.confirm_s and abs(jump) > 2 * policy.jump_s:
            # A fresh jump is never followed at once: time moves only by the elapsed seconds.
            assert now - last <= elapsed + policy.jump_s
        last = now


@settings(max_examples=80, deadline=None)
@given(changes=st.lists(st.tuples(st.sampled_from(["jumped", "agreed", "adopted"]),
                                  st.floats(-5 * 86400, 5 * 86400)), min_size=1, max_size=8),
       issued=st.integers(0, 4))
def test_clock_reports_change_only_the_clock_alert(
        changes: list[tuple[str, float]], issued: int) -> None:
    from broker.rules import Command, execute, initial_state
    from tests.conftest import small_hall

    now = at("10:00")
    state = execute(initial_state(small_hall()), Command("tick", {}, "broker"), now).state
    for _ in range(issued):
        state = execute(state, Command("issue_ticket", {"service": "general"}, "kiosk-1"),
                        now).state
    before = (state.day, dict(state.tickets), {s: list(q) for s, q in state.queues.items()},
              dict(state.counters), dict(state.next_number))
    for change, skew in changes:
        state = execute(state, Command("clock_jump", {"change": change, "skew_s": skew},
                                       "broker"), now).state
        assert (state.day, dict(state.tickets), {s: list(q) for s, q in state.queues.items()},
                dict(state.counters), dict(state.next_number)) == before
        assert ("clock:jump" in state.alerts) == (change == "jumped")


def test_a_jump_past_closing_time_and_back_leaves_ticketing_open(tmp_path: Path) -> None:
    from tests.conftest import small_hall

    hall = small_hall(hours={"days": ["mon", "tue", "wed", "thu", "fri"],
                             "periods": [{"start": "08:30", "end": "17:00"}]})
    clocks = Clocks(at("10:00"))
    service = _open(hall, tmp_path, clocks)
    assert _ticket(service, "a") == "A001"
    clocks.wall += 10 * HOUR  # 20:00: after hours, if the jump were believed
    clocks.pass_s(6)
    service.tick()
    assert service.view["ticketing"]["open"] is True
    clocks.wall -= 10 * HOUR
    clocks.pass_s(5)
    service.tick()
    assert service.view["ticketing"]["open"] is True
    assert _ticket(service, "b") == "A002"


def test_no_node_can_send_the_brokers_own_clock_command(hall: Hall, tmp_path: Path) -> None:
    clocks = Clocks(at("10:00"))
    service = _open(hall, tmp_path, clocks)
    for op in ("clock_jump", "expire_nodes", "tick"):
        answer = _ask(service, op, f"r-{op}", change="jumped", skew_s=36000.0)
        assert answer["error"]["code"] == "unknown_op", op
    assert not service.view["alerts"]
