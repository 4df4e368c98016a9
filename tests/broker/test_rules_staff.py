"""Staff in the queue rules: records, sign-in at a counter, the console's staff checks, the
工号 on counter events and in the view, the manager's ticketing pause and timed notices."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.rules import Command, Event, HallState, RuleRefusal, execute, initial_state, replay
from broker.rules import refusals as why
from broker.rules.staff import COUNTER_OPS, MANAGER_OPS
from broker.rules.staff_state import public_data
from broker.rules.view import public_view
from protocol.registry import COUNTER_SCOPED_OPS
from protocol.registry import MANAGER_OPS as REGISTRY_MANAGER_OPS
from tests.conftest import at, small_hall

HASH = "scrypt$16384$8$1$" + "S" * 22 + "$" + "H" * 43
OTHER_HASH = "scrypt$16384$8$1$" + "T" * 22 + "$" + "K" * 43


class Hall:
    """The small hall driven through the real rules, keeping every event."""

    def __init__(self) -> None:
        self.state: HallState = initial_state(small_hall())
        self.now = at("09:00")
        self.events: list[Event] = []

    def do(self, op: str, by: str | None = None, /, **args: Any) -> dict[str, Any]:
        """Run ``op``; ``by`` is the 工号 the console gives it for (None: the admin)."""
        outcome = execute(self.state, Command(op, args, "web" if by else "admin", by),
                          self.now)
        self.state = outcome.state
        self.events += outcome.events
        self.now += 30.0
        return outcome.result

    def refused(self, op: str, by: str | None = None, /, **args: Any) -> RuleRefusal:
        with pytest.raises(RuleRefusal) as refusal:
            self.do(op, by, **args)
        return refusal.value

    def last(self, type_: str) -> Event:
        return [e for e in self.events if e.type == type_][-1]


@pytest.fixture
def hall() -> Hall:
    h = Hall()
    h.do("staff_add", id="1024", name="张三", role="clerk", pin_hash=HASH)
    h.do("staff_add", id="2048", name="王五", role="clerk", pin_hash=HASH)
    h.do("staff_add", id="9", name="李四", role="manager", pin_hash=HASH)
    return h


def test_the_rules_know_the_registrys_clerk_and_manager_ops() -> None:
    assert COUNTER_OPS == COUNTER_SCOPED_OPS
    assert MANAGER_OPS == REGISTRY_MANAGER_OPS


def test_an_existing_id_is_refused_and_a_pin_can_be_reset(hall: Hall) -> None:
    refusal = hall.refused("staff_add", id="1024", name="x", role="clerk", pin_hash=HASH)
    assert (refusal.code, refusal.params) == (why.STAFF_EXISTS, {"staff": "1024"})
    hall.do("staff_set_pin", id="1024", pin_hash=OTHER_HASH)
    assert hall.state.staff["1024"].pin_hash == OTHER_HASH
    assert hall.refused("staff_set_pin", id="77", pin_hash=HASH).code == why.STAFF_UNKNOWN


def test_sign_in_replaces_the_counters_member_and_moves_the_member(hall: Hall) -> None:
    result = hall.do("sign_in", staff="1024", counter=1)
    assert result == {"staff": "1024", "name": "张三", "role": "clerk", "counter": 1}
    assert public_view(hall.state)["counters"]["1"]["staff"] == "1024"
    hall.do("sign_in", staff="2048", counter=1)
    assert dict(hall.last("signed_out").data) == {"staff": "1024", "counter": 1,
                                                  "reason": "replaced"}
    hall.do("sign_in", staff="2048", counter=2)
    assert dict(hall.last("signed_out").data) == {"staff": "2048", "counter": 1,
                                                  "reason": "moved"}
    counters = public_view(hall.state)["counters"]
    assert (counters["1"]["staff"], counters["2"]["staff"]) == (None, "2048")
    before = len(hall.events)
    hall.do("sign_in", staff="2048", counter=2)
    assert len(hall.events) == before, "signing in again where one is changes nothing"
    assert hall.do("sign_out", staff="2048") == {"staff": "2048", "counter": 2}
    assert public_view(hall.state)["counters"]["2"]["staff"] is None
    assert hall.do("sign_out", staff="2048") == {"staff": "2048", "counter": None}


def test_the_console_acts_only_for_a_member_who_may(hall: Hall) -> None:
    hall.do("issue_ticket", service="general")
    unknown = hall.refused("call_next", "55", counter=1)
    assert (unknown.code, unknown.params) == (why.STAFF_UNKNOWN, {"staff": "55"})
    away = hall.refused("call_next", "1024", counter=1)
    assert (away.code, away.params) == (why.STAFF_NOT_AT_COUNTER,
                                        {"staff": "1024", "counter": 1, "signed_in_at": None})
    hall.do("sign_in", staff="1024", counter=2)
    assert hall.refused("call_next", "1024", counter=1).params["signed_in_at"] == 2
    assert hall.do("call_next", "1024", counter=2)["ticket"] == "A001"
    clerk = hall.refused("close_counter", "1024", counter=3)
    assert (clerk.code, clerk.params) == (why.STAFF_NOT_MANAGER,
                                          {"staff": "1024", "role": "clerk"})
    assert hall.do("close_counter", "9", counter=3)["changed"] is True
    assert hall.last("counter_changed").data["by_staff"] == "9"
    hall.do("staff_disable", "9", id="1024")
    assert hall.refused("finish", "1024", counter=2).code == why.STAFF_DISABLED
    assert hall.refused("sign_in", staff="1024", counter=2).code == why.STAFF_DISABLED
    # Requests without a 工号 (a counter's caller, the admin) are judged by roles alone.
    assert hall.do("finish", counter=2)["status"] == "finished"


def test_disabling_signs_out_and_enabling_lets_the_member_back(hall: Hall) -> None:
    hall.do("sign_in", staff="1024", counter=1)
    result = hall.do("staff_disable", id="1024")
    assert (result["enabled"], result["changed"], result["counter"]) == (False, True, None)
    assert [e.type for e in hall.events[-2:]] == ["signed_out", "staff_disabled"]
    assert hall.last("signed_out").data["reason"] == "disabled"
    assert hall.do("staff_disable", id="1024")["changed"] is False
    assert hall.do("staff_enable", id="1024")["changed"] is True
    assert hall.do("sign_in", staff="1024", counter=1)["counter"] == 1


def test_counter_events_carry_the_signed_in_member_and_ratings_the_caller(hall: Hall) -> None:
    for _ in range(2):
        hall.do("issue_ticket", service="general")
    hall.do("sign_in", staff="1024", counter=1)
    hall.do("call_next", "1024", counter=1)
    hall.do("finish", "1024", counter=1)
    hall.do("sign_out", staff="1024")
    hall.do("rate", counter=1, score=3)
    hall.do("call_next", counter=1)
    assert hall.last("finished").data["staff"] == "1024"
    assert hall.last("rated").data["staff"] == "1024", "the rating rates the clerk who served"
    assert "staff" not in hall.last("called").data, "nobody is signed in at counter 1 now"
    called = [e for e in hall.events if e.type == "called"][0]
    assert (called.data["staff"], called.data["by_staff"]) == ("1024", "1024")


def test_staff_list_and_view_never_hold_a_hash_or_a_name(hall: Hall) -> None:
    hall.do("sign_in", staff="1024", counter=1)
    text = repr(public_view(hall.state)) + repr(hall.state.staff)
    assert HASH not in text and "张三" not in repr(public_view(hall.state))
    for event in hall.events:
        published = repr(public_data(event.data))
        assert HASH not in published and "张三" not in published, event.type


def test_a_new_day_ends_sign_ins_and_the_managers_pause(hall: Hall) -> None:
    hall.do("sign_in", staff="1024", counter=1)
    hall.do("pause_ticketing", "9", reason="hall full")
    hall.now = at("08:00", "2026-11-26")
    hall.do("report_health", component="printer", status="ok", message="")
    view = public_view(hall.state)
    assert view["counters"]["1"]["staff"] is None and view["ticketing"]["paused"] is False
    assert "1024" in hall.state.staff, "staff records outlive the day"


def test_paused_ticketing_refuses_tickets_and_says_so_in_the_view(hall: Hall) -> None:
    assert hall.do("pause_ticketing", "9", reason="hall full") == {"paused": True,
                                                                  "changed": True}
    ticketing = public_view(hall.state)["ticketing"]
    assert (ticketing["open"], ticketing["paused"], ticketing["code"], ticketing["reason"]) == (
        False, True, "paused_by_manager", "hall full")
    assert hall.refused("issue_ticket", service="general").code == why.TICKETING_PAUSED
    assert hall.do("pause_ticketing", "9")["changed"] is False
    assert hall.do("resume_ticketing", "9") == {"paused": False, "changed": True}
    assert public_view(hall.state)["ticketing"]["code"] is None
    assert hall.do("issue_ticket", service="general")["ticket"] == "A001"


def test_a_notice_shows_until_the_broker_clock_passes_its_end(hall: Hall) -> None:
    posted = hall.do("post_notice", "9", zh="系统维护", en="Maintenance", minutes=2)
    until = posted["notice"]["until"]
    assert public_view(hall.state)["notice"] == {"zh": "系统维护", "en": "Maintenance",
                                                 "until": until}
    hall.now = until - 1.0
    hall.do("tick")
    assert public_view(hall.state)["notice"] is not None
    hall.now = until
    hall.do("tick")
    assert dict(hall.last("notice_cleared").data) == {"reason": "expired"}
    assert public_view(hall.state)["notice"] is None
    assert hall.do("clear_notice", "9") == {"notice": None, "changed": False}
    hall.do("post_notice", "9", zh="暂停", en="Paused", minutes=60)
    assert hall.do("clear_notice", "9")["changed"] is True


# --- properties -----------------------------------------------------------------------------

MEMBERS = ("1024", "2048", "9", "55")
member = st.sampled_from(MEMBERS)
counter = st.sampled_from((1, 2, 3))
step = st.one_of(
    st.tuples(st.just("sign_in"), st.fixed_dictionaries({"staff": member, "counter": counter})),
    st.tuples(st.just("sign_out"), st.fixed_dictionaries({"staff": member})),
    st.tuples(st.just("staff_disable"), st.fixed_dictionaries({"id": member})),
    st.tuples(st.just("staff_enable"), st.fixed_dictionaries({"id": member})),
    st.tuples(st.just("issue_ticket"), st.just({"service": "general"})),
    st.tuples(st.just("call_next"), st.fixed_dictionaries({"counter": counter})),
    st.tuples(st.just("finish"), st.fixed_dictionaries({"counter": counter})),
    st.tuples(st.just("pause_ticketing"), st.just({})),
    st.tuples(st.just("resume_ticketing"), st.just({})),
)
script = st.lists(st.tuples(step, st.one_of(st.none(), member)), max_size=40)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(script)
def test_sign_ins_stay_consistent_whatever_the_console_sends(
        steps: list[tuple[tuple[str, dict[str, Any]], str | None]]) -> None:
    h = Hall()
    for staff, role in (("1024", "clerk"), ("2048", "clerk"), ("9", "manager")):
        h.do("staff_add", id=staff, name=f"n{staff}", role=role, pin_hash=HASH)
    for (op, args), staff in steps:
        try:
            h.do(op, staff, **args)
        except RuleRefusal:
            pass
        signed = list(h.state.signed_in.values())
        # One counter per member, only enabled members, and only known ones.
        assert len(signed) == len(set(signed))
        assert all(h.state.staff[s].enabled for s in signed)
        for event in h.events:
            assert HASH not in repr(public_data(event.data))
    # The journal's events alone rebuild the same staff and sign-ins.
    rebuilt = replay(h.state.hall, h.events)
    assert (rebuilt.staff, rebuilt.signed_in) == (h.state.staff, h.state.signed_in)
    assert public_view(rebuilt) == public_view(h.state)
