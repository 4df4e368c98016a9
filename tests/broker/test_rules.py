"""Queue rules, one behaviour per test, driven through the pure ``apply``."""

from __future__ import annotations

from typing import Any

import pytest

from broker.rules import (Command, Event, HallState, RuleRefusal, apply, execute, initial_state,
                          public_view, replay)
from config.schema import Hall
from tests.conftest import at, small_hall

MIN = 60.0


class Hall_:
    """A tiny driver: a state, a clock and the events so far."""

    def __init__(self, hall: Hall, start: str = "09:00") -> None:
        self.state: HallState = initial_state(hall)
        self.now = at(start)
        self.events: list[Any] = []

    def do(self, op: str, advance_min: float = 0.0, **args: Any) -> dict[str, Any]:
        self.now += advance_min * MIN
        outcome = execute(self.state, Command(op, args), self.now)
        self.state = outcome.state
        self.events.extend(outcome.events)
        return outcome.result

    def types(self) -> list[str]:
        return [e.type for e in self.events]


@pytest.fixture
def h(hall: Hall) -> Hall_:
    return Hall_(hall)


def test_numbers_count_up_per_service(h: Hall_) -> None:
    issued = [h.do("issue_ticket", service=s)["ticket"]
              for s in ("general", "general", "reimburse", "general")]
    assert issued == ["A001", "A002", "C001", "A003"]


def test_numbering_restarts_on_the_next_local_day(h: Hall_) -> None:
    h.do("issue_ticket", service="general")
    h.do("issue_ticket", service="general")
    h.do("call_next", counter=1)
    h.do("call_next", counter=1)
    h.do("finish", counter=1)
    h.now = at("08:00", day="2026-11-26")
    assert h.do("issue_ticket", service="general")["ticket"] == "A001"
    started = [e for e in h.events if e.type == "day_started"]
    assert [e.data["day"] for e in started] == ["2026-11-25", "2026-11-26"]
    assert started[1].data["carried"] == []


def test_call_next_takes_the_longest_waiting_and_finishes_the_current(h: Hall_) -> None:
    for _ in range(3):
        h.do("issue_ticket", service="general", advance_min=1)
    assert h.do("call_next", counter=1)["ticket"] == "A001"
    result = h.do("call_next", counter=1, advance_min=5)
    assert (result["ticket"], result["finished"]) == ("A002", "A001")
    assert h.state.tickets["A001"].status == "finished"
    assert h.state.service_times["general"] == (300.0,)


def test_call_next_with_nobody_waiting_still_finishes_the_visitor(h: Hall_) -> None:
    h.do("issue_ticket", service="general")
    h.do("call_next", counter=1)
    result = h.do("call_next", counter=1)
    assert result["ticket"] is None and result["finished"] == "A001"
    assert h.state.counters[1].serving is None


def test_counter_service_order_is_a_preference(h: Hall_) -> None:
    h.do("issue_ticket", service="general")
    h.do("issue_ticket", service="reimburse", advance_min=1)
    assert h.do("call_next", counter=2)["ticket"] == "C001"
    assert h.do("call_next", counter=2)["ticket"] == "A001"


def test_priority_goes_first_but_bounded_when_normal_tickets_starve() -> None:
    h = Hall_(small_hall(priority_burst=2, starvation_minutes=10))
    h.do("issue_ticket", service="general")
    for _ in range(4):
        h.do("issue_ticket", service="general", kind="priority")
    # Not starving yet: priority first.
    assert h.do("call_next", counter=1, advance_min=1)["ticket"] == "A002"
    # Now A001 has waited past the bound, but one more priority call is allowed.
    assert h.do("call_next", counter=1, advance_min=20)["ticket"] == "A003"
    assert h.do("call_next", counter=1, advance_min=1)["ticket"] == "A001"
    assert h.do("call_next", counter=1, advance_min=1)["ticket"] == "A004"


def test_priority_service_tickets_count_as_priority(h: Hall_) -> None:
    h.do("issue_ticket", service="general")
    h.do("issue_ticket", service="priority", advance_min=1)
    assert h.do("call_next", counter=3)["ticket"] == "Y001"


def test_due_appointment_before_walk_ins_early_one_waits(h: Hall_) -> None:
    h.do("book_appointment", code="BK-1", service="general",
         start="2026-11-25T09:20", end="2026-11-25T09:40")
    h.do("issue_ticket", service="general")
    appointment = h.do("issue_ticket", kind="appointment", appointment="BK-1", advance_min=1)
    assert appointment["kind"] == "appointment"
    h.do("issue_ticket", service="general", advance_min=1)
    # 09:02: the slot has not begun, walk-ins go first.
    assert h.do("call_next", counter=1)["ticket"] == "A001"
    # 09:25: the slot has begun, the appointment goes before the remaining walk-in.
    assert h.do("call_next", counter=1, advance_min=23)["ticket"] == appointment["ticket"]


