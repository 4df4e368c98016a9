"""The rating pad's rules: scores, the window on the broker's clock, one per ticket."""

from __future__ import annotations

import pytest

from caller.rating import LEVELS, RATED_KEPT, RatingGate, score_for


def view(serving: str | None = None, last: str | None = None,
         last_at: float | None = None) -> dict:
    return {"counters": {"3": {"number": 3, "mode": "open", "serving": serving,
                               "last_finished": last, "last_finished_at": last_at,
                               "services": ["general"]}}}


def test_scores_run_best_first_higher_is_better() -> None:
    assert [score_for(i, 3) for i in range(3)] == [3, 2, 1]
    assert [score_for(i, 5) for i in range(5)] == [5, 4, 3, 2, 1]
    assert [lvl.zh for lvl in LEVELS[3]] == ["满意", "基本满意", "不满意"]
    assert [lvl.zh for lvl in LEVELS[5]] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    with pytest.raises(ValueError):
        score_for(3, 3)


def test_pad_is_open_while_serving_and_the_window_after_finishing() -> None:
    gate = RatingGate(3, 3, window_s=60.0)
    assert gate.open_ticket(view(), 1000.0) is None
    assert gate.open_ticket(view(serving="A001"), None) == "A001"
    assert gate.open_ticket(view(last="A001", last_at=1000.0), 1060.0) == "A001"
    assert gate.open_ticket(view(last="A001", last_at=1000.0), 1060.5) is None
    # Broker time unknown: a finished ticket does not open the pad.
    assert gate.open_ticket(view(last="A001", last_at=1000.0), None) is None


def test_press_outside_the_window_is_not_sent() -> None:
    gate = RatingGate(3, 3, window_s=60.0)
    decision = gate.press(0, view(last="A001", last_at=1000.0), 1100.0)
    assert (decision.send, decision.reason) == (False, "closed")


def test_one_rating_per_ticket_and_a_lost_one_can_be_given_again() -> None:
    gate = RatingGate(3, 3, window_s=60.0)
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
    gate = RatingGate(3, 3, window_s=60.0)
    for number in range(RATED_KEPT + 1):
        assert gate.press(0, view(serving=f"A{number:04d}"), 1000.0).send
    # The oldest is forgotten; the newest are still refused a second rating.
    assert gate.open_ticket(view(serving="A0000"), 1000.0) == "A0000"
    assert gate.open_ticket(view(serving=f"A{RATED_KEPT:04d}"), 1000.0) is None
    assert len(gate._rated) == RATED_KEPT
