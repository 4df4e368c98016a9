"""The view after each event, rebuilt only where the event touched it, equals the whole
view rebuilt from the state: on random days of random presses, and the diff it publishes
equals the diff of the two whole views."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, get_origin

import pytest
from hypothesis import given
from hypothesis import strategies as st

from broker.rules import Command, HallState, RuleRefusal, execute, initial_state, public_view
from broker.rules import view_delta
from broker.rules.model import Event
from broker.rules.view import KEYED_MAPS, view_changes
from broker.rules.view_delta import TOUCHES, advance
from tests.broker.test_books import assert_indexes_match
from tests.broker.test_rules_properties import SETTINGS, policies, step
from protocol.view import KEYED_MAPS as MERGED_BY_ENTRY
from protocol.view import PublicView, merge_view
from config.example import example_path
from config.load import load_hall
from config.schema import Hall
from tests.conftest import SHANGHAI, at, small_hall

extra = st.one_of(
    st.tuples(st.just("rate"), st.fixed_dictionaries(
        {"counter": st.sampled_from((1, 2, 3)), "score": st.integers(1, 3)})),
    st.tuples(st.just("report_health"), st.fixed_dictionaries(
        {"component": st.sampled_from(["printer", "audio"]),
         "status": st.sampled_from(["ok", "warning", "fault"]), "message": st.just("")})),
    st.tuples(st.just("tick"), st.just({})),
    st.tuples(st.just("start"), st.fixed_dictionaries({"counter": st.sampled_from((1, 2, 3))})),
    # A manager answers the 差评 of the first tickets (the lists are patched per item).
    st.tuples(st.just("acknowledge_alert"), st.fixed_dictionaries({"key": st.sampled_from(
        ["rating:20261125-A001", "rating:20261125-A002", "queue_length:general",
         "longest_wait:general", "node:kiosk-1/printer"])})),
    st.tuples(st.just("case_close"), st.fixed_dictionaries({
        "case": st.sampled_from(["20261125-A001", "20261125-A002", "20261125-C001"]),
        "outcome": st.sampled_from(["fixed", "withdrawn"])})),
    st.tuples(st.just("case_note"), st.fixed_dictionaries({
        "case": st.sampled_from(["20261125-A001", "20261125-C001"]), "note": st.just("回访")})),
)
CODES = ["BK-1", "BK-2", "BK-3", "BK-4"]
appointments = st.tuples(st.one_of(
    # Booked for a slot starting ``in_min`` from now (the loop writes the times), then
    # checked in a few minutes later, mostly on time: on-time appointments count only the
    # appointments due no later, so their places, and the fast path's claim that a walk-in
    # moves no place, meet them in lines with walk-ins and priority tickets.
    st.tuples(st.just("book_appointment"), st.fixed_dictionaries(
        {"code": st.sampled_from(CODES), "service": st.sampled_from(["general", "appointment"]),
         "in_min": st.integers(-10, 40)})),
    st.tuples(st.just("issue_ticket"), st.fixed_dictionaries(
        {"kind": st.just("appointment"), "appointment": st.sampled_from(CODES)})),
    # Priority tickets by category (or none: the last rank), into a priority service too.
    st.tuples(st.just("issue_ticket"), st.fixed_dictionaries(
        {"kind": st.just("priority"), "service": st.sampled_from(["general", "priority"]),
         "category": st.sampled_from([None, "critical", "elderly80", "military"])}))),
    st.floats(min_value=0, max_value=600))
presses = st.tuples(st.one_of(step, extra), st.floats(min_value=0, max_value=3 * 3600))
days = st.lists(st.one_of(presses, presses, appointments), min_size=10, max_size=60)
"""Days long enough for lines to form (tickets called out of a line, walk-ins behind
priority tickets and appointments)."""


def _ranked_hall(**hall_policies: Any) -> Hall:
    """The small hall with the example hall's ranked priority categories."""
    return small_hall(**hall_policies).model_copy(
        update={"priority_categories": load_hall(example_path()).priority_categories})