def test_appointment_too_early_refused_late_falls_back_to_walk_in(h: Hall_) -> None:
    h.do("book_appointment", code="EARLY", service="general",
         start="2026-11-25T11:00", end="2026-11-25T11:30")
    h.do("book_appointment", code="LATE", service="general",
         start="2026-11-25T08:00", end="2026-11-25T08:30")
    with pytest.raises(RuleRefusal) as refused:
        h.do("issue_ticket", kind="appointment", appointment="EARLY")
    assert refused.value.code == "too_early" and refused.value.params["opens"] == "10:30"
    late = h.do("issue_ticket", kind="appointment", appointment="LATE")
    assert late["kind"] == "walkin" and late["late"] is True
    with pytest.raises(RuleRefusal) as again:
        h.do("issue_ticket", kind="appointment", appointment="LATE")
    assert again.value.code == "already_checked_in"
    assert again.value.params == {"code": "LATE", "ticket": late["ticket"]}
    with pytest.raises(RuleRefusal) as unknown:
        h.do("issue_ticket", kind="appointment", appointment="NOPE")
    assert unknown.value.code == "unknown_appointment"


def test_recall_until_the_cap_then_no_show(hall: Hall) -> None:
    h = Hall_(small_hall(recall_cap=2))
    h.do("issue_ticket", service="general")
    h.do("call_next", counter=1)
    assert h.do("recall", counter=1)["recalls"] == 1
    assert h.do("recall", counter=1)["recalls"] == 2
    assert h.do("recall", counter=1)["status"] == "no_show"
    assert h.state.tickets["A001"].status == "no_show"
    assert h.state.counters[1].serving is None
    assert h.types().count("recalled") == 2


def test_a_slow_recall_only_marks_its_event_for_the_displays(hall: Hall) -> None:
    h = Hall_(small_hall(recall_cap=3))
    h.do("issue_ticket", service="general")
    h.do("call_next", counter=1)
    h.do("recall", counter=1)
    assert h.do("recall", counter=1, slow=True)["recalls"] == 2
    recalled = [e.data for e in h.events if e.type == "recalled"]
    assert "slow" not in recalled[0] and recalled[1]["slow"] is True
    assert h.state.counters[1].serving == "A001"


def test_revive_within_grace_goes_behind_offset_places() -> None:
    h = Hall_(small_hall(requeue_offset=2, no_show_grace_minutes=30))
    for _ in range(5):
        h.do("issue_ticket", service="general")
    h.do("call_next", counter=1)
    h.do("no_show", counter=1)
    h.do("revive", ticket="A001", advance_min=10)
    assert h.state.queues["general"] == ["A002", "A003", "A001", "A004", "A005"]


def test_revive_after_grace_is_refused_and_changes_nothing() -> None:
    h = Hall_(small_hall(no_show_grace_minutes=30))
    h.do("issue_ticket", service="general")
    h.do("call_next", counter=1)
    h.do("no_show", counter=1)
    before = h.state
    with pytest.raises(RuleRefusal) as refused:
        h.do("revive", ticket="A001", advance_min=31)
    assert refused.value.code == "grace_expired"
    assert h.state is before and before.tickets["A001"].status == "no_show"


def test_hold_and_call_back(h: Hall_) -> None:
    h.do("issue_ticket", service="general")
    h.do("issue_ticket", service="general")
    h.do("call_next", counter=1)
    h.do("hold", counter=1)
    assert h.state.counters[1].held == ("A001",) and h.state.counters[1].serving is None
    h.do("call_next", counter=1)
    result = h.do("call_back", counter=1, ticket="A001")
    assert result["ticket"] == "A001" and result["finished"] == "A002"
    assert h.state.counters[1].held == () and h.state.counters[1].serving == "A001"
    with pytest.raises(RuleRefusal):
        h.do("call_back", counter=2, ticket="A001")


