"""The service-quality loop (issue #14): sticky alerts and acknowledgement, 差评 cases with
due dates on the hall calendar, the 5-level rating with reasons, per-service time limits."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from broker.journal import Journal
from broker.rules import Command, Event, HallState, RuleRefusal, execute, initial_state, replay
from broker.rules.cases import due_at, due_day, is_working_day
from broker.service import BrokerService
from config.schema import Hall
from foundation.pins import hash_pin
from protocol import envelope
from tests.conftest import SHANGHAI, at, small_hall

WEEKDAYS_HALL = {"days": ["mon", "tue", "wed", "thu", "fri"],
                 "periods": [{"start": "08:00", "end": "18:00"}],
                 # National Day week off, and Sunday 2026-10-11 worked instead (调休).
                 "holidays": ["2026-10-01..2026-10-07"], "workdays": ["2026-10-11"]}


def limited_hall(**policies: Any) -> Hall:
    """The small hall with a 5-minute time limit on ``general``."""
    data = small_hall(**policies).model_dump(mode="json")
    data["services"][0]["time_limit_minutes"] = 5
    return Hall.model_validate(data)


class Day:
    """A hall, a clock and a state driven through the real rules, every event kept."""

    def __init__(self, hall: Hall, start: float | None = None) -> None:
        self.hall = hall
        self.state: HallState = initial_state(hall)
        self.now = at("09:00") if start is None else start
        self.events: list[Event] = []

    def do(self, op: str, by: str | None = None, **args: Any) -> dict[str, Any]:
        """Run ``op`` from the admin, or from the console for staff ``by``."""
        outcome = execute(self.state, Command(op, args, "web" if by else "admin", by), self.now)
        self.state = outcome.state
        self.events += outcome.events
        return outcome.result

    def staffed(self) -> Day:
        """Manager 1001 (no counter) and clerk 1024 signed in at counter 1."""
        pin = hash_pin("2468")
        self.do("staff_add", id="1001", name="Manager", role="manager", pin_hash=pin)
        self.do("staff_add", id="1024", name="Clerk", role="clerk", pin_hash=pin)
        self.do("sign_in", staff="1024", counter=1)
        return self

    def later(self, minutes: float) -> dict[str, Any]:
        self.now += minutes * 60.0
        return self.do("tick")

    def serve_and_rate(self, score: int, **args: Any) -> dict[str, Any]:
        self.do("issue_ticket", service="general")
        self.do("call_next", counter=1)
        return self.do("rate", counter=1, score=score, **args)


def test_a_negative_rating_stays_through_ticks_and_days_until_acknowledged() -> None:
    d = Day(small_hall()).staffed()
    rated = d.serve_and_rate(2, reason="attitude")
    key = f"rating:{rated['case']}"
    assert rated["negative"] and d.state.alerts[key].sticky
    # The case names the clerk who served; the rating's event too (per-clerk reports).
    assert d.state.cases[rated["case"]].staff == "1024"
    assert [e.data["staff"] for e in d.events if e.type == "rated"] == ["1024"]
    d.do("finish", counter=1)
    d.later(10)
    d.later(24 * 60)  # a new day
    assert any(e.type == "day_started" for e in d.events)
    assert key in d.state.alerts and rated["case"] in d.state.cases
    d.do("sign_in", staff="1024", counter=1)  # sign-ins end with the day
    with pytest.raises(RuleRefusal) as clerk:
        d.do("acknowledge_alert", by="1024", key=key)
    assert clerk.value.code == "staff_not_manager"
    assert d.do("acknowledge_alert", by="1001", key=key, note="spoke to them") == {
        "key": key, "cleared": True}
    acked = [e for e in d.events if e.type == "alert_acknowledged"]
    assert acked[-1].data["staff"] == "1001" and acked[-1].data["note"] == "spoke to them"
    assert key not in d.state.alerts
    assert d.state.cases[rated["case"]].state == "open"  # the case still needs an answer


def test_a_condition_alert_is_silenced_by_acknowledgement_and_clears_itself() -> None:
    d = Day(small_hall(queue_alert_waiting=1))
    d.do("issue_ticket", service="general")
    d.do("issue_ticket", service="general")
    assert d.do("acknowledge_alert", key="queue_length:general")["cleared"] is False
    alert = d.state.alerts["queue_length:general"]
    assert alert.acknowledged_at == d.now and alert.acknowledged_by == "admin"
    d.do("issue_ticket", service="general")
    assert d.state.alerts["queue_length:general"].acknowledged_at is not None  # still silenced
    for counter in (1, 2, 3):
        d.do("call_next", counter=counter)
    assert "queue_length:general" not in d.state.alerts


def test_acknowledging_an_unknown_alert_is_refused_with_the_raised_keys() -> None:
    d = Day(small_hall())
    d.serve_and_rate(1)
    with pytest.raises(RuleRefusal) as refused:
        d.do("acknowledge_alert", key="rating:nothing")
    assert refused.value.code == "unknown_alert"
    assert refused.value.params["keys"] == ["rating:20261125-A001"]


def test_a_reason_goes_with_a_negative_rating_only_and_levels_are_recorded() -> None:
    d = Day(small_hall())
    with pytest.raises(RuleRefusal) as refused:
        d.serve_and_rate(3, reason="efficiency")
    assert refused.value.code == "reason_not_allowed"
    assert d.do("rate", counter=1, score=3)["case"] is None
    rated = [e for e in d.events if e.type == "rated"][-1]
    assert rated.data["level"] == "basically_satisfied" and rated.data["reason"] is None
    three = Day(small_hall(rating_scale=3))
    three.serve_and_rate(1, reason="other")
    rated = [e for e in three.events if e.type == "rated"][-1]
    assert (rated.data["level"], rated.data["negative"]) == ("dissatisfied", True)


def test_a_case_is_due_after_five_working_days_skipping_holidays_and_weekends() -> None:
    hall = small_hall(hours=WEEKDAYS_HALL)
    # Wed 2026-09-30: Thu-Wed 1-7 October are holidays, 8 (Thu), 9 (Fri), 11 (Sun, 调休),
    # 12 (Mon), 13 (Tue): the fifth working day is 13 October.
    assert due_day(hall, date(2026, 9, 30), 5) == date(2026, 10, 13)
    d = Day(hall, at("10:00", "2026-09-30"))
    case = d.serve_and_rate(1)["case"]
    due = datetime.fromtimestamp(d.state.cases[case].due_at, SHANGHAI)
    assert due == datetime(2026, 10, 14, 0, 0, tzinfo=SHANGHAI)  # the end of the 13th
    assert d.state.cases[case].state == "open"


def test_an_open_case_turns_overdue_on_the_tick_and_closes_late() -> None:
    d = Day(small_hall()).staffed()
    case = d.serve_and_rate(1)["case"]
    d.do("case_note", by="1001", case=case, note="called, no answer")
    d.now = d.state.cases[case].due_at - 60.0
    d.do("tick")
    assert d.state.cases[case].state == "open"
    d.later(2)
    assert d.state.cases[case].state == "overdue"
    assert [e.type for e in d.events].count("case_overdue") == 1
    d.later(60)
    assert [e.type for e in d.events].count("case_overdue") == 1
    closed = d.do("case_close", by="1001", case=case, outcome="callback_made",
                  note="apologised")
    assert closed == {"case": case, "outcome": "callback_made", "in_time": False}
    (event,) = [e.data for e in d.events if e.type == "case_closed"]
    assert (event["staff"], event["case_staff"], event["in_time"]) == ("1001", "1024", False)
    assert d.state.cases[case].notes_count == 2
    assert f"rating:{case}" not in d.state.alerts  # closing answers the rating alert too
    with pytest.raises(RuleRefusal) as again:
        d.do("case_note", case=case, note="more")
    assert again.value.code == "case_closed"
    d.later(24 * 60)
    assert case not in d.state.cases  # closed cases leave with the day (journal keeps them)


def test_a_transaction_past_its_time_limit_raises_one_sticky_alert() -> None:
    d = Day(limited_hall())
    d.do("issue_ticket", service="general")
    d.do("issue_ticket", service="general")
    d.do("call_next", counter=1)
    d.later(4)
    assert not d.state.alerts
    d.later(2)
    key = "time_limit:1:A001"
    assert d.state.alerts[key].sticky and d.state.alerts[key].counter == 1
    d.do("acknowledge_alert", key=key)
    d.later(5)
    assert [e.type for e in d.events].count("time_limit_exceeded") == 1
    assert key not in d.state.alerts
    d.do("call_next", counter=1)
    d.do("finish", counter=1)
    finished = [e.data for e in d.events if e.type == "finished"]
    assert [(f["ticket"], f["over_limit"]) for f in finished] == [("A001", True),
                                                                  ("A002", False)]


def test_a_finish_past_the_limit_between_ticks_still_alerts_and_counts() -> None:
    d = Day(limited_hall())
    d.do("issue_ticket", service="general")
    d.do("call_next", counter=1)
    d.now += 6 * 60.0
    d.do("finish", counter=1)
    assert "time_limit:1:A001" in d.state.alerts
    assert [e.data["over_limit"] for e in d.events if e.type == "finished"] == [True]


def test_replaying_the_events_gives_the_same_alerts_and_cases() -> None:
    d = Day(limited_hall(queue_alert_waiting=1))
    d.do("issue_ticket", service="general")
    d.do("issue_ticket", service="general")
    case = d.serve_and_rate(1, reason="environment")["case"]
    d.do("acknowledge_alert", key="queue_length:general")
    d.do("case_note", case=case, note="looked at the waiting area")
    d.later(7)
    assert {"queue_length:general", f"rating:{case}", "time_limit:1:A001"} <= set(d.state.alerts)
    rebuilt = replay(d.hall, d.events)
    assert rebuilt.alerts == d.state.alerts and rebuilt.cases == d.state.cases


def _send(broker: BrokerService, op: str, rid: str, **args: Any) -> dict[str, Any]:
    raw = envelope.encode_request(envelope.Request(rid, op, "admin", args))
    answer = json.loads(broker.handle(raw).reply)
    assert answer["ok"], answer
    return answer["result"]


def test_a_restarted_broker_still_shows_the_rating_alert_and_its_case(tmp_path: Path) -> None:
    hall = small_hall(hours=WEEKDAYS_HALL)
    now = [at("10:00", "2026-11-27")]  # a Friday
    journal = Journal(tmp_path / "journal.sqlite3")
    broker = BrokerService(hall, journal, lambda: now[0])
    _send(broker, "issue_ticket", "r1", service="general")
    _send(broker, "call_next", "r2", counter=1)
    case = _send(broker, "rate", "r3", counter=1, score=1, reason="attitude")["case"]
    now[0] += 3 * 86400.0  # over the weekend into Monday
    broker.tick()
    journal.close()
    again = BrokerService(hall, Journal(tmp_path / "journal.sqlite3"), lambda: now[0])
    view = again.snapshot()["view"]
    assert list(view["alerts"]) == [f"rating:{case}"]
    alert = view["alerts"][f"rating:{case}"]
    assert alert["sticky"] is True and alert["source"] == "rating"
    (listed,) = view["cases"].values()
    assert list(view["cases"]) == [listed["id"]]  # keyed by the case's id
    assert (listed["id"], listed["state"], listed["reason"]) == (case, "open", "attitude")
    # Friday 27 November + 5 working days = Friday 4 December, due at its end.
    assert datetime.fromtimestamp(listed["due_at"], SHANGHAI) == datetime(
        2026, 12, 5, tzinfo=SHANGHAI)
    assert is_working_day(hall, date(2026, 12, 4)) and due_at(hall, listed["rated_at"]) == (
        listed["due_at"])
    _send(again, "acknowledge_alert", "r4", key=f"rating:{case}")
    assert again.snapshot()["view"]["alerts"] == {}


def test_a_managers_case_notes_stay_in_the_journal_and_are_not_published(
        tmp_path: Path) -> None:
    hall = small_hall()
    now = [at("10:00")]
    broker = BrokerService(hall, Journal(tmp_path / "journal.sqlite3"), lambda: now[0])
    _send(broker, "issue_ticket", "r1", service="general")
    _send(broker, "call_next", "r2", counter=1)
    case = _send(broker, "rate", "r3", counter=1, score=1)["case"]
    published: list[envelope.Event] = []
    for rid, op, args in (("r4", "case_note", {"case": case, "note": "rang 138-0000-0000"}),
                          ("r5", "case_close", {"case": case, "outcome": "fixed",
                                                "note": "visitor Wang satisfied"})):
        raw = envelope.encode_request(envelope.Request(rid, op, "admin", args))
        published += [envelope.decode_event(f) for f in broker.handle(raw).publish]
    assert {e.type for e in published} >= {"case_noted", "case_closed", "alert_acknowledged"}
    assert all("note" not in e.data for e in published)
    shown = json.dumps([e.data for e in published] + [e.view for e in published])
    assert "138-0000" not in shown and "Wang" not in shown
    kept = [stored.event() for stored in broker.journal.events()]
    assert [e.data["note"] for e in kept if e.type == "case_noted"] == ["rang 138-0000-0000"]
