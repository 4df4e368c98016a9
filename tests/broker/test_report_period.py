"""Period figures on hand-made event lists: percentiles, 满意率, periods, carried tickets, staff.

The events are written the way the broker journals them (``StoredEvent``), including the
fields other branches add (``staff``, ``level``, ``over_limit``, case events), so the
figures are checked both with and without them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker.journal import StoredEvent
from broker.report_facts import level_of, read_facts
from broker.report_figures import ReportError
from broker.report_period import ALL, build_period_report, period_label, period_of
from config.schema import Hall
from tests.conftest import at, small_hall


class Events:
    """Builds a journal-like event list, one hall-local day and minute at a time."""

    def __init__(self) -> None:
        self.items: list[StoredEvent] = []

    def add(self, day: str, hhmm: str, type_: str, /, **data: Any) -> None:
        self.items.append(StoredEvent(len(self.items) + 1, at(hhmm, day=day), day, type_, data,
                                      "op", "test-node", None))

    def ticket(self, day: str, number: str, issued: str, called: str, finished: str,
               counter: int = 1, service: str = "general", **extra: Any) -> None:
        """A ticket issued, called, finished (service time from the call)."""
        self.add(day, issued, "ticket_issued", ticket=number, service=service,
                 kind=extra.pop("kind", "walkin"), category=extra.pop("category", None))
        staff = extra.pop("staff", None)
        self.add(day, called, "called", ticket=number, counter=counter, service=service,
                 out_of_order=False, reason=None, staff=staff)
        service_s = (at(finished, day=day) - at(called, day=day))
        self.add(day, finished, "finished", ticket=number, counter=counter, service=service,
                 service_s=service_s, staff=staff, **extra)


def report(events: Events, start: str, end: str, by: str = "day", **hall: Any) -> Any:
    return build_period_report(read_facts(small_hall(**hall), events.items), start, end, by)


# --- periods ---------------------------------------------------------------------------------

def test_weeks_start_on_monday_and_months_cross_at_their_end() -> None:
    assert period_of("2026-11-29", "week") == "2026-11-23"  # Sunday -> its Monday
    assert period_of("2026-11-30", "week") == "2026-11-30"  # Monday starts a new week
    assert period_of("2026-12-02", "week") == "2026-11-30"  # a week across the month end
    assert period_of("2026-11-30", "month") == "2026-11"
    assert period_of("2026-12-01", "month") == "2026-12"
    assert period_label("2026-11-23", "week") == "2026-W48"
    with pytest.raises(ReportError):
        period_of("2026-11-30", "year")


def test_a_week_across_a_month_end_holds_the_days_of_both_months() -> None:
    ev = Events()
    ev.ticket("2026-11-30", "A001", "09:00", "09:10", "09:15")
    ev.ticket("2026-12-01", "A001", "09:00", "09:20", "09:25")
    weekly = report(ev, "2026-11-30", "2026-12-01", "week")
    assert weekly.periods == ["2026-11-30"]
    assert weekly.get("2026-11-30", "total").issued == 2
    monthly = report(ev, "2026-11-30", "2026-12-01", "month")
    assert monthly.periods == ["2026-11", "2026-12"]
    assert monthly.get("2026-11", "total").wait_mean_min == pytest.approx(10.0)
    assert monthly.get("2026-12", "total").wait_mean_min == pytest.approx(20.0)
    assert monthly.get(ALL, "total").issued == 2


def test_days_outside_the_range_are_left_out_and_a_reversed_range_is_refused() -> None:
    ev = Events()
    ev.ticket("2026-11-24", "A001", "09:00", "09:10", "09:15")
    ev.ticket("2026-11-25", "A001", "09:00", "09:10", "09:15")
    assert report(ev, "2026-11-25", "2026-11-25").get(ALL, "total").issued == 1
    with pytest.raises(ReportError, match="after"):
        report(ev, "2026-11-26", "2026-11-25")


# --- waits -----------------------------------------------------------------------------------

def test_p50_p90_and_the_share_within_the_wait_target() -> None:
    ev = Events()
    waits = [1, 2, 3, 4, 5, 6, 7, 8, 20, 40]  # minutes
    for i, wait in enumerate(waits):
        ev.ticket("2026-11-25", f"A{i + 1:03d}", "09:00", f"{9 + (wait // 60):02d}:{wait % 60:02d}",
                  "10:30", counter=1 + i % 3)
    day = report(ev, "2026-11-25", "2026-11-25").get("2026-11-25", "total")
    assert (day.wait_n, day.wait_p50_min, day.wait_p90_min) == (10, 5.0, 20.0)
    assert day.wait_mean_min == pytest.approx(9.6)
    assert day.wait_within_target == pytest.approx(0.8)  # 20 and 40 exceed 15 minutes


@given(st.lists(st.integers(min_value=0, max_value=300), min_size=1, max_size=30))
def test_percentiles_are_observed_waits_and_p50_never_exceeds_p90(waits: list[int]) -> None:
    ev = Events()
    for i, wait in enumerate(waits):
        ev.add("2026-11-25", "08:00", "ticket_issued", ticket=f"A{i:03d}", service="general")
        ev.items.append(StoredEvent(len(ev.items) + 1, at("08:00") + wait * 60.0, "2026-11-25",
                                    "called", {"ticket": f"A{i:03d}", "counter": 1,
                                               "service": "general"}, "op", "n", None))
    fig = report(ev, "2026-11-25", "2026-11-25").get(ALL, "total")
    assert fig.wait_p50_min in waits and fig.wait_p90_min in waits
    assert fig.wait_p50_min <= fig.wait_p90_min <= max(waits)
    assert fig.wait_n == len(waits)


# --- ratings and 满意率 -------------------------------------------------------------------------

def test_satisfaction_is_the_share_of_satisfied_and_very_satisfied() -> None:
    ev = Events()
    levels = ["very_satisfied", "satisfied", "basically_satisfied", "dissatisfied", "satisfied"]
    for i, level in enumerate(levels):
        number = f"A{i + 1:03d}"
        ev.ticket("2026-11-25", number, "09:00", "09:05", "09:10", counter=1 + i % 2)
        ev.add("2026-11-25", "09:10", "rated", ticket=number, counter=1 + i % 2, score=3,
               scale=5, level=level, negative=level == "dissatisfied", reason=None)
    r = report(ev, "2026-11-25", "2026-11-25")
    total = r.get(ALL, "total")
    assert total.ratings == 5 and total.negative == 1
    assert total.satisfied_share == pytest.approx(3 / 5)
    assert total.levels["satisfied"] == 2 and total.levels["very_dissatisfied"] == 0
    assert r.get(ALL, "counter", "1").satisfied_share == pytest.approx(2 / 3)  # vs, basic, s
    assert r.get(ALL, "counter", "2").satisfied_share == pytest.approx(1 / 2)


def test_levels_of_older_events_come_from_score_and_scale() -> None:
    assert level_of({"score": 3, "scale": 3}) == "satisfied"
    assert level_of({"score": 1, "scale": 3}) == "dissatisfied"
    assert level_of({"score": 5, "scale": 5}) == "very_satisfied"
    assert level_of({"score": 4, "scale": 5}) == "satisfied"
    assert level_of({"score": 9, "scale": 5}) is None
    assert level_of({"score": 2, "scale": 5, "level": "dissatisfied"}) == "dissatisfied"


# --- staff, classes, limits, pauses, cases ------------------------------------------------------

def test_staff_figures_follow_the_staff_field_and_absent_staff_counts_nowhere() -> None:
    ev = Events()
    ev.ticket("2026-11-25", "A001", "09:00", "09:04", "09:10", staff="E07")
    ev.ticket("2026-11-25", "A002", "09:00", "09:06", "09:20", counter=2, staff="E08")
    ev.ticket("2026-11-25", "A003", "09:00", "09:08", "09:30", counter=2)
    r = report(ev, "2026-11-25", "2026-11-25")
    assert r.scopes("staff") == ["E07", "E08"]
    assert r.get(ALL, "staff", "E07").wait_mean_min == pytest.approx(4.0)
    assert r.get(ALL, "staff", "E08").service_mean_min == pytest.approx(14.0)
    assert r.get(ALL, "counter", "2").served == 2


def test_priority_class_and_category_come_from_the_issue() -> None:
    ev = Events()
    ev.ticket("2026-11-25", "A001", "09:00", "09:04", "09:10")
    ev.ticket("2026-11-25", "Y001", "09:00", "09:01", "09:10", service="priority",
              kind="priority", category="elderly")
    r = report(ev, "2026-11-25", "2026-11-25")
    assert r.get(ALL, "class", "normal").issued == 1
    assert r.get(ALL, "class", "priority").wait_mean_min == pytest.approx(1.0)
    assert r.get(ALL, "category", "elderly").issued == 1


def test_time_limit_compliance_counts_only_services_with_a_limit() -> None:
    data = small_hall().model_dump(mode="json")
    data["services"][0]["time_limit_minutes"] = 15  # general; reimburse has no limit
    hall = Hall.model_validate(data)
    ev = Events()
    ev.ticket("2026-11-25", "A001", "09:00", "09:04", "09:10", over_limit=False)
    ev.ticket("2026-11-25", "A002", "09:00", "09:04", "09:30", over_limit=True)
    ev.ticket("2026-11-25", "A003", "09:00", "09:04", "09:10")  # an older event: by service_s
    ev.ticket("2026-11-25", "A004", "09:00", "09:04", "09:40")  # older, and over the limit
    ev.ticket("2026-11-25", "C001", "09:00", "09:04", "09:50", service="reimburse",
              over_limit=False)  # no limit: says nothing
    r = build_period_report(read_facts(hall, ev.items), "2026-11-25", "2026-11-25", "day")
    total = r.get(ALL, "total")
    assert (total.served, total.limit_checked, total.within_limit) == (5, 4, 0.5)
    assert r.get(ALL, "service", "reimburse").within_limit is None


def test_paused_minutes_run_to_the_resume_or_the_next_day() -> None:
    ev = Events()
    ev.add("2026-11-25", "10:00", "counter_changed", counter=2, mode="paused", previous="open")
    ev.add("2026-11-25", "10:15", "counter_changed", counter=2, mode="open", previous="paused")
    ev.add("2026-11-25", "16:00", "counter_changed", counter=2, mode="paused", previous="open")
    ev.add("2026-11-26", "00:00", "day_started", day="2026-11-26", carried=[])
    r = report(ev, "2026-11-25", "2026-11-26")
    assert r.get("2026-11-25", "counter", "2").paused_min == pytest.approx(15.0 + 8 * 60.0)
    assert r.get("2026-11-26", "counter", "2") is None


def test_cases_closed_in_time_late_and_overdue_and_unknown_without_case_events() -> None:
    ev = Events()
    due = at("17:00", day="2026-11-27")
    for case in ("K1", "K2", "K3", "K4"):
        ev.add("2026-11-25", "10:00", "case_opened", case=case, counter=1, due_at=due)
    ev.add("2026-11-26", "10:00", "case_closed", case="K1", outcome="visited")
    ev.add("2026-11-30", "10:00", "case_closed", case="K2", outcome="fixed")
    ev.add("2026-11-30", "11:00", "ticket_issued", ticket="A001", service="general")
    r = report(ev, "2026-11-25", "2026-11-30")
    day = r.get("2026-11-25", "total")
    assert (day.cases_opened, day.cases_in_time, day.cases_overdue) == (4, 1, 3)
    assert r.get(ALL, "counter", "1").cases_opened == 4
    assert r.get(ALL, "service", "general").cases_opened == 0  # cases exist, none here
    older = Events()
    older.ticket("2026-11-25", "A001", "09:00", "09:04", "09:10")
    total = report(older, "2026-11-25", "2026-11-25").get(ALL, "total")
    assert (total.cases_opened, total.cases_in_time, total.cases_overdue) == (None, None, None)


# --- carried tickets, no-shows, arrivals -------------------------------------------------------

def test_a_carried_ticket_counts_on_its_issue_day() -> None:
    ev = Events()
    ev.add("2026-11-25", "23:50", "ticket_issued", ticket="A001", service="general")
    ev.add("2026-11-26", "00:00", "day_started", day="2026-11-26", carried=["A001"])
    ev.add("2026-11-26", "00:10", "called", ticket="A001", counter=1, service="general")
    ev.add("2026-11-26", "00:10", "ticket_issued", ticket="A002", service="general")
    r = report(ev, "2026-11-25", "2026-11-26")
    first = r.get("2026-11-25", "total")
    assert (first.issued, first.called, first.wait_mean_min) == (1, 1, pytest.approx(20.0))
    assert r.get("2026-11-26", "total").called == 0


def test_a_revived_and_served_ticket_is_no_no_show_and_arrivals_peak() -> None:
    ev = Events()
    ev.ticket("2026-11-25", "A001", "09:00", "09:01", "09:02")
    ev.add("2026-11-25", "10:00", "ticket_issued", ticket="A002", service="general")
    ev.add("2026-11-25", "10:05", "ticket_issued", ticket="A003", service="general")
    for number in ("A002", "A003"):
        ev.add("2026-11-25", "10:10", "called", ticket=number, counter=1, service="general",
               staff="E07")
        ev.add("2026-11-25", "10:12", "no_show", ticket=number, counter=1)
    ev.add("2026-11-25", "10:20", "revived", ticket="A002", service="general", position=0)
    ev.add("2026-11-25", "10:30", "called", ticket="A002", counter=2, service="general",
           staff="E08")
    r = report(ev, "2026-11-25", "2026-11-25")
    total = r.get(ALL, "total")
    assert (total.called, total.no_show, total.wait_n) == (3, 1, 3)
    # The no-show event names no clerk: it counts under the clerk who called.
    assert r.get(ALL, "staff", "E07").no_show == 1 and r.get(ALL, "staff", "E08").no_show == 0
    assert total.arrivals_by_hour == {9: 1, 10: 2} and total.peak_hour == 10


@given(st.lists(st.tuples(st.integers(min_value=0, max_value=70), st.integers(0, 40),
                          st.booleans()), min_size=1, max_size=25),
       st.sampled_from(["day", "week", "month"]))
def test_the_periods_split_the_range_without_loss_or_overlap(
        tickets: list[tuple[int, int, bool]], by: str) -> None:
    ev = Events()
    first = date(2026, 11, 20)
    for index, (offset, wait, served) in enumerate(tickets):
        day = (first + timedelta(days=offset)).isoformat()
        number = f"A{index:03d}"
        ev.add(day, "09:00", "ticket_issued", ticket=number, service="general")
        ev.add(day, f"09:{wait:02d}", "called", ticket=number, counter=1, service="general")
        if served:
            ev.add(day, "09:59", "finished", ticket=number, counter=1, service="general",
                   service_s=60.0)
    r = report(ev, first.isoformat(), (first + timedelta(days=70)).isoformat(), by)
    parts = [f for f in (r.get(p, "total") for p in r.periods) if f is not None]
    whole = r.get(ALL, "total")
    assert sum(f.issued for f in parts) == whole.issued == len(tickets)
    assert sum(f.served for f in parts) == whole.served == sum(s for _, _, s in tickets)
    assert sum(f.wait_n for f in parts) == whole.wait_n
    assert len(set(r.periods)) == len(r.periods) and r.periods == sorted(r.periods)
