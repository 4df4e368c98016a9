"""Play a simulated day through the pure queue rules, in-process and at full speed.

No broker, no journal, no clock: every act is a command validated as the broker validates
it (``protocol.ops``) and decided by ``broker.rules.execute`` on an in-memory state at the
act's time. Clerks call the next visitor whenever they are free during the opening periods
(and after closing, while anyone still holds a number: 延时服务), recall a visitor who does
not come until the rules mark a no-show, and take their breaks between two visitors.
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from broker.rules import Command, Event, HallState, RuleRefusal, execute, initial_state
from broker.rules.select import is_priority
from callnext.simulate_day import Act, ScriptError, draw_minutes, open_periods
from config.schema import Hall
from protocol.errors import ProtocolError
from protocol.ops import validate_args

__all__ = ["Breach", "DayRun", "play_day", "priority_window"]

IDLE_POLL_S = 30.0
"""An idle clerk presses CALL NEXT again this often."""
RECALL_AFTER_S = 60.0
"""A called visitor who does not come is recalled after this long."""
DAY_LIMIT_S = 86400.0
"""Nothing is simulated later than a day after the first opening."""


@dataclass(frozen=True)
class Breach:
    """A call that broke the hall's fairness promise (see ``_check_call``)."""

    kind: str
    at: float
    counter: int
    called: str
    passed_over: str
    waited_min: float


@dataclass
class DayRun:
    """What a simulated day produced: the rules' events and what the clerks saw."""

    hall: Hall
    periods: list[tuple[float, float]]
    events: list[Event] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    breaches: list[Breach] = field(default_factory=list)
    idle_s: dict[int, float] = field(default_factory=dict)
    paused_s: dict[int, float] = field(default_factory=dict)
    ended_at: float = 0.0


def priority_window(hall: Hall, number: int) -> bool:
    """Whether a counter is a priority window (优先窗口): its ``priority_window`` setting
    where the hall schema has one, else a counter whose first service is a priority one."""
    counter = hall.counter(number)
    if counter is None:
        return False
    if "priority_window" in type(counter).model_fields:
        return bool(getattr(counter, "priority_window"))
    first = hall.service(counter.services[0])
    return bool(first and first.priority)


@dataclass
class _Clerk:
    number: int
    serving: str | None = None
    generation: int = 0
    break_due: float | None = None
    off: bool = False


