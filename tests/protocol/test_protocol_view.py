"""The typed public view: parsed once, folded event by event exactly like the dict view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pydantic
import pytest

from broker.rules import initial_state, public_view
from config.schema import Hall
from protocol.mirror import merge_view
from protocol.view import CounterView, PublicView, RatingWindow
from hall_script import run_script


def test_folding_each_event_gives_the_view_parsed_whole(hall: Hall, tmp_path: Path) -> None:
    run = run_script(hall, tmp_path)
    assert len(run.published) > 20
    raw: dict[str, Any] = public_view(initial_state(hall))  # the snapshot before it all
    typed = PublicView.parse(raw)
    for event in run.published:
        raw = merge_view(raw, event.view)
        typed = typed.merged(event.view)
        assert typed == PublicView.parse(raw), (event.seq, event.type)
    assert raw == run.broker.view
    assert typed.counters[1].number == 1 and set(typed.counters) == {1, 2, 3}
    assert typed.ticketing is not None and typed.ticketing.open


def test_merging_updates_entries_and_sub_objects_key_by_key() -> None:
    view = PublicView.parse({
        "counters": {"1": {"number": 1, "mode": "open"}, "2": {"number": 2, "mode": "open"}},
        "ticketing": {"open": True, "in_hours": True, "closes_at": 100.0, "opens_at": None}})
    after = view.merged({"counters": {"2": {"number": 2, "mode": "paused"}},
                         "ticketing": {"open": False, "in_hours": False, "closes_at": None,
                                       "opens_at": 200.0},
                         "day": "2026-11-25"})
    assert after.counters[1] is view.counters[1]  # unchanged entries are not parsed again
    assert after.counters[2].mode == "paused" and view.counters[2].mode == "open"
    assert after.ticketing is not None and after.ticketing.opens_at == 200.0
    assert after.day == "2026-11-25"
    partial = after.merged({"ticketing": {"opens_at": 300.0}})
    assert partial.ticketing is not None and partial.ticketing.opens_at == 300.0
    assert partial.ticketing.open is False


def test_keys_a_newer_broker_adds_are_ignored_and_missing_ones_default() -> None:
    view = PublicView.parse({"counters": {"4": {"number": 4, "lamp": "red"}}, "weather": "fine"})
    assert view.counters[4].mode == "closed" and view.counters[4].rating == ()
    assert view.ticketing is None and view.merged({"weather": "rain"}) == view


def test_a_part_with_the_wrong_shape_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError):
        PublicView.parse({"counters": {"one": {"number": 1}}})
    with pytest.raises(pydantic.ValidationError):
        PublicView().merged({"services": {"general": {"id": "general", "waiting": "many"}}})
    # A removal (null) whose key is not a counter number is malformed the same way.
    view = PublicView.parse({"counters": {"3": {"number": 3}}})
    with pytest.raises(pydantic.ValidationError):
        view.merged({"counters": {"three": None}})
    assert view.merged({"counters": {"3": None}}).counters == {}


@pytest.mark.parametrize(("now", "expected"), [
    (None, None),  # the broker's clock unknown: a window with an end cannot be trusted
    (1000.0, "A001"),
    (1060.0, "A001"),  # the end is inclusive, as in the broker's rule
    (1060.5, "A002"),
])
def test_the_pad_rates_the_first_window_not_yet_over(now: float | None,
                                                      expected: str | None) -> None:
    counter = CounterView(number=1, rating=(RatingWindow(ticket="A001", until=1060.0),
                                            RatingWindow(ticket="A002", until=None)))
    assert counter.rating_target(now) == expected


def test_a_pad_without_windows_is_dark() -> None:
    assert CounterView(number=1).rating_target(5.0) is None
    only = CounterView(number=1, rating=(RatingWindow(ticket="A001", until=10.0),))
    assert only.rating_target(11.0) is None and only.rating_target(None) is None
