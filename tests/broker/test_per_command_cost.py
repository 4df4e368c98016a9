"""The constant cost of one command, counted (never timed): what the request path no longer
does per command, and the same answers it gives without that work.

Every cut here was found by profiling the broker on a short line (issue #17): parsing the
same "HH:MM" period bounds several times a command, a pydantic ``Period`` built for each
``day_of``, ``dataclasses.replace`` for every ticket, counter and state copy, a fresh JSON
encoder or decoder for every frame. ``test_a_short_line_command_stays_within_its_call_budget``
holds the sum of it: Python calls per command, as a profiler counts them.
"""

from __future__ import annotations

import cProfile
import itertools
import json
import pstats
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import pytest

from broker.journal import Journal
from broker.rules import Command, execute, initial_state
from broker.rules.model import CounterState, HallState, Ticket, changed
from broker.service import BrokerService
from config import hours, hours_table
from config.schema import Hall
from protocol import envelope
from tests.broker.test_service import Clock
from tests.conftest import at, small_hall

CALLS_PER_COMMAND = 850
"""Python calls per command allowed (issue_ticket and call_next in turn, short line, fsync
off, in process, the small hall): 985 on main before these cuts, 716 after. The view's own
cost (``view_delta``) is most of what is left."""


def _frames(count: int) -> Iterator[bytes]:
    """issue_ticket and call_next in turn, as the idle round-trip bench sends them."""
    counters = itertools.cycle((1, 2, 3))
    for i in range(count):
        if i % 2 == 0:
            yield envelope.encode_request(envelope.Request(
                f"r{i}", "issue_ticket", "kiosk-1", {"service": "general"}))
        else:
            yield envelope.encode_request(envelope.Request(
                f"r{i}", "call_next", "caller-1", {"counter": next(counters)}))