class _Day:
    """The scheduler: acts and clerk steps in time order over one in-memory state."""

    def __init__(self, hall: Hall, periods: list[tuple[float, float]], rng: random.Random):
        self.state: HallState = initial_state(hall)
        self.run = DayRun(hall, periods)
        self.rng = rng
        self.heap: list[tuple[float, int, Callable[[], None]]] = []
        self.order = itertools.count()
        self.now = periods[0][0]
        self.visitors: dict[str, Act] = {}
        self.clerks = {c.number: _Clerk(c.number) for c in hall.counters}
        self.run.idle_s = {n: 0.0 for n in self.clerks}
        self.run.paused_s = {n: 0.0 for n in self.clerks}

    def at(self, when: float, step: Callable[[], None]) -> None:
        heapq.heappush(self.heap, (when, next(self.order), step))

    def send(self, op: str, **args: Any) -> dict[str, Any] | None:
        """One command through the broker's validation and the rules; None when refused."""
        try:
            valid = validate_args(op, args).model_dump()
            outcome = execute(self.state, Command(op, valid, "simulate"), self.now)
        except (RuleRefusal, ProtocolError) as refusal:
            self.run.refused.append((op, str(refusal)))
            return None
        for event in outcome.events:
            if event.type == "called":
                self._check_call(event)
        self.state = outcome.state
        self.run.events.extend(outcome.events)
        return outcome.result

    def _check_call(self, event: Event) -> None:
        """Flag a call that passes over someone the hall promised to serve first.

        At a priority window: a normal ticket called while a priority ticket of the
        counter's services waits. Elsewhere: a priority ticket called while a normal one
        has waited past ``starvation_minutes`` and the counter has already called
        ``priority_burst`` priority tickets in a row.
        """
        state, hall = self.state, self.state.hall
        counter, number = int(event.data["counter"]), str(event.data["ticket"])
        called = state.tickets[number]
        configured = hall.counter(counter)
        waiting = [state.tickets[n] for s in (configured.services if configured else ())
                   for n in state.queues.get(s, ()) if n != number]
        if priority_window(hall, counter):
            kind = "priority_passed_over"
            passed = [t for t in waiting if is_priority(state, t)]
            if is_priority(state, called):
                passed = []
        else:
            kind = "normal_starved"
            bound = hall.policies.starvation_minutes * 60.0
            passed = [t for t in waiting if not is_priority(state, t)
                      and self.now - t.queued_at > bound]
            if not is_priority(state, called) or (
                    state.counter(counter).priority_streak < hall.policies.priority_burst):
                passed = []
        if passed:
            first = min(passed, key=lambda t: t.queued_at)
            self.run.breaches.append(Breach(kind, self.now, counter, number, first.number,
                                            round((self.now - first.queued_at) / 60.0, 1)))

    # -- the day --------------------------------------------------------------------------------

    def play(self, acts: list[Act]) -> DayRun:
        for act in acts:
            self.at(act.at, lambda a=act: self._act(a))
        for clerk in self.clerks.values():
            self.at(self.now, lambda c=clerk: self._call(c))
        limit = self.now + DAY_LIMIT_S
        while self.heap and self.heap[0][0] <= limit:
            when, _, step = heapq.heappop(self.heap)
            self.now = max(self.now, when)
            step()
        self.run.ended_at = self.now
        return self.run

    def _act(self, act: Act) -> None:
        if act.what in ("arrive", "absent"):
            args: dict[str, Any] = {"service": act.service, "kind": act.kind}
            if act.category:
                args["category"] = act.category
            result = self.send("issue_ticket", **args)
            if result is not None:
                self.visitors[str(result["ticket"])] = act
        elif act.what == "pause" and act.counter is not None:
            clerk = self.clerks[act.counter]
            clerk.break_due = act.minutes if act.minutes is not None else 15.0
            if clerk.serving is None and not clerk.off:
                clerk.generation += 1
                self._take_break(clerk)
        elif act.what == "call" and act.counter is not None:
            clerk = self.clerks[act.counter]
            result = self.send("call_ticket", counter=act.counter, ticket=act.ticket,
                               reason="scripted call")
            if result is not None:
                self._serve(clerk, str(result["ticket"]))

    def _in_period(self) -> tuple[float, float] | None:
        for start, end in self.run.periods:
            if start <= self.now < end:
                return start, end
        return None

    def _call(self, clerk: _Clerk) -> None:
        if clerk.break_due is not None:
            self._take_break(clerk)
            return
        result = self.send("call_next", counter=clerk.number)
        if result is None or result.get("ticket") is None:
            clerk.serving = None
            self._wait_for_visitors(clerk)
            return
        self._serve(clerk, str(result["ticket"]))

    def _wait_for_visitors(self, clerk: _Clerk) -> None:
        clerk.generation += 1
        period = self._in_period()
        if period is not None:
            step = min(IDLE_POLL_S, period[1] - self.now)
            self.run.idle_s[clerk.number] += step
            self._later(clerk, self.now + step, self._call)
            return
        later = [start for start, _ in self.run.periods if start > self.now]
        if later:
            self._later(clerk, later[0], self._call)
        else:
            clerk.off = True

    def _serve(self, clerk: _Clerk, number: str) -> None:
        clerk.serving = number
        clerk.generation += 1
        visitor = self.visitors.get(number)
        if visitor is not None and visitor.what == "absent":
            self._later(clerk, self.now + RECALL_AFTER_S, self._recall)
            return
        minutes = visitor.minutes if visitor and visitor.minutes else None
        if minutes is None:
            service = self.state.hall.service(self.state.tickets[number].service)
            minutes = draw_minutes(self.rng, service.expected_minutes if service else 8.0)
        self._later(clerk, self.now + minutes * 60.0, self._finish)

    def _finish(self, clerk: _Clerk) -> None:
        self.send("finish", counter=clerk.number)
        clerk.serving = None
        self._call(clerk)

    def _recall(self, clerk: _Clerk) -> None:
        result = self.send("recall", counter=clerk.number)
        if result is None or result.get("status") == "no_show":
            clerk.serving = None
            self._call(clerk)
            return
        self._later(clerk, self.now + RECALL_AFTER_S, self._recall)

    def _take_break(self, clerk: _Clerk) -> None:
        minutes = clerk.break_due or 0.0
        clerk.break_due = None
        if self.send("pause", counter=clerk.number) is None:
            self._call(clerk)
            return
        self.run.paused_s[clerk.number] += minutes * 60.0
        self._later(clerk, self.now + minutes * 60.0, self._resume)

    def _resume(self, clerk: _Clerk) -> None:
        self.send("resume", counter=clerk.number)
        clerk.off = False
        self._call(clerk)

    def _later(self, clerk: _Clerk, when: float, step: Callable[[_Clerk], None]) -> None:
        """Schedule a clerk's next step; a newer step (a scripted call) supersedes it."""
        generation = clerk.generation

        def run() -> None:
            if clerk.generation == generation:
                step(clerk)

        self.at(when, run)


def play_day(hall: Hall, day: date, acts: list[Act], seed: int) -> DayRun:
    """Play ``acts`` on ``day`` through the rules.

    Args:
        hall: the hall's configuration.
        day: the simulated hall-local date; it must have opening periods.
        acts: the day's arrivals and clerk acts, in time order.
        seed: seeds the service times not given by the acts.

    Raises:
        ScriptError: the hall is closed that day.
    """
    periods = open_periods(hall, day)
    if not periods:
        raise ScriptError(f"the hall is closed on {day.isoformat()}; pick an opening day "
                          "with --date")
    return _Day(hall, periods, random.Random(seed)).play(acts)
