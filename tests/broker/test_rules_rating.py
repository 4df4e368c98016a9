"""Whom a counter's rating pad rates: the broker publishes it, and ``rate`` records exactly that."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from broker.journal import Journal
from broker.rules import Command, HallState, RuleRefusal, execute, initial_state, public_view
from broker.service import BrokerService
from config.schema import Hall
from protocol import envelope
from protocol.view import PublicView
from tests.conftest import at, small_hall

WINDOW_S = 60.0


class Clock:
    def __init__(self) -> None:
        self.now = at("09:00")

    def __call__(self) -> float:
        return self.now


def _send(broker: BrokerService, op: str, **args: Any) -> dict[str, Any]:
    raw = envelope.encode_request(envelope.Request(envelope.new_request_id(), op, "caller-1",
                                                   args))
    reply = json.loads(broker.handle(raw).reply)
    assert reply["ok"], reply
    result: dict[str, Any] = reply["result"]
    return result


def _published_target(broker: BrokerService, counter: int, broker_now: float) -> str | None:
    view = PublicView.parse(broker.snapshot()["view"])
    return view.counters[counter].rating_target(broker_now)


def _call_next_twice(tmp_path: Path) -> tuple[BrokerService, Clock]:
    """Counter 1 served A001 for five minutes; CALL NEXT then finished it and called A002."""
    clock = Clock()
    broker = BrokerService(small_hall(rating_window_seconds=WINDOW_S),
                           Journal(tmp_path / "journal.sqlite3"), clock)
    _send(broker, "issue_ticket", service="general")
    _send(broker, "issue_ticket", service="general")
    _send(broker, "call_next", counter=1)
    clock.now += 300.0
    assert _send(broker, "call_next", counter=1)["ticket"] == "A002"
    return broker, clock


def test_after_call_next_the_pad_and_the_broker_rate_the_visitor_who_just_left(
        tmp_path: Path) -> None:
    broker, clock = _call_next_twice(tmp_path)
    clock.now += 10.0
    published = _published_target(broker, 1, clock.now)
    assert published == "A001"
    assert _send(broker, "rate", counter=1, score=3)["ticket"] == published


def test_after_the_window_both_turn_to_the_visitor_being_served(tmp_path: Path) -> None:
    broker, clock = _call_next_twice(tmp_path)
    clock.now += WINDOW_S + 1.0
    published = _published_target(broker, 1, clock.now)
    assert published == "A002"
    assert _send(broker, "rate", counter=1, score=3)["ticket"] == published
    # Rated: the pad goes dark, and the published view says so at once.
    assert _published_target(broker, 1, clock.now) is None


# --- the same, for any morning at one counter ---------------------------------------------------

ACTS = st.sampled_from(["issue", "call_next", "call_next", "finish", "rate", "no_show", "hold",
                        "recall"])
SECONDS = st.sampled_from([0, 1, 30, 59, 60, 61, 120])
"""Pauses and probes in whole seconds, around the 60 s window's edge (compared exactly)."""


def _act(state: HallState, act: str, now: float) -> HallState:
    command = {
        "issue": Command("issue_ticket", {"service": "general"}),
        "call_next": Command("call_next", {"counter": 1}),
        "finish": Command("finish", {"counter": 1}),
        "rate": Command("rate", {"counter": 1, "score": 2}),
        "no_show": Command("no_show", {"counter": 1}),
        "hold": Command("hold", {"counter": 1}),
        "recall": Command("recall", {"counter": 1}),
    }[act]
    try:
        return execute(state, command, now).state
    except RuleRefusal:
        return state


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(st.tuples(ACTS, SECONDS), min_size=1, max_size=20), probe=SECONDS)
def test_the_published_target_is_what_rate_records_at_any_moment(
        steps: list[tuple[str, int]], probe: int) -> None:
    hall: Hall = small_hall(rating_window_seconds=WINDOW_S)
    state = initial_state(hall)
    now = at("09:00")
    for _ in range(3):
        state = _act(state, "issue", now)
    for act, pause in steps:
        now += pause
        state = _act(state, act, now)
    when = now + probe
    published = PublicView.parse(public_view(state)).counters[1].rating_target(when)
    try:
        rated = execute(state, Command("rate", {"counter": 1, "score": 2}), when)
    except RuleRefusal as refusal:
        assert published is None, (published, refusal.code)
    else:
        assert rated.result["ticket"] == published