def _slot(args: dict[str, Any], now: float) -> dict[str, Any]:
    """A booking's hall-local start and end from its ``in_min``."""
    start = datetime.fromtimestamp(now + 60.0 * args["in_min"], SHANGHAI)
    return {"code": args["code"], "service": args["service"],
            "start": start.strftime("%Y-%m-%dT%H:%M"),
            "end": (start + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M")}


@SETTINGS
@given(policies, days)
def test_the_view_advanced_event_by_event_is_the_whole_view(
        hall_policies: dict[str, Any], steps: list[Any]) -> None:
    state = initial_state(_ranked_hall(**hall_policies))
    view = public_view(state)
    now = at("07:00")

    def observe(after: HallState, event: Event) -> None:
        nonlocal view
        whole = public_view(after)
        before = view
        view, changes = advance(view, after, event)
        assert view == whole, event.type
        # What a node's mirror makes of the published diff is the whole view too.
        assert merge_view(before, changes) == whole, event.type
        assert_indexes_match(after)
        for service, line in after.queues.items():
            # The kept oldest waiting ticket is what a scan of the line finds.
            scanned = min((after.tickets[n].queued_at for n in line), default=None)
            kept = after.oldest.get(service)
            assert (None if kept is None else kept[0]) == scanned, event.type

    for (op, args), later in steps:
        now += later
        before = view
        args = _slot(args, now) if op == "book_appointment" else args
        # A command shares the lines of the state it was given until it writes one
        # (``HallState.own_queue``): applied or refused, it must leave them as they were.
        lines = {service: list(line) for service, line in state.queues.items()}
        try:
            outcome = execute(state, Command(op, args, "kiosk-1"), now, observe)
        except RuleRefusal:
            view = before  # nothing happened: the view stays the state's
            assert state.queues == lines, op
            continue
        assert state.queues == lines, op
        state = outcome.state
    assert view == public_view(state)


def test_the_rules_and_the_merge_rule_name_the_same_keyed_maps() -> None:
    assert KEYED_MAPS == MERGED_BY_ENTRY
    # The typed view merges every dict field as a keyed map; it leaves out the places
    # (read from the dict view by the phone pages alone).
    assert {name for name, field in PublicView.model_fields.items()
            if get_origin(field.annotation) is dict} == KEYED_MAPS - {"places"}


def test_a_forgotten_nodes_health_leaves_every_mirror() -> None:
    """The diff names a removed health entry as null, and both merges drop it (before, the
    entry of a node taken out of the hall file stayed on every mirror)."""
    state = initial_state(small_hall())
    view = public_view(state)
    raw, typed = view, PublicView.parse(view)
    now = at("09:00")

    def observe(after: HallState, event: Event) -> None:
        nonlocal view, raw, typed
        view, changes = advance(view, after, event)
        raw, typed = merge_view(raw, changes), typed.merged(changes)

    for op, args in [("report_health", {"component": "printer", "status": "fault",
                                        "message": ""}),
                     ("expire_nodes", {})]:
        state = execute(state, Command(op, args, "kiosk-9"), now, observe).state
        if op == "report_health":
            assert "kiosk-9/printer" in raw["health"] and "kiosk-9/printer" in typed.health
    assert raw == public_view(state) and raw["health"] == {} and typed.health == {}


def test_the_published_changes_are_the_whole_views_difference() -> None:
    state = initial_state(small_hall())
    view = public_view(state)
    for op, args in [("issue_ticket", {"service": "general"}), ("call_next", {"counter": 1}),
                     ("pause", {"counter": 2}), ("finish", {"counter": 1})]:
        published: list[dict[str, Any]] = []
        wholes: list[dict[str, Any]] = []

        def observe(after: HallState, event: Event) -> None:
            nonlocal view
            before = view
            view, changes = advance(view, after, event)
            published.append(changes)
            wholes.append(view_changes(before, public_view(after)))

        state = execute(state, Command(op, args, "clerk-1"), at("09:00"), observe).state
        assert published == wholes and published


def test_a_rating_window_the_clock_passed_leaves_the_counters_view() -> None:
    """Found by hand, not by the random days: an event elsewhere, after the window."""
    state = initial_state(small_hall())
    view = public_view(state)
    now = at("09:00")

    def observe(after: HallState, event: Event) -> None:
        nonlocal view
        view, _ = advance(view, after, event)
        assert view == public_view(after), event.type

    for op, args, later in [("issue_ticket", {"service": "general"}, 0),
                            ("issue_ticket", {"service": "general"}, 0),
                            ("call_next", {"counter": 1}, 10),
                            ("call_next", {"counter": 1}, 100),
                            ("issue_ticket", {"service": "reimburse"}, 3600)]:
        now += later
        state = execute(state, Command(op, args, "clerk-1"), now, observe).state
    assert view["counters"]["1"]["rating"] == [{"ticket": "A002", "until": None}]


ITEM_FIELDS = {"alerts": "key", "cases": "case"}
"""The keyed map an event of one alert or case patches, and the data field naming the item."""


def test_the_alerts_and_cases_maps_patched_per_item_are_the_whole_maps() -> None:
    """差评 on several tickets, then a manager notes, closes and acknowledges some of them and
    others fall overdue: after every event the patched maps equal the maps rebuilt, and an
    event about one alert or case publishes that entry alone (null for one that left)."""
    state = initial_state(small_hall())
    view = public_view(state)
    now = at("09:00")
    types: list[str] = []
    gone: list[tuple[str, str]] = []

    def observe(after: HallState, event: Event) -> None:
        nonlocal view
        before = view
        view, changes = advance(view, after, event)
        assert view == public_view(after), event.type
        assert merge_view(before, changes) == view, event.type
        for name, field in ITEM_FIELDS.items():
            touch = TOUCHES.get(event.type)
            if touch is not None and name in touch(event)[0] and name in changes:
                assert list(changes[name]) == [str(event.data[field])], event.type
            gone.extend((name, k) for k, v in changes.get(name, {}).items() if v is None)
        types.append(event.type)

    script: list[tuple[str, dict[str, Any], float]] = []
    for counter in (1, 2, 1):
        script += [("issue_ticket", {"service": "general"}, 60),
                   ("call_next", {"counter": counter}, 60), ("finish", {"counter": counter}, 60),
                   ("rate", {"counter": counter, "score": 1}, 10)]
    script += [("case_note", {"case": "20261125-A002", "note": "回访"}, 60),
               ("acknowledge_alert", {"key": "rating:20261125-A001"}, 60),
               ("case_close", {"case": "20261125-A003", "outcome": "fixed"}, 60),
               ("tick", {}, 14 * 86400.0)]  # past every due date: the open ones fall overdue
    for op, args, later in script:
        now += later
        state = execute(state, Command(op, args, "console-1"), now, observe).state
    assert {"case_opened", "case_noted", "case_closed", "case_overdue", "alert_raised",
            "alert_acknowledged", "alert_cleared"} <= set(types)
    # The acknowledged 差评 alert left its map as null; the closed case left at the new day.
    assert {("alerts", "rating:20261125-A001"), ("cases", "20261125-A003")} <= set(gone)
    assert list(view["cases"]) == ["20261125-A001", "20261125-A002"]  # in the order opened


def test_an_ordinary_ticket_adds_its_own_place_and_walks_no_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A walk-in joining the end of a line that holds priority tickets and an on-time
    appointment adds one place and moves no other: published without rebuilding the line's
    places; a priority ticket or an appointment rebuilds them (it moves others)."""
    state = initial_state(_ranked_hall())
    view = public_view(state)
    now = at("09:00")
    rebuilt: list[str] = []
    published: dict[str, Any] = {}
    whole_line = view_delta.line_places

    def counted(after: HallState, service: str) -> dict[str, Any]:
        rebuilt.append(service)
        return whole_line(after, service)

    def observe(after: HallState, event: Event) -> None:
        nonlocal view
        before = view
        view, changes = advance(view, after, event)
        assert view == public_view(after) and changes == view_changes(before, view), event.type
        published.update(changes)

    monkeypatch.setattr(view_delta, "line_places", counted)
    script: list[tuple[dict[str, Any], list[str]]] = [
        ({"service": "general"}, []), ({"service": "general", "kind": "priority"}, ["general"]),
        ({"kind": "appointment", "appointment": "BK-1"}, ["general"]),
        ({"service": "general"}, []), ({"service": "reimburse"}, []),
        # A priority service: every ticket in it is priority; one without a category ranks
        # last and moves nobody, one with a category goes before those of later ranks.
        ({"service": "priority"}, []), ({"service": "priority"}, []),
        ({"service": "priority", "kind": "priority", "category": "elderly80"}, ["priority"]),
    ]
    state = execute(state, Command("book_appointment", {
        "code": "BK-1", "service": "general", "start": "2026-11-25T09:00",
        "end": "2026-11-25T09:30"}, "console-1"), now, observe).state
    for args, lines in script:
        rebuilt.clear()
        published.clear()
        outcome = execute(state, Command("issue_ticket", args, "kiosk-1"), now, observe)
        state, number = outcome.state, outcome.result["ticket"]
        assert rebuilt == lines, args
        if not lines:
            assert published["places"] == {number: view["places"][number]}
    assert {n: p["ahead"] for n, p in view["places"].items()} == {
        "A001": 1, "A002": 0, "A003": 0, "A004": 3, "C001": 0, "Y001": 1, "Y002": 2, "Y003": 0}
