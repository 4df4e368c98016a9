"""延时服务: ``beyond_closing`` on the ``issue_ticket`` result and the hall's policy for it."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.refusals import wire_error
from broker.rules import Command, RuleRefusal, execute, initial_state
from broker.rules import refusals as why
from config.schema import Hall
from tests.conftest import at, small_hall

OFFICE_HOURS: dict[str, Any] = {"days": ["mon", "tue", "wed", "thu", "fri"],
                                "periods": [{"start": "08:30", "end": "12:00"},
                                            {"start": "13:30", "end": "17:30"}]}
# general: 10 expected minutes, served by the three open counters of the small hall, so
# the first ticket of an empty line is expected (0 + 1) x 600 s / 3 = 200 s after issue.
FIRST_ESTIMATE_S = 200.0
CLOSING = at("17:30")


def office(policy: str = "warn") -> Hall:
    return small_hall(hours=OFFICE_HOURS, beyond_closing=policy)


def issue(hall: Hall, now: float, **args: Any) -> dict[str, Any]:
    args = args or {"service": "general"}
    return execute(initial_state(hall), Command("issue_ticket", args), now).result


def test_beyond_closing_flips_one_second_past_the_predicted_boundary() -> None:
    boundary = CLOSING - FIRST_ESTIMATE_S
    on_time = issue(office(), boundary)
    assert on_time["expected_at"] == CLOSING
    assert on_time["beyond_closing"] is False
    late = issue(office(), boundary + 1.0)
    assert late["expected_at"] == CLOSING + 1.0
    assert late["beyond_closing"] is True


def test_the_morning_closing_does_not_count_only_the_last_period() -> None:
    # 11:58 + 200 s is after the 12:00 break but well before 17:30.
    assert issue(office(), at("11:58"))["beyond_closing"] is False


def test_no_estimate_is_never_beyond_closing() -> None:
    hall = office()
    state = initial_state(hall)
    for counter in (1, 2, 3):
        state = execute(state, Command("close_counter", {"counter": counter}), at("17:00")).state
    result = execute(state, Command("issue_ticket", {"service": "general"}), at("17:29")).result
    assert result["expected_at"] is None and result["beyond_closing"] is False


@pytest.mark.parametrize(("policy", "reason"), [("refuse", why.BEYOND_CLOSING),
                                                ("appointment", why.BEYOND_CLOSING_BOOK)])
def test_policies_refuse_with_the_expected_closing_and_next_opening_times(
        policy: str, reason: str) -> None:
    with pytest.raises(RuleRefusal) as refused:
        issue(office(policy), at("17:29"))
    assert refused.value.code == reason
    params = refused.value.params
    assert (params["expected"], params["closes"], params["opens"]) == (
        "17:32", "17:30", "11-26 08:30")
    assert params["closes_at"] == CLOSING and params["opens_at"] == at("08:30", "2026-11-26")
    assert params["expected_at"] == at("17:29") + FIRST_ESTIMATE_S
    code, _, wire_params = wire_error(refused.value)
    assert code == "beyond_closing" and wire_params["reason"] == reason


def test_a_morning_refusal_names_tomorrows_opening_not_this_afternoons() -> None:
    state = initial_state(office("refuse"))
    for counter in (2, 3):  # one counter left: 600 s a visitor
        state = execute(state, Command("close_counter", {"counter": counter}), at("08:40")).state
    for _ in range(39):
        state = execute(state, Command("issue_ticket", {"service": "general"}), at("08:40")).state
    # At 11:00, 40 x 600 s puts the next ticket at 17:40: after closing, before a 13:30 period.
    with pytest.raises(RuleRefusal) as refused:
        execute(state, Command("issue_ticket", {"service": "general"}), at("11:00"))
    assert refused.value.params["expected"] == "17:40"
    assert refused.value.params["opens"] == "11-26 08:30"


def test_refuse_policy_still_issues_before_the_boundary() -> None:
    assert issue(office("refuse"), at("17:00"))["beyond_closing"] is False


def test_an_on_time_appointment_is_warned_never_refused() -> None:
    state = initial_state(office("refuse"))
    state = execute(state, Command("book_appointment", {
        "code": "BK-1", "service": "general", "start": "2026-11-25T17:25",
        "end": "2026-11-25T17:40"}), at("09:00")).state
    result = execute(state, Command("issue_ticket", {"kind": "appointment",
                                                     "appointment": "BK-1"}), at("17:29")).result
    assert result["kind"] == "appointment" and result["beyond_closing"] is True


@settings(max_examples=40, deadline=None)
@given(waiting=st.integers(min_value=0, max_value=30),
       minute=st.integers(min_value=13 * 60 + 30, max_value=17 * 60 + 29))
def test_refuse_refuses_exactly_the_tickets_warn_marks_beyond_closing(
        waiting: int, minute: int) -> None:
    now = at(f"{minute // 60:02d}:{minute % 60:02d}")
    results = {}
    for policy in ("warn", "refuse"):
        state = initial_state(office(policy))
        for _ in range(waiting):
            state = execute(state, Command("issue_ticket", {"service": "general"}),
                            at("13:30")).state
        try:
            results[policy] = execute(state, Command("issue_ticket", {"service": "general"}),
                                      now).result
        except RuleRefusal as refusal:
            assert refusal.code == why.BEYOND_CLOSING
            results[policy] = None
    warned = results["warn"]
    assert warned is not None
    assert warned["beyond_closing"] == (warned["expected_at"] > CLOSING)
    assert (results["refuse"] is None) == warned["beyond_closing"]
