"""Property tests of the service-quality loop: whatever visitors rate and managers press,
no negative rating is lost, and every case is due on a working day far enough ahead."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.rules import Command, Event, HallState, RuleRefusal, execute, initial_state, replay
from broker.rules.cases import due_day, is_working_day
from config.rating import REASONS
from tests.conftest import at, small_hall

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

counter = st.sampled_from((1, 2))
# Case ids and alert keys are drawn from the state at run time (index into what exists).
pick = st.integers(0, 5)
step = st.one_of(
    st.tuples(st.just("issue_ticket"), st.fixed_dictionaries({"service": st.just("general")})),
    st.tuples(st.just("call_next"), st.fixed_dictionaries({"counter": counter})),
    st.tuples(st.just("finish"), st.fixed_dictionaries({"counter": counter})),
    st.tuples(st.just("rate"), st.fixed_dictionaries(
        {"counter": counter, "score": st.integers(1, 5)},
        optional={"reason": st.sampled_from(REASONS)})),
    st.tuples(st.just("acknowledge_alert"), st.fixed_dictionaries({"pick": pick})),
    st.tuples(st.just("case_note"), st.fixed_dictionaries({"pick": pick})),
    st.tuples(st.just("case_close"), st.fixed_dictionaries(
        {"pick": pick, "outcome": st.sampled_from(["callback_made", "fixed", "withdrawn"])})),
    st.tuples(st.just("tick"), st.just({})),
    # A whole visit (issue, call, rate): random single steps rarely line these up.
    st.tuples(st.just("visit"), st.fixed_dictionaries(
        {"counter": counter, "score": st.integers(1, 5)},
        optional={"reason": st.sampled_from(REASONS)})),
)
# Advances up to two days, so days roll over and cases go overdue.
script = st.lists(st.tuples(step, st.sampled_from([0.0, 30.0, 600.0, 7200.0, 90000.0,
                                                   172800.0])), max_size=40)


def _args(state: HallState, op: str, args: dict[str, Any]) -> dict[str, Any] | None:
    """Concrete args: ``pick`` becomes a raised alert's key or a case's id (None: none)."""
    if "pick" not in args:
        return args
    rest = {k: v for k, v in args.items() if k != "pick"}
    if op == "acknowledge_alert":
        keys = sorted(state.alerts)
        return {"key": keys[args["pick"] % len(keys)], **rest} if keys else None
    cases = sorted(state.cases)
    if not cases:
        return None
    note = {"note": "followed up"} if op == "case_note" else {}
    return {"case": cases[args["pick"] % len(cases)], **note, **rest}


def run(steps: list[Any]) -> tuple[HallState, list[Event]]:
    state = initial_state(small_hall(queue_alert_waiting=2))
    now = at("09:00")
    events: list[Event] = []
    for (op, raw), advance in steps:
        now += advance
        if op == "visit":
            commands = [("issue_ticket", {"service": "general"}),
                        ("call_next", {"counter": raw["counter"]}), ("rate", raw)]
        else:
            commands = [(op, _args(state, op, raw))]
        for name, args in commands:
            if args is None:
                continue
            try:
                outcome = execute(state, Command(name, args, "admin"), now)
            except RuleRefusal:
                continue
            state = outcome.state
            events += outcome.events
    return state, events


@SETTINGS
@given(script)
def test_no_negative_rating_is_lost(steps: list[Any]) -> None:
    state, events = run(steps)
    acknowledged = {e.data["key"] for e in events if e.type == "alert_acknowledged"}
    closed = {e.data["case"] for e in events if e.type == "case_closed"}
    opened = [e for e in events if e.type == "case_opened"]
    negatives = [e for e in events if e.type == "rated" and e.data["negative"]]
    # Every negative rating opened exactly one case ...
    assert len(opened) == len(negatives)
    for case in opened:
        case_id = str(case.data["case"])
        # ... whose alert stays until a manager acknowledged it ...
        assert f"rating:{case_id}" in state.alerts or f"rating:{case_id}" in acknowledged
        # ... and which stays listed until it was closed (then until the day ends).
        assert case_id in state.cases or case_id in closed
        if case_id in state.cases and case_id not in closed:
            assert state.cases[case_id].state in ("open", "overdue")
            assert (state.cases[case_id].state == "overdue") == (
                state.clock >= state.cases[case_id].due_at
                and any(e.type == "case_overdue" and e.data["case"] == case_id
                        for e in events))
    rebuilt = replay(state.hall, events)
    assert rebuilt.alerts == state.alerts and rebuilt.cases == state.cases


weekdays = st.sets(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                   min_size=1)
a_day = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))


@SETTINGS
@given(weekdays, st.lists(a_day, max_size=6), st.lists(a_day, max_size=3), a_day,
       st.integers(1, 10))
def test_a_case_is_due_on_a_working_day_after_that_many_working_days(
        days: set[str], holidays: list[date], workdays: list[date], rated: date,
        working_days: int) -> None:
    workdays = [d for d in workdays if d not in holidays]
    hall = small_hall(hours={"days": sorted(days),
                             "periods": [{"start": "08:00", "end": "17:00"}],
                             "holidays": [d.isoformat() for d in holidays],
                             "workdays": [d.isoformat() for d in workdays]})
    due = due_day(hall, rated, working_days)
    assert due > rated and is_working_day(hall, due)
    between = [rated + timedelta(days=n) for n in range(1, (due - rated).days + 1)]
    assert sum(is_working_day(hall, d) for d in between) == working_days
    assert due not in holidays
