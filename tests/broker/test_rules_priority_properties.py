"""Property tests of the calling order over random days on the example hall.

"Starve" here means: a normal (non-priority) ticket that a counter could call, has been
waiting longer than ``starvation_minutes`` (since it joined its line), while that counter
calls a priority ticket. The bound: at a counter that is not a priority window, such a
call happens only while fewer than ``priority_burst`` priority tickets were called there
in a row - so a starving ticket waits behind at most ``priority_burst`` priority calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.rules import Command, HallState, RuleRefusal, execute, initial_state
from broker.rules.select import is_priority, waiting_for
from config.example import example_path
from config.load import load_hall
from config.schema import Hall
from tests.conftest import at

CATEGORIES = (None, "critical", "elderly80", "disabled", "military", "pregnant", "elderly70")

step = st.one_of(
    st.tuples(st.just("walkin"), st.sampled_from(["general", "reimburse", "enrol"])),
    # Priority tickets of the priority service (counter 5 only) and priority tickets in the
    # shared lines of counters 1-4.
    st.tuples(st.just("priority"), st.tuples(st.sampled_from(["priority", "general", "enrol"]),
                                             st.sampled_from(CATEGORIES))),
    st.tuples(st.just("call_next"), st.integers(1, 6)),
)
day = st.lists(st.tuples(step, st.floats(min_value=0, max_value=600)), min_size=30, max_size=80)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _hall(burst: int, starving_min: float) -> Hall:
    hall = load_hall(example_path())
    policies = hall.policies.model_copy(update={"priority_burst": burst,
                                               "starvation_minutes": starving_min})
    return hall.model_copy(update={"policies": policies})


def _command(step_: tuple[str, Any]) -> Command:
    what, arg = step_
    if what == "walkin":
        return Command("issue_ticket", {"service": arg})
    if what == "priority":
        service, category = arg
        args = {"service": service, "kind": "priority"}
        return Command("issue_ticket", {**args, "category": category} if category else args)
    return Command("call_next", {"counter": arg})


def _days(steps: list[Any], burst: int,
          starving_min: float) -> Iterator[tuple[HallState, int, str | None, float]]:
    """Each call_next of the day: (state before, counter, ticket called or None, now)."""
    state: HallState = initial_state(_hall(burst, starving_min))
    now = at("09:00")
    for step_, advance in steps:
        now += advance
        command = _command(step_)
        try:
            outcome = execute(state, command, now)
        except RuleRefusal:
            continue  # e.g. the lunch break: ticketing closed
        if command.op == "call_next":
            yield state, int(command.args["counter"]), outcome.result["ticket"], now
        state = outcome.state


@SETTINGS
@given(day, st.integers(1, 2), st.floats(0, 5))
def test_no_priority_ticket_waits_behind_a_walk_in_at_a_priority_window(
        steps: list[Any], burst: int, starving_min: float) -> None:
    for before, counter, ticket, _ in _days(steps, burst, starving_min):
        if counter != 5 or ticket is None:
            continue
        waiting_priority = [t for t in waiting_for(before, 5) if is_priority(before, t)]
        if waiting_priority:
            assert is_priority(before, before.tickets[ticket]), (ticket, waiting_priority)


@SETTINGS
@given(day, st.integers(1, 2), st.floats(0, 5))
def test_no_normal_ticket_starves_past_the_bound_at_shared_counters(
        steps: list[Any], burst: int, starving_min: float) -> None:
    streak: dict[int, int] = {}
    for before, counter, ticket, now in _days(steps, burst, starving_min):
        if ticket is None:
            streak[counter] = 0
            continue
        called_priority = is_priority(before, before.tickets[ticket])
        starving = [t for t in waiting_for(before, counter) if not is_priority(before, t)
                    and now - t.queued_at > starving_min * 60.0]
        if counter != 5 and called_priority and starving:
            assert streak.get(counter, 0) < burst, (counter, ticket, starving)
        streak[counter] = streak.get(counter, 0) + 1 if called_priority else 0
