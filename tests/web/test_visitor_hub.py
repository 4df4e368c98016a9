"""The phone pages' facts and fan-out without a broker: a ticket's state read from views, a
frame only when that ticket's state or place changes, the per-address token bucket."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from protocol.events import Event
from web import visitor
from web.visitor import RateLimit, Visitors, ticket_state


def view(places: dict[str, int], serving: str | None = None, started: bool = False,
         held: tuple[str, ...] = (), no_shows: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "day": "2026-11-25",
        "places": {t: {"service": "general", "ahead": a, "estimate_min": 2.5 * (a + 1),
                       "wait_min": 3 * (a + 1)} for t, a in places.items()},
        "counters": {"2": {"number": 2, "serving": serving, "service": "general",
                           "started_at": 1.0 if started else None, "held": list(held),
                           "no_shows": [{"ticket": t, "until": 9.0} for t in no_shows]}},
    }


def test_the_state_comes_from_the_broker_view_and_heard_events() -> None:
    waiting = ticket_state(view({"A001": 0, "A002": 1}), "A002", {}, set())
    assert (waiting["state"], waiting["ahead"], waiting["wait_min"], waiting["service"]) == \
        ("waiting", 1, 6, "general")
    assert ticket_state(view({}, serving="A002"), "A002", {}, set())["state"] == "called"
    assert ticket_state(view({}, "A002", started=True), "A002", {}, set())["counter"] == 2
    assert ticket_state(view({}, held=("A002",)), "A002", {}, set())["state"] == "held"
    assert ticket_state(view({}, no_shows=("A002",)), "A002", {}, set())["state"] == "no_show"
    gone = ticket_state(view({}), "A002", {"A002": "no_show"}, {"A002"})
    assert (gone["state"], gone["rated"]) == ("no_show", True)
    assert ticket_state(view({}), "A002", {}, set())["state"] == "done"


def test_a_page_hears_only_changes_of_its_own_ticket() -> None:
    async def scenario() -> list[list[tuple[str, Any]]]:
        visitors = Visitors(loop=asyncio.get_running_loop())
        visitors.publish(view({"A001": 0, "A002": 1, "A003": 2}))
        page = visitors.open("A003")
        assert page is not None
        heard = [_drain(page)]
        visitors.publish(view({"A001": 0, "A002": 1, "A003": 2, "A004": 3}))  # behind it
        heard.append(_drain(page))
        visitors.publish(view({"A002": 0, "A003": 1, "A004": 2}, serving="A001"))
        heard.append(_drain(page))
        visitors.publish(view({"A004": 0}, serving="A003"))
        heard.append(_drain(page))
        visitors.leave("A003", page)
        assert visitors.pages == 0
        return heard

    assert asyncio.run(scenario()) == [[("waiting", 2)], [], [("waiting", 1)],
                                       [("called", None)]]


def test_a_view_looks_again_only_at_the_tickets_its_events_changed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each event carries only the places it moved: a ticket joining behind the followed ones
    makes the node look at none of them; a call moves the waiting one (and, as a counter
    changed, the one being served is looked at); a snapshot makes it look at all."""
    looked: list[str] = []
    whole_state = visitor.ticket_state

    def counted(view_: Any, ticket: str, ended: Any, rated: Any) -> dict[str, Any]:
        looked.append(ticket)
        return whole_state(view_, ticket, ended, rated)

    def place(ahead: int) -> dict[str, Any]:
        return {"service": "general", "ahead": ahead, "estimate_min": 2.5 * (ahead + 1),
                "wait_min": 3 * (ahead + 1)}

    async def scenario() -> list[tuple[list[str], list[tuple[str, Any]]]]:
        visitors = Visitors(loop=asyncio.get_running_loop())
        visitors.publish(view({"A002": 0, "A003": 1}, serving="A001"))
        pages = {t: visitors.open(t) for t in ("A001", "A003")}
        assert _drain(pages["A003"]) == [("waiting", 1)]
        seen = []
        steps: list[tuple[Event | None, dict[str, Any]]] = [
            (Event(seq=1, type="ticket_issued", at=1.0, data={"ticket": "A004"},
                   view={"places": {"A004": place(2)}}),
             view({"A002": 0, "A003": 1, "A004": 2}, serving="A001")),
            (Event(seq=2, type="called", at=2.0, data={"ticket": "A002", "counter": 2},
                   view={"places": {"A002": None, "A003": place(0), "A004": place(1)},
                         "counters": {}}),
             view({"A003": 0, "A004": 1}, serving="A002")),
            (None, view({"A003": 0, "A004": 1}, serving="A002")),  # a snapshot
        ]
        for event, whole in steps:
            looked.clear()
            if event is not None:
                visitors.hear("event", event)
            visitors.hear("state", whole)
            await asyncio.sleep(0)
            page = pages["A003"]
            assert page is not None
            seen.append((sorted(looked), _drain(page)))
        return seen

    monkeypatch.setattr(visitor, "ticket_state", counted)
    assert asyncio.run(scenario()) == [([], []), (["A001", "A003"], [("waiting", 0)]),
                                       (["A001", "A003"], [])]


