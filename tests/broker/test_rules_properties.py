"""Property tests of the queue rules: whatever staff press, in whatever order."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.rules import Command, Event, HallState, RuleRefusal, execute, initial_state, replay
from broker.rules.refusals import REFUSAL_PARAMS
from tests.conftest import at, small_hall

SERVICES = ("general", "reimburse", "priority", "appointment")
COUNTERS = (1, 2, 3)

counter = st.sampled_from(COUNTERS)
step = st.one_of(
    st.tuples(st.just("issue_ticket"),
              st.fixed_dictionaries({"service": st.sampled_from(SERVICES[:3]),
                                     "kind": st.sampled_from(["walkin", "walkin", "priority"])})),
    st.tuples(st.just("call_next"), st.fixed_dictionaries({"counter": counter})),
    st.tuples(st.just("recall"), st.fixed_dictionaries({"counter": counter})),
    st.tuples(st.just("no_show"), st.fixed_dictionaries({"counter": counter})),
    st.tuples(st.just("finish"), st.fixed_dictionaries({"counter": counter})),
    st.tuples(st.just("hold"), st.fixed_dictionaries({"counter": counter})),
    st.tuples(st.just("transfer"), st.fixed_dictionaries(
        {"counter": counter, "service": st.sampled_from(SERVICES[:3])})),
    st.tuples(st.just("pause"), st.fixed_dictionaries({"counter": counter})),
    st.tuples(st.just("resume"), st.fixed_dictionaries({"counter": counter})),
    st.tuples(st.just("close_counter"), st.fixed_dictionaries({"counter": counter})),
    st.tuples(st.just("open_counter"), st.fixed_dictionaries({"counter": counter})),
    st.tuples(st.just("revive"), st.fixed_dictionaries(
        {"ticket": st.sampled_from(["A001", "A002", "C001", "Y001"])})),
    st.tuples(st.just("call_back"), st.fixed_dictionaries(
        {"counter": counter, "ticket": st.sampled_from(["A001", "A002", "C001"])})),
)
script = st.lists(st.tuples(step, st.floats(min_value=0, max_value=600)), max_size=60)
policies = st.fixed_dictionaries({
    "priority_burst": st.integers(1, 3),
    "starvation_minutes": st.floats(0, 20),
    "recall_cap": st.integers(0, 2),
    "requeue_offset": st.integers(0, 3),
})

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def run(hall_policies: dict[str, Any], steps: list[Any]) -> tuple[HallState, list[Event], float]:
    state = initial_state(small_hall(**hall_policies))
    now = at("09:00")
    events: list[Event] = []
    for (op, args), advance in steps:
        now += advance
        try:
            outcome = execute(state, Command(op, args), now)
        except RuleRefusal as refusal:
            # Refusals are codes with exactly their documented, JSON-ready parameters.
            assert set(refusal.params) == set(REFUSAL_PARAMS[refusal.code]), refusal.code
            json.dumps(refusal.params, allow_nan=False)
            continue
        state = outcome.state
        events.extend(outcome.events)
    return state, events, now


def drain(state: HallState, now: float) -> tuple[HallState, list[Event], float]:
    """Open every counter and call until nobody waits; bounded by the tickets that exist."""
    events: list[Event] = []
    for number in COUNTERS:
        outcome = execute(state, Command("open_counter", {"counter": number}), now)
        state, events = outcome.state, events + outcome.events
    for _ in range(4 * len(state.tickets) + 4):
        if not any(state.queues.values()):
            break
        for number in COUNTERS:
            now += 60
            outcome = execute(state, Command("call_next", {"counter": number}), now)
            state, events = outcome.state, events + outcome.events
    return state, events, now


@SETTINGS
@given(policies, script)
def test_numbers_are_unique_per_service_per_day(hall_policies: dict[str, Any],
                                                steps: list[Any]) -> None:
    _, events, _ = run(hall_policies, steps)
    issued = [e.data["ticket"] for e in events if e.type == "ticket_issued"]
    assert len(issued) == len(set(issued))


@SETTINGS
@given(policies, script)
def test_replaying_the_events_reproduces_the_live_state(hall_policies: dict[str, Any],
                                                        steps: list[Any]) -> None:
    state, events, _ = run(hall_policies, steps)
    assert replay(state.hall, events) == state


@SETTINGS
@given(policies, script)
def test_every_ticket_is_in_exactly_one_place(hall_policies: dict[str, Any],
                                              steps: list[Any]) -> None:
    state, _, _ = run(hall_policies, steps)
    queued = [n for queue in state.queues.values() for n in queue]
    serving = [c.serving for c in state.counters.values() if c.serving]
    held = [n for c in state.counters.values() for n in c.held]
    assert len(queued) == len(set(queued))
    assert sorted(queued) == sorted(n for n, t in state.tickets.items() if t.status == "waiting")
    assert sorted(serving) == sorted(n for n, t in state.tickets.items() if t.status == "serving")
    assert sorted(held) == sorted(n for n, t in state.tickets.items() if t.status == "held")
    for service, queue in state.queues.items():
        assert all(state.tickets[n].service == service for n in queue)


@SETTINGS
@given(policies, script)
def test_every_waiting_ticket_is_eventually_called(hall_policies: dict[str, Any],
                                                   steps: list[Any]) -> None:
    state, _, now = run(hall_policies, steps)
    waiting_before = {n for n, t in state.tickets.items() if t.status == "waiting"}
    state, events, _ = drain(state, now)
    called = {e.data["ticket"] for e in events if e.type == "called"}
    assert waiting_before <= called
    assert not any(state.queues.values())


@SETTINGS
@given(policies, script)
def test_walk_ins_of_a_service_are_called_in_issue_order(hall_policies: dict[str, Any],
                                                         steps: list[Any]) -> None:
    """Order holds for untouched normal walk-ins; only audited acts may break it."""
    state, events, now = run(hall_policies, steps)
    _, more, _ = drain(state, now)
    touched: set[str] = set()
    issued: dict[str, tuple[str, int]] = {}
    waiting: set[str] = set()
    for event in events + more:
        data = event.data
        if event.type == "ticket_issued" and data["kind"] == "walkin" and data["service"] != "priority":
            issued[data["ticket"]] = (data["service"], data["seq_in_service"])
            waiting.add(data["ticket"])
        elif event.type in ("revived", "transferred", "requeued"):
            touched.add(data["ticket"])
        elif event.type == "called":
            number = data["ticket"]
            waiting.discard(number)
            if number not in issued or number in touched or data["out_of_order"]:
                continue
            service, seq = issued[number]
            earlier = [w for w in waiting if w not in touched and issued[w][0] == service
                       and issued[w][1] < seq]
            assert not earlier, f"{number} called before {earlier}"


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 3), st.floats(1, 20), st.integers(5, 30))
def test_a_stream_of_priority_tickets_cannot_starve_a_normal_one(burst: int, starve_min: float,
                                                                 stream: int) -> None:
    state = initial_state(small_hall(priority_burst=burst, starvation_minutes=starve_min))
    now = at("09:00")
    state = execute(state, Command("issue_ticket", {"service": "general"}), now).state
    called_normal_at = None
    for i in range(stream + burst + 2):
        now += starve_min * 60 / 2 + 1
        state = execute(state, Command("issue_ticket",
                                       {"service": "general", "kind": "priority"}), now).state
        outcome = execute(state, Command("call_next", {"counter": 1}), now)
        state = outcome.state
        if any(e.type == "called" and e.data["ticket"] == "A001" for e in outcome.events):
            called_normal_at = i
            break
    # Starving after two half-periods, then at most ``burst`` more priority calls.
    assert called_normal_at is not None and called_normal_at <= burst + 2
