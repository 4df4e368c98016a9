"""The rating pad's rules: scores, the window on the broker's clock, one per ticket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from broker.journal import Journal
from broker.service import BrokerService
from caller.rating import LEVELS, RATED_KEPT, RatingGate, score_for
from protocol import envelope
from protocol.view import PublicView
from tests.conftest import at, small_hall


def view(serving: str | None = None, last: str | None = None,
         last_at: float | None = None) -> PublicView:
    """Counter 3 as the broker publishes it, rating windows included (a 60 s window)."""
    rating = ([{"ticket": last, "until": last_at + 60.0}] if last and last_at is not None
              else []) + ([{"ticket": serving, "until": None}] if serving else [])
    return PublicView.parse({"counters": {"3": {
        "number": 3, "mode": "open", "serving": serving, "last_finished": last,
        "last_finished_at": last_at, "services": ["general"], "rating": rating}}})


class Broker:
    """The real broker service in this process, on a clock the test moves."""

    def __init__(self, tmp_path: Path) -> None:
        self.now = at("09:00")
        self.service = BrokerService(small_hall(rating_window_seconds=60),
                                     Journal(tmp_path / "journal.sqlite3"), lambda: self.now)

    def send(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        raw = envelope.encode_request(envelope.Request(envelope.new_request_id(), op, "admin",
                                                       args))
        reply = envelope.decode_reply(self.service.handle(raw).reply)
        assert reply["ok"], reply
        result: dict[str, Any] = reply["result"]
        return result

    def view(self) -> PublicView:
        return PublicView.parse(self.service.snapshot()["view"])


def test_scores_run_best_first_higher_is_better() -> None:
    assert [score_for(i, 3) for i in range(3)] == [3, 2, 1]
    assert [score_for(i, 5) for i in range(5)] == [5, 4, 3, 2, 1]
    assert [lvl.zh for lvl in LEVELS[3]] == ["满意", "基本满意", "不满意"]
    assert [lvl.zh for lvl in LEVELS[5]] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    with pytest.raises(ValueError):
        score_for(3, 3)


def test_pad_is_open_while_serving_and_the_window_after_finishing() -> None:
    gate = RatingGate(3, 3)
    assert gate.open_ticket(view(), 1000.0) is None
    assert gate.open_ticket(view(serving="A001"), None) == "A001"
    # Just finished and the next one called: the visitor at the pad is the one who left.
    assert gate.open_ticket(view(serving="A002", last="A001", last_at=1000.0), 1030.0) == "A001"
    assert gate.open_ticket(view(last="A001", last_at=1000.0), 1060.0) == "A001"
    assert gate.open_ticket(view(last="A001", last_at=1000.0), 1060.5) is None
    # Broker time unknown: a finished ticket does not open the pad.
    assert gate.open_ticket(view(last="A001", last_at=1000.0), None) is None


def test_press_outside_the_window_is_not_sent() -> None:
    gate = RatingGate(3, 3)
    decision = gate.press(0, view(last="A001", last_at=1000.0), 1100.0)
    assert (decision.send, decision.reason) == (False, "closed")


def test_one_rating_per_ticket_and_a_lost_one_can_be_given_again() -> None:
    gate = RatingGate(3, 3)
    first = gate.press(2, view(serving="A001"), 1000.0)
    assert (first.send, first.ticket, first.score) == (True, "A001", 1)
    second = gate.press(0, view(last="A001", last_at=1001.0), 1002.0)
    assert (second.send, second.reason) == (False, "already_rated")
    assert gate.open_ticket(view(serving="A001"), 1000.0) is None
    gate.failed("A001")
    assert gate.press(0, view(serving="A001"), 1000.0).send
    # The next visitor is a new ticket: the pad opens again.
    assert gate.press(1, view(serving="A002"), 1100.0).score == 2


def test_the_gate_remembers_a_bounded_number_of_rated_tickets() -> None:
    gate = RatingGate(3, 3)
    for number in range(RATED_KEPT + 1):
        assert gate.press(0, view(serving=f"A{number:04d}"), 1000.0).send
    # The oldest is forgotten; the newest are still refused a second rating.
    assert gate.open_ticket(view(serving="A0000"), 1000.0) == "A0000"
    assert gate.open_ticket(view(serving=f"A{RATED_KEPT:04d}"), 1000.0) is None
    assert len(gate._rated) == RATED_KEPT


def test_the_pad_rates_whom_the_broker_rates_after_call_next_finished_one_and_called_the_next(
        tmp_path: Path) -> None:
    """CALL NEXT finishes A001 and calls A002 in one press; the visitor at the pad is A001.

    The pad used to pick the ticket being served (A002) while the broker's rule rates
    the one just finished (A001): the visitor leaving rated the one arriving.
    """
    broker = Broker(tmp_path)
    for _ in range(2):
        broker.send("issue_ticket", {"service": "general"})
    broker.send("call_next", {"counter": 1})
    broker.now += 300.0
    called = broker.send("call_next", {"counter": 1})
    assert (called["finished"], called["ticket"]) == ("A001", "A002")
    gate = RatingGate(1, 3)
    broker.now += 30.0
    decision = gate.press(0, broker.view(), broker.now)
    assert (decision.send, decision.ticket) == (True, "A001")
    rated = broker.send("rate", {"counter": 1, "score": decision.score,
                                 "ticket": decision.ticket})
    assert rated["ticket"] == "A001"
    # Rated, or once its window is over, the pad turns to the visitor being served.
    assert gate.open_ticket(broker.view(), broker.now) == "A002"
    broker.now += 60.0
    assert gate.open_ticket(broker.view(), broker.now) == "A002"
