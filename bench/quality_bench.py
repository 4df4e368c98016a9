"""The quality loop's cost in the rules: a tick with many open 差评 cases and sticky alerts
(every tick looks at each case for overdue and each serving counter for its time limit),
the due-date count on the hall calendar, and the bytes of an alert or case event published
on a day of thousands of open cases beside the same event on a day of a few (the view's
``alerts`` and ``cases`` are keyed maps: an event carries the entry it changed, not all).

A hall sees a few negative ratings a week; 300 open cases is a hall that never follows up,
far past a real one, so the tick figure is an upper bound.
"""

from __future__ import annotations

import time
from typing import Any

from bench.runner import DEFAULT_CONFIG
from bench.stats import LatencySummary, summarize
from broker.rules import Command, HallState, execute, initial_state, public_view
from broker.rules.model import Event as RuleEvent
from broker.rules.view_delta import advance
from broker.rules.cases import due_at
from config.hours import parse_local
from config.load import load_hall
from protocol.events import Event, encode_event

OPEN_CASES = 300
EVENT_CASES = (3, 2700)
"""Open cases on the days whose alert and case events are weighed: a few, and a hall that
let 差评 pile up for weeks (the bench day of issue #17 had 2 688); a quick run weighs 300."""
WEIGHED = ("case_opened", "alert_raised", "case_noted", "alert_cleared")


def _state_with_cases(count: int, step_s: float = 20.0) -> tuple[HallState, float]:
    """A state of the example hall after ``count`` negative ratings ``step_s`` apart, none
    followed up."""
    hall = load_hall(str(DEFAULT_CONFIG))
    state = initial_state(hall)
    now = parse_local(hall, "2026-11-25T09:00")
    for _ in range(count):
        for op, args in (("issue_ticket", {"service": "general"}),
                         ("call_next", {"counter": 1}),
                         ("rate", {"counter": 1, "score": 1, "reason": "efficiency"}),
                         ("finish", {"counter": 1})):
            state = execute(state, Command(op, args, "admin"), now).state
        now += step_s  # all inside the morning period
    return state, now


def _event_bytes(count: int) -> dict[str, int]:
    """The encoded size of each ``WEIGHED`` event of one more 差评 (opened, noted, its alert
    acknowledged and so cleared) on a day of ``count`` open cases, as the broker publishes it."""
    state, now = _state_with_cases(count, step_s=1.0)
    view = public_view(state)
    sizes: dict[str, int] = {}

    def observe(after: HallState, event: RuleEvent) -> None:
        nonlocal view
        view, changes = advance(view, after, event)
        if event.type in WEIGHED:
            sizes[event.type] = len(encode_event(Event(seq=1, type=event.type, at=event.at,
                                                       data=dict(event.data), view=changes))[1])

    case = ""
    for op, args in (("issue_ticket", {"service": "general"}), ("call_next", {"counter": 1}),
                     ("rate", {"counter": 1, "score": 1, "reason": "efficiency"}),
                     ("case_note", {"note": "回访"}), ("acknowledge_alert", {})):
        if op == "case_note":
            case = list(state.cases)[-1]  # the case just opened (the book keeps that order)
            args = {**args, "case": case}
        elif op == "acknowledge_alert":
            args = {"key": f"rating:{case}"}
        state = execute(state, Command(op, args, "admin"), now, observe).state
    return sizes


def event_figures(quick: bool) -> list[dict[str, Any]]:
    """Each weighed event's bytes with many open cases, beside the same with a few."""
    counts = (EVENT_CASES[0], 300 if quick else EVENT_CASES[1])
    few, many = (_event_bytes(count) for count in counts)
    return [{"figure": f"{kind} event, {counts[1]} open cases", "value": many[kind],
             "unit": "bytes", "how": f"encode_event of the published change; with "
                                     f"{counts[0]} open cases: {few[kind]} bytes"}
            for kind in WEIGHED]


def _time(runs: int, step: Any) -> LatencySummary:
    samples: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        step()
        samples.append(time.perf_counter() - started)
    return summarize(samples)


def run(quick: bool) -> list[dict[str, Any]]:
    """The figures: tick latency with no case and with ``OPEN_CASES``; one due date."""
    runs = 20 if quick else 300
    figures: list[dict[str, Any]] = []
    for count in (0, 10 if quick else OPEN_CASES):
        state, now = _state_with_cases(count)
        tick = _time(runs, lambda s=state, n=now: execute(s, Command("tick", {}, "broker"),
                                                           n + 30.0))
        figures.append({"figure": f"tick p50, {count} open cases", "value": tick["p50_ms"],
                        "unit": "ms", "how": f"execute(tick) {runs}x, example hall"})
        figures.append({"figure": f"tick p99, {count} open cases", "value": tick["p99_ms"],
                        "unit": "ms", "how": f"execute(tick) {runs}x, example hall"})
    hall = load_hall(str(DEFAULT_CONFIG))
    start = parse_local(hall, "2026-09-30T10:00")  # across the National Day week
    due = _time(runs, lambda: due_at(hall, start))
    figures.append({"figure": "case due date (5 working days)", "value": due["p50_ms"],
                    "unit": "ms", "how": f"cases.due_at {runs}x, p50, across 国庆"})
    return figures + event_figures(quick)