def test_transfer_keeps_the_number_and_goes_ahead_of_walk_ins(h: Hall_) -> None:
    h.do("issue_ticket", service="general")
    h.do("issue_ticket", service="general")
    h.do("issue_ticket", service="reimburse")
    h.do("issue_ticket", service="reimburse")
    h.do("call_next", counter=1)  # A001
    h.do("transfer", counter=1, service="reimburse")
    h.do("call_next", counter=1)  # A002
    h.do("transfer", counter=1, service="reimburse")
    assert h.state.queues["reimburse"] == ["A001", "A002", "C001", "C002"]
    assert h.do("call_next", counter=2)["ticket"] == "A001"
    assert h.state.tickets["A001"].service == "reimburse"


def test_call_ticket_out_of_order_needs_a_reason_and_is_audited(h: Hall_) -> None:
    for _ in range(3):
        h.do("issue_ticket", service="general")
    with pytest.raises(RuleRefusal) as refused:
        h.do("call_ticket", counter=1, ticket="A003", reason="  ")
    assert refused.value.code == "reason_required"
    result = h.do("call_ticket", counter=1, ticket="A003", reason="wheelchair user at the door")
    assert result["out_of_order"] is True
    called = [e for e in h.events if e.type == "called"][-1]
    assert called.data["out_of_order"] is True
    assert called.data["reason"] == "wheelchair user at the door"


def test_paused_counter_refuses_calls_and_others_serve_its_queue(h: Hall_) -> None:
    h.do("issue_ticket", service="general")
    h.do("pause", counter=1)
    with pytest.raises(RuleRefusal) as refused:
        h.do("call_next", counter=1)
    assert refused.value.code == "counter_paused"
    assert h.do("call_next", counter=2)["ticket"] == "A001"
    h.do("resume", counter=1)
    assert h.state.counters[1].mode == "open"


def test_closing_a_counter_puts_its_visitor_back_at_the_front(h: Hall_) -> None:
    for _ in range(3):
        h.do("issue_ticket", service="general")
    h.do("call_next", counter=1)
    result = h.do("close_counter", counter=1)
    assert result["requeued"] == ["A001"]
    assert h.state.queues["general"] == ["A001", "A002", "A003"]
    with pytest.raises(RuleRefusal) as refused:
        h.do("call_next", counter=1)
    assert refused.value.code == "counter_closed"
    assert h.do("call_next", counter=2)["ticket"] == "A001"


def test_estimate_uses_prior_then_measured_times_and_open_counters(h: Hall_) -> None:
    first = h.do("issue_ticket", service="reimburse")
    # Prior 6 min; counters 1 and 2 serve reimbursement: (0+1) * 6 / 2.
    assert first["estimate_min"] == 3.0
    h.do("call_next", counter=2)
    h.do("call_next", counter=2, advance_min=2)  # measured 2 min
    second = h.do("issue_ticket", service="reimburse")
    # mean = (6*3 + 2) / 4 = 5 min, one waiting ahead? none: queue empty -> 1 * 5 / 2
    assert second["ahead"] == 0 and second["estimate_min"] == 2.5
    h.do("close_counter", counter=1)
    third = h.do("issue_ticket", service="reimburse")
    assert third["ahead"] == 1 and third["estimate_min"] == 10.0


def test_service_nobody_serves_raises_an_alert_and_clears_it(h: Hall_) -> None:
    h.do("close_counter", counter=3)
    h.do("issue_ticket", service="priority")
    raised = [e for e in h.events if e.type == "alert_raised"]
    assert [e.data["key"] for e in raised] == ["unserved:priority"]
    assert raised[0].data["code"] == "unserved"
    assert raised[0].data["params"] == {"service": "priority", "waiting": 1}
    assert "message" not in raised[0].data
    h.do("open_counter", counter=3)
    assert h.events[-1].type == "alert_cleared"
    assert h.state.alerts == {}


def test_queue_length_alert_once_above_threshold() -> None:
    h = Hall_(small_hall(queue_alert_waiting=3))
    for _ in range(6):
        h.do("issue_ticket", service="general")
    raised = [e for e in h.events if e.type == "alert_raised"]
    assert [e.data["key"] for e in raised] == ["queue_length:general"]
    assert raised[0].data["value"] == 4.0


def test_longest_wait_alert_raised_by_the_passing_of_time() -> None:
    h = Hall_(small_hall(wait_alert_minutes=20))
    h.do("issue_ticket", service="general")
    h.do("tick", advance_min=10)
    assert "alert_raised" not in h.types()
    h.do("tick", advance_min=11)
    assert h.events[-1].type == "alert_raised"
    assert h.events[-1].data["kind"] == "longest_wait"


