"""Ticketing open or closed, as the broker decides it: published in the view, and announced by a
``ticketing_changed`` event when it changes with no command."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from broker.rules import (Command, HallState, RuleRefusal, evolve, execute, initial_state,
                          public_view)
from broker.rules.ticketing import ticketing_at
from config.schema import Hall
from broker.rules import refusals as why
from protocol.view import PublicView
from tests.conftest import at, small_hall

OFFICE_HOURS: dict[str, Any] = {"days": ["mon", "tue", "wed", "thu", "fri"],
                                "periods": [{"start": "08:30", "end": "12:00"},
                                            {"start": "13:30", "end": "17:30"}]}


def office(after_hours: str = "refuse") -> Hall:
    return small_hall(hours=OFFICE_HOURS, after_hours=after_hours)


def tick(state: HallState, hhmm: str, day: str = "2026-11-25") -> tuple[HallState, list[str]]:
    outcome = execute(state, Command("tick", {}, "broker"), at(hhmm, day))
    return outcome.state, [event.type for event in outcome.events]


def ticketing(state: HallState) -> Any:
    return PublicView.parse(public_view(state)).ticketing


def test_a_quiet_tick_announces_opening_and_closing_once() -> None:
    state, types = tick(initial_state(office()), "07:55")
    assert types == ["day_started"]
    closed = ticketing(state)
    assert (closed.open, closed.in_hours, closed.closes_at, closed.opens_at) == (
        False, False, None, at("08:30"))
    state, types = tick(state, "08:29:59")
    assert types == []
    state, types = tick(state, "08:30:04")
    assert types == ["ticketing_changed"]
    opened = ticketing(state)
    assert (opened.open, opened.in_hours, opened.closes_at, opened.opens_at) == (
        True, True, at("12:00"), None)
    state, types = tick(state, "11:00")
    assert types == []
    state, types = tick(state, "12:00:03")
    assert types == ["ticketing_changed"]
    assert ticketing(state).opens_at == at("13:30")


def test_the_event_carries_the_fact_and_replays_to_the_same_view() -> None:
    state, _ = tick(initial_state(office()), "07:55")
    outcome = execute(state, Command("tick", {}, "broker"), at("08:31"))
    (event,) = outcome.events
    assert dict(event.data) == {"open": True, "in_hours": True, "closes_at": at("12:00"),
                                "opens_at": None, "closed_today": False}
    replayed = state.copy()
    evolve(replayed, event)
    assert public_view(replayed) == public_view(outcome.state)


def test_a_command_with_events_of_its_own_carries_the_change_without_another_event() -> None:
    state, _ = tick(initial_state(office()), "07:55")
    outcome = execute(state, Command("issue_ticket", {"service": "general"}), at("08:31"))
    assert "ticketing_changed" not in [event.type for event in outcome.events]
    assert ticketing(outcome.state).open is True


def test_after_hours_with_a_warning_is_open_but_not_in_hours() -> None:
    state, _ = tick(initial_state(office("issue_with_warning")), "18:00")
    published = ticketing(state)
    assert (published.open, published.in_hours) == (True, False)
    assert published.opens_at == at("08:30", "2026-11-26")


def test_adjoining_periods_close_once() -> None:
    hall = small_hall(hours={"days": ["wed"], "periods": [{"start": "08:00", "end": "12:00"},
                                                          {"start": "12:00", "end": "17:00"}]})
    assert ticketing_at(hall, at("09:00")).closes_at == at("17:00")


@settings(max_examples=200, deadline=None)
@given(minute=st.integers(0, 7 * 24 * 60 - 1),
       policy=st.sampled_from(["refuse", "issue_with_warning"]))
def test_the_published_fact_is_what_issue_ticket_decides(minute: int, policy: str) -> None:
    """The kiosk shows "ticketing closed" exactly when the broker would refuse the ticket."""
    hall = office(policy)
    when = at("00:00", "2026-11-23") + minute * 60.0  # a Monday, then the whole week
    state, _ = tick(initial_state(hall), "00:00", "2026-11-23")
    state = execute(state, Command("tick", {}, "broker"), when).state
    published = ticketing(state)
    try:
        issued = execute(state, Command("issue_ticket", {"service": "general"}), when)
    except RuleRefusal as refusal:
        assert refusal.code == why.TICKETING_CLOSED and not published.open
    else:
        assert published.open
        assert issued.result["after_hours"] is not published.in_hours
