"""The hall calendar in the rules: holidays refuse, 调休 working days and special days issue,
and the published ticketing says whether today is closed all day."""

from __future__ import annotations

from typing import Any

import pytest

from broker.rules import Command, RuleRefusal, execute, initial_state, public_view
from broker.rules import refusals as why
from config.schema import Hall
from protocol.view import PublicView
from tests.conftest import at, small_hall

CALENDAR: dict[str, Any] = {
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "periods": [{"start": "08:30", "end": "12:00"}, {"start": "13:30", "end": "17:30"}],
    "holidays": ["2026-10-01..2026-10-07", "2027-01-01"],
    "workdays": ["2026-10-11"],
    "special": [{"date": "2026-09-30", "periods": [{"start": "08:30", "end": "12:00"}]}],
}


def hall() -> Hall:
    return small_hall(hours=CALENDAR)


def issue(when: float) -> dict[str, Any]:
    return execute(initial_state(hall()), Command("issue_ticket", {"service": "general"}),
                   when).result


def ticketing(when: float) -> Any:
    state = execute(initial_state(hall()), Command("tick", {}, "broker"), when).state
    return PublicView.parse(public_view(state)).ticketing


def test_a_holiday_refuses_and_names_the_next_opening() -> None:
    with pytest.raises(RuleRefusal) as refused:
        issue(at("09:00", "2026-10-05"))  # a Monday in the National Day week
    assert refused.value.code == why.TICKETING_CLOSED
    assert refused.value.params["opens_at"] == at("08:30", "2026-10-08")
    assert refused.value.params["opens"] == "10-08 08:30"


def test_a_moved_working_sunday_issues() -> None:
    assert issue(at("09:00", "2026-10-11"))["ticket"] == "A001"


def test_a_single_date_holiday_is_closed() -> None:
    with pytest.raises(RuleRefusal):
        issue(at("09:00", "2027-01-01"))


def test_a_special_day_opens_with_its_own_periods() -> None:
    assert issue(at("09:00", "2026-09-30"))["ticket"] == "A001"
    with pytest.raises(RuleRefusal):
        issue(at("14:00", "2026-09-30"))
    assert ticketing(at("09:00", "2026-09-30")).closes_at == at("12:00", "2026-09-30")
    # Its afternoon is closed, but the day is not a closed day.
    after = ticketing(at("14:00", "2026-09-30"))
    assert not after.closed_today and after.opens_at == at("08:30", "2026-10-08")


def test_the_view_says_closed_today_on_a_holiday_only() -> None:
    holiday = ticketing(at("09:00", "2026-10-02"))
    assert holiday.closed_today and not holiday.open
    lunch = ticketing(at("12:30", "2026-10-09"))
    assert not lunch.closed_today and lunch.opens_at == at("13:30", "2026-10-09")
    assert ticketing(at("09:00", "2026-10-10")).closed_today  # an ordinary Saturday
