"""The quality loop's cost in the rules: a tick with many open 差评 cases and sticky alerts
(every tick looks at each case for overdue and each serving counter for its time limit),
and the due-date count on the hall calendar.

A hall sees a few negative ratings a week; 300 open cases is a hall that never follows up,
far past a real one, so the tick figure is an upper bound.
"""

from __future__ import annotations

import time
from typing import Any

from bench.runner import DEFAULT_CONFIG
from bench.stats import LatencySummary, summarize
from broker.rules import Command, HallState, execute, initial_state
from broker.rules.cases import due_at
from config.hours import parse_local
from config.load import load_hall

OPEN_CASES = 300


def _state_with_cases(count: int) -> tuple[HallState, float]:
    """A state of the example hall after ``count`` negative ratings, none followed up."""
    hall = load_hall(str(DEFAULT_CONFIG))
    state = initial_state(hall)
    now = parse_local(hall, "2026-11-25T09:00")
    for _ in range(count):
        for op, args in (("issue_ticket", {"service": "general"}),
                         ("call_next", {"counter": 1}),
                         ("rate", {"counter": 1, "score": 1, "reason": "efficiency"}),
                         ("finish", {"counter": 1})):
            state = execute(state, Command(op, args, "admin"), now).state
        now += 20.0  # all inside the morning period
    return state, now


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
    return figures