def test_after_hours_refused_with_the_next_opening() -> None:
    hall = small_hall(hours={"days": ["mon", "tue", "wed", "thu", "fri"],
                             "periods": [{"start": "08:30", "end": "12:00"}]})
    h = Hall_(hall, start="12:30")
    with pytest.raises(RuleRefusal) as refused:
        h.do("issue_ticket", service="general")
    assert refused.value.code == "ticketing_closed"
    assert refused.value.params["opens"] == "11-26 08:30"


def test_after_hours_may_issue_with_a_warning() -> None:
    hall = small_hall(after_hours="issue_with_warning",
                      hours={"periods": [{"start": "08:30", "end": "12:00"}]})
    h = Hall_(hall, start="12:30")
    result = h.do("issue_ticket", service="general")
    assert result["after_hours"] is True and result["expected_at"] is not None


def test_ratings_one_per_ticket_in_the_window_and_negative_alerts(h: Hall_) -> None:
    h.do("issue_ticket", service="general")
    with pytest.raises(RuleRefusal) as nobody:
        h.do("rate", counter=1, score=3)
    assert nobody.value.code == "nobody_to_rate"
    h.do("call_next", counter=1)
    h.do("finish", counter=1)
    assert h.do("rate", counter=1, score=1)["negative"] is True
    # A 差评 stays until acknowledged (issue #14): its alert is sticky, its case open.
    assert h.events[-1].type == "alert_raised" and h.events[-1].data["sticky"] is True
    assert [c.state for c in h.state.cases.values()] == ["open"]
    with pytest.raises(RuleRefusal) as twice:
        h.do("rate", counter=1, score=3)
    assert twice.value.code == "already_rated"
    h.do("issue_ticket", service="general")
    h.do("call_next", counter=1)
    h.do("finish", counter=1)
    with pytest.raises(RuleRefusal) as late:
        h.do("rate", counter=1, score=3, advance_min=5)
    assert late.value.code == "nobody_to_rate"


def test_apply_never_changes_the_state_it_is_given(h: Hall_) -> None:
    h.do("issue_ticket", service="general")
    before = h.state
    snapshot = (dict(before.tickets), {k: list(v) for k, v in before.queues.items()},
                dict(before.counters))
    new_state, events = apply(before, Command("call_next", {"counter": 1}), h.now)
    assert events and new_state is not before
    assert (before.tickets, before.queues, before.counters) == snapshot


def test_clock_jumping_back_neither_reorders_nor_makes_negative_waits(h: Hall_) -> None:
    h.do("issue_ticket", service="general")
    h.now -= 3600  # NTP correction on a Pi without RTC
    h.do("issue_ticket", service="general")
    first, second = h.state.tickets["A001"], h.state.tickets["A002"]
    assert second.issued_at >= first.issued_at
    h.do("call_next", counter=1)
    h.now -= 600
    h.do("call_next", counter=1)
    assert all(s >= 0 for s in h.state.service_times.get("general", ()))
    assert h.state.tickets["A001"].status == "finished"


def test_unknown_counter_and_service_are_refused_with_what_exists(h: Hall_) -> None:
    with pytest.raises(RuleRefusal) as counter:
        h.do("call_next", counter=42)
    assert counter.value.code == "unknown_counter"
    assert counter.value.params == {"counter": 42, "counters": [1, 2, 3]}
    with pytest.raises(RuleRefusal) as service:
        h.do("issue_ticket", service="nope")
    assert service.value.code == "unknown_service" and "general" in service.value.params["services"]


def test_replay_of_the_events_gives_the_live_state(h: Hall_) -> None:
    for _ in range(4):
        h.do("issue_ticket", service="general", advance_min=1)
    h.do("call_next", counter=1)
    h.do("transfer", counter=1, service="reimburse")
    h.do("call_next", counter=2, advance_min=2)
    h.do("recall", counter=2)
    h.do("no_show", counter=2)
    h.do("revive", ticket="A001")
    assert replay(h.state.hall, h.events) == h.state


def test_queue_alert_does_not_flap_around_its_threshold() -> None:
    h = Hall_(small_hall(queue_alert_waiting=5))
    for _ in range(6):
        h.do("issue_ticket", service="general")
    h.do("call_next", counter=1)          # 5 waiting: still above 80 % of the threshold
    h.do("issue_ticket", service="general")  # 6 again: must not raise a second time
    assert h.types().count("alert_raised") == 1 and "alert_cleared" not in h.types()
    h.do("call_next", counter=2)
    h.do("call_next", counter=3)          # 4 waiting: below 80 % of 5 -> cleared
    assert h.types().count("alert_cleared") == 1


