"""The visitor's phone in the broker: the track token (drawn by the service, kept by the
rules, never published, replayed identically), ``track``, ``rate_visit`` and the view's
``places`` (people ahead), with a property test over random days."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broker.journal import Journal
from broker.rules import Command, HallState, RuleRefusal, execute, initial_state, public_view
from broker.rules.estimates import estimate_s, wait_minutes
from broker.service import BrokerService
from config.example import example_path
from config.load import load_hall
from config.schema import Hall
from protocol import envelope
from tests.conftest import at

TOKEN = "T" * 24


class Day:
    """Commands through the pure rules, a minute apart."""

    def __init__(self, hall: Hall) -> None:
        self.state: HallState = initial_state(hall)
        self.now = at("09:00")

    def do(self, op: str, **args: Any) -> dict[str, Any]:
        self.now += 60.0
        outcome = execute(self.state, Command(op, args, "test"), self.now)
        self.state = outcome.state
        return outcome.result

    def refused(self, op: str, **args: Any) -> RuleRefusal:
        with pytest.raises(RuleRefusal) as refusal:
            self.do(op, **args)
        return refusal.value


def test_the_rules_keep_the_token_on_the_ticket_and_answer_it_once(hall: Hall) -> None:
    d = Day(hall)
    result = d.do("issue_ticket", service="general", track=TOKEN)
    assert result["track"] == TOKEN
    assert d.state.tickets[result["ticket"]].track == TOKEN
    assert TOKEN not in json.dumps(public_view(d.state))


def test_rate_visit_waits_for_the_finish_and_shares_one_rating_with_the_pad(hall: Hall) -> None:
    d = Day(hall)
    ticket = d.do("issue_ticket", service="general", track=TOKEN)["ticket"]
    d.do("issue_ticket", service="general", track="U" * 24)
    assert d.refused("rate_visit", token=TOKEN, score=5).params == {"status": "waiting"}
    d.do("call_next", counter=1)
    assert d.refused("rate_visit", token=TOKEN, score=5).params == {"status": "serving"}
    d.do("call_next", counter=1)  # finishes ours, calls the next
    assert d.do("rate_visit", token=TOKEN, score=5) == {"ticket": ticket, "score": 5,
                                                        "negative": False, "case": None}
    assert d.state.tickets[ticket].rating == 5
    assert d.refused("rate_visit", token=TOKEN, score=4).code == "already_rated"
    # The pad rates the visitor being served now (ours is rated); from the phone: refused.
    other = d.do("rate", counter=1, score=4)["ticket"]
    d.do("finish", counter=1)
    assert other != ticket
    assert d.refused("rate_visit", token="U" * 24, score=5).code == "already_rated"
    assert d.refused("rate_visit", token="V" * 24, score=5).code == "unknown_track"


def test_a_negative_phone_rating_opens_a_case_at_the_counter_that_finished(hall: Hall) -> None:
    d = Day(hall)
    ticket = d.do("issue_ticket", service="general", track=TOKEN)["ticket"]
    d.do("call_next", counter=2)
    d.do("finish", counter=2)
    d.now += 3 * 3600.0  # long after the pad's rating window
    result = d.do("rate_visit", token=TOKEN, score=1, reason="efficiency")
    case = d.state.cases[result["case"]]
    assert case.counter == 2 and case.ticket == ticket and case.reason == "efficiency"


def request(op: str, rid: str, node: str = "kiosk-1", **args: Any) -> bytes:
    return envelope.encode_request(envelope.Request(rid, op, node, args))


def test_the_service_draws_a_fresh_token_publishes_none_and_replays_it(
        hall: Hall, tmp_path: Path) -> None:
    now = [at("09:00")]
    service = BrokerService(hall, Journal(tmp_path / "j.sqlite3"), lambda: now[0])
    handled = service.handle(request("issue_ticket", "k1", service="general"))
    first = json.loads(handled.reply)["result"]
    second = json.loads(service.handle(request("issue_ticket", "k2", service="general"))
                        .reply)["result"]
    assert len(first["track"]) == 24 and first["track"] != second["track"]
    assert json.loads(service.handle(request("issue_ticket", "k1", service="general"))
                      .reply)["result"]["track"] == first["track"]  # a retry: the same reply
    assert handled.publish and all(first["track"].encode() not in b"".join(frame)
                                   for frame in handled.publish)
    service.journal.close()
    again = BrokerService(hall, Journal(tmp_path / "j.sqlite3"), lambda: now[0])
    found = json.loads(again.handle(request("track", "w1", "web", token=first["track"])).reply)
    assert found == {"v": 1, "id": "w1", "ok": True,
                     "result": {"ticket": first["ticket"], "day": "2026-11-25",
                                "status": "waiting", "rated": False}}
    missing = json.loads(again.handle(request("track", "w2", "web", token="x" * 24)).reply)
    assert missing["error"]["code"] == "not_found"
    assert missing["error"]["params"] == {"reason": "unknown_track"}


def test_places_count_priority_tickets_ahead_and_move_up_on_a_call(hall: Hall) -> None:
    d = Day(hall)
    for _ in range(3):
        d.do("issue_ticket", service="general")
    d.do("issue_ticket", service="general", kind="priority")
    places = public_view(d.state)["places"]
    assert {t: p["ahead"] for t, p in places.items()} == {"A004": 0, "A001": 1, "A002": 2,
                                                          "A003": 3}
    d.do("call_next", counter=1)  # the priority ticket goes first
    places = public_view(d.state)["places"]
    assert {t: p["ahead"] for t, p in places.items()} == {"A001": 0, "A002": 1, "A003": 2}
    assert places["A003"]["wait_min"] >= places["A001"]["wait_min"]


step = st.one_of(
    st.tuples(st.just("issue_ticket"), st.sampled_from(["walkin", "priority"])),
    st.tuples(st.just("call_next"), st.integers(1, 6)),
)


@given(st.lists(step, min_size=1, max_size=60))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_every_waiting_ticket_has_one_place_and_places_are_0_to_n(steps: list[Any]) -> None:
    d = Day(load_hall(example_path()))
    for op, arg in steps:
        if op == "issue_ticket":
            args = {"service": "general"} if arg == "walkin" else \
                {"service": "general", "kind": "priority"}
            d.do("issue_ticket", **args)
        else:
            d.do("call_next", counter=arg)
        view = public_view(d.state)
        assert len(view["places"]) == sum(len(line) for line in d.state.queues.values())
        for service_id, line in d.state.queues.items():
            places = {t: p for t, p in view["places"].items() if p["service"] == service_id}
            assert set(places) == set(line)
            assert sorted(p["ahead"] for p in places.values()) == list(range(len(line)))
            for place in places.values():
                # The broker's estimate for that many ahead, as of now (calls finish visitors
                # and move the mean; the places' memo must follow it).
                expected = estimate_s(d.state, service_id, place["ahead"])
                minutes = None if expected is None else round(expected / 60.0, 1)
                assert (place["estimate_min"], place["wait_min"]) == (minutes,
                                                                      wait_minutes(minutes))