def test_a_resync_looks_at_every_page_even_after_replayed_events() -> None:
    """The mirror lost its link and resynced: the snapshot's state may follow buffered events
    that name other tickets, and a place moved in the missed ones must still reach its page."""
    async def scenario() -> list[tuple[str, Any]]:
        visitors = Visitors(loop=asyncio.get_running_loop())
        visitors.publish(view({"A002": 0, "A003": 1}, serving="A001"))
        page = visitors.open("A003")
        assert _drain(page) == [("waiting", 1)]
        visitors.hear("connection", False)
        # A replayed event after the snapshot names only a newer ticket; A003 moved meanwhile.
        visitors.hear("event", Event(seq=9, type="ticket_issued", at=1.0,
                                     data={"ticket": "A005"}, view={"places": {}}))
        visitors.hear("state", view({"A003": 0, "A005": 1}, serving="A002"))
        await asyncio.sleep(0)
        return _drain(page)

    assert asyncio.run(scenario()) == [("waiting", 0)]


def _drain(page: Any) -> list[tuple[str, Any]]:
    found = []
    while page.frames:
        data = json.loads(page.frames.popleft().text["zh"].split("data: ", 1)[1])
        found.append((data["state"], data["ahead"]))
    return found


def test_a_finish_the_node_heard_outlives_the_view() -> None:
    visitors = Visitors()
    visitors.hear("event", Event(seq=9, type="no_show", at=1.0,
                                 data={"ticket": "A003", "counter": 2}))
    assert visitors.state_of("A003", view({}))["state"] == "no_show"
    visitors.hear("event", Event(seq=10, type="revived", at=2.0, data={"ticket": "A003"}))
    assert visitors.state_of("A003", view({"A003": 0}))["state"] == "waiting"
    visitors.hear("event", Event(seq=11, type="finished", at=3.0, data={"ticket": "A003"}))
    visitors.hear("event", Event(seq=12, type="rated", at=4.0, data={"ticket": "A003"}))
    assert visitors.state_of("A003", view({}))["rated"] is True
    # A new day: its A003 is another visitor, who has rated nothing.
    visitors.hear("event", Event(seq=13, type="day_started", at=5.0,
                                 data={"day": "2026-11-26", "carried": []}))
    assert visitors.state_of("A003", view({"A003": 0}))["rated"] is False


def test_the_brokers_track_answer_settles_what_a_restarted_node_never_heard() -> None:
    visitors = Visitors()
    visitors.settle("A004", "no_show", False)
    visitors.settle("A005", "finished", True)
    visitors.settle("A006", "waiting", False)
    assert visitors.state_of("A004", view({}))["state"] == "no_show"
    assert (visitors.state_of("A005", view({}))["state"],
            visitors.state_of("A005", view({}))["rated"]) == ("done", True)
    assert visitors.state_of("A006", view({"A006": 0}))["state"] == "waiting"
    # An end this node heard is at least as new as the broker's answer: it stays.
    visitors.hear("event", Event(seq=14, type="finished", at=6.0, data={"ticket": "A007"}))
    visitors.settle("A007", "no_show", False)
    assert visitors.state_of("A007", view({}))["state"] == "done"


def test_the_token_bucket_refills_per_address() -> None:
    now = [0.0]
    limit = RateLimit(per_s=1.0, burst=2.0, clock=lambda: now[0])
    assert [limit.allow("10.0.0.7") for _ in range(3)] == [True, True, False]
    assert limit.allow("10.0.0.8")  # another phone is not held back
    now[0] += 1.0
    assert limit.allow("10.0.0.7") and not limit.allow("10.0.0.7")