def test_a_short_line_command_stays_within_its_call_budget(hall: Hall, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    journal._db.execute("PRAGMA synchronous=OFF")  # noqa: SLF001 - counting calls, not fsyncs
    clock = Clock()
    service = BrokerService(hall, journal, clock)
    try:
        frames = _frames(260)
        for frame in itertools.islice(frames, 60):  # warm: the day started, lines short
            clock.now += 1.0
            assert json.loads(service.handle(frame).reply)["ok"]
        profile = cProfile.Profile()
        for frame in frames:
            clock.now += 1.0
            profile.enable()
            answer = service.handle(frame)
            profile.disable()
            assert json.loads(answer.reply)["ok"] and answer.publish
        calls = pstats.Stats(profile).total_calls / 200  # type: ignore[attr-defined]
    finally:
        journal.close()
    assert calls <= CALLS_PER_COMMAND, f"{calls:.0f} Python calls per command"


def test_period_bounds_are_parsed_once_per_text() -> None:
    hall = small_hall()
    hours_table.time_of_day.cache_clear()
    state = execute(initial_state(hall), Command("tick", {}), at("09:00")).state
    for minute in range(30):
        state = execute(state, Command("issue_ticket", {"service": "general"}),
                        at(f"09:{minute + 1:02d}")).state
    texts = {hall.hours.day_starts} | {text for period in hall.hours.periods
                                      for text in (period.start, period.end)}
    assert hours_table.time_of_day.cache_info().misses <= len(texts)


def test_the_bounds_read_as_before() -> None:
    assert hours_table.time_of_day("08:30").isoformat() == "08:30:00"
    assert hours_table.time_of_day("24:00").isoformat() == "23:59:59.999999"
    hall = small_hall()
    assert hours.day_start_time(hall).isoformat() == "00:00:00"
    assert hours.day_of(hall, at("00:30")) == "2026-11-25"


def test_day_of_builds_no_period_model(monkeypatch: pytest.MonkeyPatch) -> None:
    built = [0]
    original = hours_table.Period.__init__

    def counting(self: Any, **data: Any) -> None:
        built[0] += 1
        original(self, **data)

    monkeypatch.setattr(hours_table.Period, "__init__", counting)
    hall = small_hall()
    for minute in range(10):
        hours.day_of(hall, at(f"09:{minute:02d}"))
    assert built[0] == 0


def test_changed_equals_replace_and_refuses_what_replace_refuses() -> None:
    ticket = Ticket("A001", "general", "walkin", 1.0, 1.0)
    fast = changed(ticket, status="serving", counter=3)
    assert fast == replace(ticket, status="serving", counter=3)
    assert hash(fast) == hash(replace(ticket, status="serving", counter=3))
    assert ticket.status == "waiting" and type(fast) is Ticket
    with pytest.raises(TypeError):
        changed(ticket, statuss="serving")
    with pytest.raises(AttributeError):
        fast.status = "finished"  # type: ignore[misc] - still frozen
    counter = CounterState(1)
    assert changed(counter, held=("A001",)).held == ("A001",) and counter.held == ()


def test_the_state_copy_is_the_state_with_containers_of_its_own() -> None:
    state = execute(initial_state(small_hall()), Command("issue_ticket", {"service": "general"}),
                    at("09:00")).state
    twin = state.copy()
    assert type(twin) is HallState and twin == state
    twin.own_queue("general").append("X999")
    twin.counters[1] = changed(twin.counters[1], mode="paused")
    twin.next_number["general"] = 99
    assert "X999" not in state.queue("general")
    assert state.counters[1].mode != "paused" and state.next_number.get("general") != 99


def test_frames_are_coded_without_a_new_json_coder_each(monkeypatch: pytest.MonkeyPatch) -> None:
    built = [0]
    for cls in (json.JSONEncoder, json.JSONDecoder):
        original = cls.__init__

        def counting(self: Any, *args: Any, _original: Any = original, **kwargs: Any) -> None:
            built[0] += 1
            _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__init__", counting)
    frame = envelope.encode_request(envelope.Request("r1", "issue_ticket", "kiosk-1",
                                                     {"service": "general"}))
    request = envelope.decode_request(frame)
    envelope.ok_reply(request.id, {"ticket": "A001"})
    assert built[0] == 0
    with pytest.raises(envelope.ProtocolError) as refused:
        envelope.decode_request(frame.replace(b'"general"', b"NaN"))
    assert refused.value.code == "bad_json"


class _Counting:
    """A journal connection that counts the statements it is given (and can fail one)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.statements: list[str] = []
        self.fail_next_insert = False

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        self.statements.append(sql.split()[0])
        return self.db.execute(sql, *args)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        self.statements.append(sql.split()[0])
        if self.fail_next_insert:
            self.fail_next_insert = False
            raise sqlite3.OperationalError("disk I/O error")
        return self.db.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.db, name)


def test_a_batch_is_written_with_one_statement_per_table(hall: Hall, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    clock = Clock()
    service = BrokerService(hall, journal, clock)
    try:
        counting = _Counting(journal._db)  # noqa: SLF001
        journal._db = counting  # type: ignore[assignment]  # noqa: SLF001
        answers = service.handle_batch([(frame, None) for frame in _frames(10)])
        assert all(json.loads(answer.reply)["ok"] for answer in answers)
        writes = [s for s in counting.statements if s != "SELECT"]
        assert writes == ["BEGIN", "INSERT", "INSERT", "COMMIT"]
        seqs = [json.loads(frames[1])["seq"] for answer in answers for frames in answer.publish]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))) and seqs[-1] == journal.last_seq()
    finally:
        journal.close()


def test_after_a_failed_write_the_numbering_goes_on_from_the_file(
        hall: Hall, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    clock = Clock()
    service = BrokerService(hall, journal, clock)
    try:
        frames = _frames(6)
        first = service.handle(next(frames))
        counting = _Counting(journal._db)  # noqa: SLF001
        journal._db = counting  # type: ignore[assignment]  # noqa: SLF001
        counting.fail_next_insert = True
        failed = json.loads(service.handle(next(frames)).reply)
        assert not failed["ok"] and failed["error"]["code"] == "journal_unavailable"
        before = journal.last_seq()
        again = service.handle(next(frames))
        assert json.loads(again.reply)["ok"] and first.publish
        assert [json.loads(f[1])["seq"] for f in again.publish] == \
            list(range(before + 1, journal.last_seq() + 1))
    finally:
        journal.close()


def test_a_copy_shares_the_waiting_lines_until_either_state_writes_one() -> None:
    state = initial_state(small_hall())
    for minute in range(5):
        state = execute(state, Command("issue_ticket", {"service": "general"}),
                        at(f"09:0{minute}")).state
    line = list(state.queue("general"))
    twin = state.copy()
    assert twin.queues["general"] is state.queues["general"], "a line copied per command"
    twin.own_queue("general").remove(line[0])
    assert state.queue("general") == line and twin.queue("general") == line[1:]
    grandchild = twin.copy()
    twin.own_queue("general").append("Z999")  # the parent writes after being copied
    assert grandchild.queue("general") == line[1:] and state.queue("general") == line
    state.own_queue("general").append("Z998")
    assert twin.queue("general") == [*line[1:], "Z999"]


def test_deciding_never_changes_the_lines_of_the_state_it_was_given() -> None:
    state = initial_state(small_hall())
    script = [("issue_ticket", {"service": "general"})] * 4 + [
        ("call_next", {"counter": 1}), ("no_show", {"counter": 1}),
        ("revive", {"ticket": "A001"}), ("call_next", {"counter": 2}),
        ("transfer", {"counter": 2, "service": "reimburse"})]
    for minute, (op, args) in enumerate(script):
        before = {service: list(line) for service, line in state.queues.items()}
        after = execute(state, Command(op, args), at(f"09:{minute:02d}")).state
        assert {service: list(line) for service, line in state.queues.items()} == before, op
        state = after