def test_node_health_raises_an_alert_until_the_node_reports_ok(hall: Hall) -> None:
    h = Hall_(hall)

    def report(status: str, message: str) -> None:
        outcome = execute(h.state, Command("report_health", {"component": "printer",
                                                             "status": status,
                                                             "message": message},
                                           node="kiosk-1"), h.now)
        h.state = outcome.state
        h.events.extend(outcome.events)

    report("warning", "paper near end")
    report("warning", "paper near end")
    assert h.types().count("alert_raised") == 1
    assert h.state.health["kiosk-1/printer"].status == "warning"
    report("fault", "paper out")
    assert h.types().count("alert_raised") == 2
    h.now = at("08:00", day="2026-11-26")
    report("fault", "paper out")
    assert "node:kiosk-1/printer" in h.state.alerts
    report("ok", "")
    assert "node:kiosk-1/printer" not in h.state.alerts
    assert replay(h.state.hall, h.events) == h.state


def test_booking_import_is_all_or_nothing_and_lists_every_bad_row(h: Hall_) -> None:
    good = {"code": "BK-0001", "service": "general", "start": "2026-11-25T10:00",
            "end": "2026-11-25T10:30"}
    rows = [good,
            {**good, "code": "BK-0002", "service": "nope"},
            {**good, "code": "BK-0001"},
            {**good, "code": "BK-0003", "end": "2026-11-25T09:00"}]
    with pytest.raises(RuleRefusal) as refused:
        h.do("book_appointments", bookings=rows)
    assert refused.value.code == "bad_bookings" and refused.value.params["count"] == 3
    assert [(r["row"], r["code"], r["reason"]) for r in refused.value.params["rows"]] == [
        (2, "BK-0002", "unknown_service"), (3, "BK-0001", "duplicate_in_import"),
        (4, "BK-0003", "slot_ends_before_start")]
    assert refused.value.params["rows"][0]["params"]["service"] == "nope"
    assert h.state.appointments == {}
    assert h.do("book_appointments", bookings=[good, {**good, "code": "BK-0002"}]) == {"booked": 2}
    assert sorted(h.state.appointments) == ["BK-0001", "BK-0002"]


def test_rating_after_call_next_goes_to_the_visitor_who_just_left(h: Hall_) -> None:
    h.do("issue_ticket", service="general")
    h.do("issue_ticket", service="general")
    h.do("call_next", counter=1)
    h.do("call_next", counter=1, advance_min=5)  # finishes A001, calls A002
    assert h.do("rate", counter=1, score=3)["ticket"] == "A001"
    assert h.do("rate", counter=1, score=2)["ticket"] == "A002"
    with pytest.raises(RuleRefusal) as named:
        h.do("rate", counter=1, score=3, ticket="A001")
    assert named.value.code == "already_rated"
    with pytest.raises(RuleRefusal) as other:
        h.do("rate", counter=2, score=3, ticket="A002")
    assert other.value.code == "not_rateable_here"


def test_replay_accepts_alerts_journaled_with_bilingual_messages(h: Hall_) -> None:
    """Journals written before alerts carried code + params hold ``message`` {zh, en}."""
    h.do("close_counter", counter=3)
    h.do("issue_ticket", service="priority")
    old = [e for e in h.events if e.type != "alert_raised"] + [
        Event("alert_raised", h.now, {
            "key": "unserved:priority", "kind": "unserved", "service": "priority",
            "counter": None, "value": 1.0, "threshold": 0.0, "sticky": True,
            "message": {"zh": "优先办理 有人等候但无窗口受理",
                        "en": "Priority: visitors waiting but no open counter serves it"}}),
        Event("alert_raised", h.now, {
            "key": "node:kiosk-1/printer", "kind": "node_fault", "service": None,
            "counter": None, "value": 0.0, "threshold": 0.0, "sticky": True,
            "node": "kiosk-1", "component": "printer",
            "message": {"zh": "kiosk-1 printer: paper out", "en": "kiosk-1 printer: paper out"}}),
    ]
    state = replay(h.state.hall, old)
    assert state.alerts["unserved:priority"].params == {"service": "priority", "waiting": 1}
    assert state.alerts["node:kiosk-1/printer"].params == {
        "node": "kiosk-1", "component": "printer", "detail": ""}
    alerts = public_view(state)["alerts"]
    assert alerts["unserved:priority"]["code"] == "unserved"
    # Replayed from the old journal, the live state's alert is the same as a fresh one.
    assert state.alerts["unserved:priority"] == h.state.alerts["unserved:priority"]
