"""The day boundary (``hours.day_starts``): numbering restarts, nobody is lost.

A ticket waiting, held or being served when the hall's day turns is carried into the new
day and served there; the new day's numbering steps over the numbers carried tickets hold;
the report counts a carried ticket on its issue day.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.journal import JOURNAL_NAME, Journal
from broker.report_figures import build_report
from broker.service import BrokerService
from broker.rules import (Command, Event, HallState, RuleRefusal, execute, initial_state,
                          public_view, replay)
from config.schema import Hall
from tests.broker.test_report import Script
from tests.conftest import at, small_hall

DAY, NEXT = "2026-11-25", "2026-11-26"
MIN = 60.0


class Day:
    """A driver over the pure rules, keeping every event for replay."""

    def __init__(self, hall: Hall) -> None:
        self.state: HallState = initial_state(hall)
        self.events: list[Event] = []

    def do(self, when: float, op: str, **args: Any) -> dict[str, Any]:
        outcome = execute(self.state, Command(op, args), when)
        self.state = outcome.state
        self.events.extend(outcome.events)
        return outcome.result


def test_a_24_hour_hall_serves_waiting_tickets_across_midnight_in_order() -> None:
    d = Day(small_hall())
    for minute in (40, 45, 50):
        d.do(at("23:00") + minute * MIN, "issue_ticket", service="general")
    called = [d.do(at("00:05", NEXT) + n, "call_next", counter=1)["ticket"] for n in range(3)]
    assert called == ["A001", "A002", "A003"]
    started = [e for e in d.events if e.type == "day_started"]
    assert [e.data.get("carried") for e in started] == [[], ["A001", "A002", "A003"]]
    assert d.state.day == NEXT


def test_a_ticket_served_across_the_boundary_is_finished_normally() -> None:
    d = Day(small_hall())
    d.do(at("23:50"), "issue_ticket", service="general")
    d.do(at("23:55"), "call_next", counter=1)
    d.do(at("00:02", NEXT), "finish", counter=1)
    finished = [e for e in d.events if e.type == "finished"]
    assert [e.data["ticket"] for e in finished] == ["A001"]
    assert d.state.tickets["A001"].status == "finished"
    assert d.state.counter(1).serving is None


def test_the_new_day_steps_over_the_numbers_carried_tickets_hold() -> None:
    d = Day(small_hall())
    for _ in range(3):
        d.do(at("23:50"), "issue_ticket", service="general")
    d.do(at("23:51"), "call_next", counter=1)
    d.do(at("23:52"), "call_next", counter=1)  # A001 finished, A002 served, A003 waits
    first = d.do(at("00:01", NEXT), "issue_ticket", service="general")["ticket"]
    second = d.do(at("00:02", NEXT), "issue_ticket", service="general")["ticket"]
    assert first == "A001" and second == "A004"
    assert d.do(at("00:03", NEXT), "issue_ticket", service="reimburse")["ticket"] == "C001"


def test_a_held_ticket_is_carried_and_called_back() -> None:
    d = Day(small_hall())
    d.do(at("23:50"), "issue_ticket", service="general")
    d.do(at("23:51"), "call_next", counter=1)
    d.do(at("23:52"), "hold", counter=1)
    assert d.do(at("00:10", NEXT), "call_back", counter=1, ticket="A001")["ticket"] == "A001"


def test_day_starts_moves_the_boundary() -> None:
    hall = small_hall(hours={"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                             "periods": [{"start": "00:00", "end": "24:00"}],
                             "day_starts": "04:00"})
    d = Day(hall)
    d.do(at("23:50"), "issue_ticket", service="general")
    assert d.do(at("02:00", NEXT), "issue_ticket", service="general")["ticket"] == "A002"
    assert d.state.day == DAY
    d.do(at("03:00", NEXT), "call_next", counter=1)
    d.do(at("03:10", NEXT), "call_next", counter=1)
    d.do(at("03:20", NEXT), "finish", counter=1)
    assert d.do(at("04:00", NEXT), "issue_ticket", service="general")["ticket"] == "A001"
    assert d.state.day == NEXT


def test_a_journal_written_before_carry_over_replays_as_it_was() -> None:
    hall = small_hall()
    d = Day(hall)
    d.do(at("23:50"), "issue_ticket", service="general")
    old = [Event("day_started", at("00:01", NEXT),
                 {"day": NEXT, "previous": DAY, "expired": ["A001"]})]
    state = replay(hall, d.events + old)
    assert state.tickets == {} and state.queue("general") == []


OPS = st.lists(st.tuples(st.sampled_from(["issue", "call", "finish", "hold", "back"]),
                         st.integers(1, 2), st.integers(1, 180)), max_size=40)


def _step(d: Day, now: float, op: str, counter: int) -> None:
    if op == "issue":
        d.do(now, "issue_ticket", service="general")
        return
    held = d.state.counter(counter).held
    names = {"call": "call_next", "finish": "finish", "hold": "hold", "back": "call_back"}
    args: dict[str, Any] = {"counter": counter}
    if op == "back":
        if not held:
            return
        args["ticket"] = held[0]
    try:
        d.do(now, names[op], **args)
    except RuleRefusal:  # nothing to finish, nobody to hold: nothing changes
        pass


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS)
def test_numbers_stay_unique_and_replay_matches_across_boundaries(ops: list[Any]) -> None:
    d = Day(small_hall())
    now = at("22:00")
    for op, counter, minutes in ops:
        now += minutes * MIN
        before = {n for n, t in d.state.tickets.items()
                  if t.status in ("waiting", "serving", "held")}
        _step(d, now, op, counter)
        for event in d.events:
            if event.type == "ticket_issued" and event.at == now and event.data["ticket"] in before:
                raise AssertionError(f"{event.data['ticket']} issued while still alive")
        waiting = [n for n, t in d.state.tickets.items() if t.status == "waiting"]
        queued = [n for q in d.state.queues.values() for n in q]
        assert sorted(queued) == sorted(waiting)
    assert public_view(replay(d.state.hall, d.events)) == public_view(d.state)


def test_the_report_counts_a_carried_ticket_once_on_its_issue_day(tmp_path: Path) -> None:
    s = Script(small_hall(), tmp_path)
    s.do(14 * 60 + 50, "issue_ticket", service="general")            # 23:50 on DAY
    s.do(14 * 60 + 55, "call_next", counter=1)                      # 23:55
    s.do(0, "issue_ticket", day=NEXT, service="general")             # 09:00 next day: A002
    s.do(1, "finish", day=NEXT, counter=1)                           # A001 finished
    s.do(2, "call_next", day=NEXT, counter=1)
    s.do(3, "finish", day=NEXT, counter=1)
    live = s.service.view
    s.journal.close()
    journal = Journal(tmp_path / JOURNAL_NAME)
    try:
        stored = list(journal.events())
        # The broker restarted on this journal replays to the state it had live.
        assert BrokerService(s.service.state.hall, journal, lambda: at("09:04", NEXT)).view == live
    finally:
        journal.close()
    first = build_report(s.service.state.hall, stored, DAY, stored)
    second = build_report(s.service.state.hall, stored, NEXT, stored)
    assert (first.total.issued, first.total.finished) == (1, 1)
    assert (second.total.issued, second.total.finished) == (1, 1)
    assert first.total.service_mean_min is not None
