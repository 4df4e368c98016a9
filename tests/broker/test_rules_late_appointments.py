"""Late appointment check-ins join the walk-in line of the booked service; on-time ones are
told only about those they will really wait behind."""

from __future__ import annotations

from typing import Any

from broker.rules import Command, HallState, execute, initial_state
from config.schema import Hall
from tests.conftest import at, small_hall


def hall_with_walkin_line() -> Hall:
    """The small hall, with the appointment-only service (B) naming general (A) as its
    walk-in line."""
    data = small_hall().model_dump()
    for service in data["services"]:
        if service["id"] == "appointment":
            service["walkin_service"] = "general"
    return Hall.model_validate(data)


class Day:
    def __init__(self, hall: Hall) -> None:
        self.state: HallState = initial_state(hall)

    def do(self, op: str, hhmm: str, **args: Any) -> dict[str, Any]:
        outcome = execute(self.state, Command(op, args), at(hhmm))
        self.state = outcome.state
        return outcome.result

    def book(self, code: str, service: str, start: str) -> None:
        self.do("book_appointment", "08:00", code=code, service=service,
                start=f"2026-11-25T{start}", end=f"2026-11-25T{start[:3]}59")


def test_a_late_booking_of_an_appointment_only_service_gets_a_walk_in_number() -> None:
    day = Day(hall_with_walkin_line())
    day.book("LATE", "appointment", "09:00")
    day.do("issue_ticket", "09:05", service="general")
    late = day.do("issue_ticket", "09:20", kind="appointment", appointment="LATE")
    assert (late["ticket"], late["service"], late["kind"], late["late"]) == (
        "A002", "general", "walkin", True)
    assert late["ahead"] == 1
    assert list(day.state.queue("general")) == ["A001", "A002"]
    assert list(day.state.queue("appointment")) == []
    assert day.state.appointments["LATE"].ticket == "A002"


def test_an_on_time_check_in_of_the_same_service_keeps_its_appointment_number() -> None:
    day = Day(hall_with_walkin_line())
    day.book("ONTIME", "appointment", "09:00")
    result = day.do("issue_ticket", "09:10", kind="appointment", appointment="ONTIME")
    assert (result["ticket"], result["kind"], result["late"]) == ("B001", "appointment", False)


def test_without_walkin_service_a_late_booking_queues_in_its_own_service() -> None:
    day = Day(small_hall())
    day.book("LATE", "appointment", "09:00")
    late = day.do("issue_ticket", "09:20", kind="appointment", appointment="LATE")
    assert (late["ticket"], late["service"], late["kind"]) == ("B001", "appointment", "walkin")


def test_an_on_time_appointment_is_not_told_late_ones_and_walk_ins_are_ahead() -> None:
    day = Day(small_hall())
    day.book("LATE", "general", "08:30")
    day.book("FIRST", "general", "09:10")
    day.book("LATER", "general", "09:40")
    day.book("MINE", "general", "09:20")
    day.do("issue_ticket", "09:00", service="general")
    day.do("issue_ticket", "09:01", kind="appointment", appointment="LATE")
    day.do("issue_ticket", "09:02", kind="appointment", appointment="FIRST")
    day.do("issue_ticket", "09:12", kind="appointment", appointment="LATER")
    mine = day.do("issue_ticket", "09:15", kind="appointment", appointment="MINE")
    # Waiting: A001 walk-in, A002 late (walk-in), A003 due 09:10, A004 due 09:40.
    # Only A003 is called before MINE once its slot begins.
    assert mine["ahead"] == 1
    assert day.do("call_next", "09:20", counter=1)["ticket"] == "A003"
    assert day.do("call_next", "09:21", counter=1)["ticket"] == mine["ticket"]
