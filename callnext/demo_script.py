"""The scripted hall day of ``callnext demo --headless``: visitors, clerks and their timing.

The visitors are those of a ``callnext simulate`` day (``callnext.simulate_day.random_day``):
a morning peak, the hall's service mix, priority visitors, a few who have left when called,
each with a service time. Counters call, serve, recall, mark no-shows, transfer and collect
ratings; one counter takes a break after its visitor; three appointments are booked and
checked in. Every action is a real request to the broker, on the demo's accelerated clock.
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from callnext.simulate_day import Act, ScriptError, draw_minutes, random_day
from config import hours
from config.rating import REASONS, is_negative
from config.schema import Hall
from protocol.client import RequestClient
from protocol.errors import CommandRefused

__all__ = ["DAY_ARRIVALS", "ScriptedDay"]

DAY_ARRIVALS = 210
"""Visitors over the whole day the demo plays part of: with the example hall's six counters
the mean wait is near the standards' 15 minutes and priority visitors wait less (tuned with
``callnext simulate --config config/hall.example.toml --arrivals 210``)."""
OPENING_LEAD_S = 300.0
"""The demo starts this long before the hall opens."""
TRANSFER_SHARE = 0.03
"""Share of visitors sent on to another service (一票到底)."""
RATING_WEIGHTS: dict[int, tuple[float, ...]] = {5: (0.6, 0.27, 0.1, 0.02, 0.01),
                                                 3: (0.8, 0.15, 0.05)}
"""How the demo's visitors rate, best level first: a 差评 now and then, as in a real hall."""


@dataclass(order=True)
class _Action:
    at: float
    order: int
    run: Callable[[], None] = field(compare=False)


class ScriptedDay:
    """Arrivals, clerks and visitors of one hall day, driven on the demo clock."""

    def __init__(self, hall: Hall, client: RequestClient, start: float, seed: int,
                 log: Callable[[str], None]) -> None:
        self.hall = hall
        self.client = client
        self.start = start
        self.random = random.Random(seed)
        self.log = log
        self.queue: list[_Action] = []
        self._order = itertools.count()
        self.issued = 0
        self.refused = 0
        self._now = start
        self._calls = 0
        self.visitors: dict[str, Act] = {}
        self._breaks_due: set[int] = set()
        self._on_break: set[int] = set()

    def at(self, when: float, run: Callable[[], None]) -> None:
        """Schedule ``run`` at demo time ``when``."""
        heapq.heappush(self.queue, _Action(when, next(self._order), run))

    def run_due(self, now: float) -> None:
        """Run every action due by ``now``."""
        while self.queue and self.queue[0].at <= now:
            heapq.heappop(self.queue).run()

    def send(self, op: str, **args: Any) -> dict[str, Any] | None:
        """One command; a refusal is shown, not fatal (the clerk would see it too)."""
        try:
            return self.client.request(op, args)
        except CommandRefused as refusal:
            self.log(f"  ✗ {op} {args}: {refusal.message}")
            return None

    # -- visitors -----------------------------------------------------------------------------

    def plan(self, minutes: float) -> None:
        """Schedule the arrivals due within ``minutes`` and the clerks' first calls.

        The visitors are those of ``callnext simulate --arrivals DAY_ARRIVALS`` for the same
        day (``callnext.simulate_day.random_day``): a morning peak, the hall's service mix,
        priority visitors, a few who have left when called, each with a service time.
        """
        end = self.start + minutes * 60.0
        day = hours.local(self.hall, self.start + OPENING_LEAD_S).date()
        try:
            acts = random_day(self.hall, day, DAY_ARRIVALS, self.random)
        except ScriptError as closed:
            self.log(f"  ✗ {closed}")
            acts = []
        for act in acts:
            if act.what in ("arrive", "absent") and act.at < end:
                self.at(act.at, lambda a=act: self._arrive(a))
        for counter in self.hall.counters:
            self.at(self.start + 90.0 + counter.number * 20.0,
                    lambda n=counter.number: self._call_next(n))
        pause_counter = self.hall.counters[min(3, len(self.hall.counters) - 1)].number
        # The break is due at 95 minutes; the clerk takes it after the visitor being served.
        self.at(self.start + 95 * 60.0, lambda: self._breaks_due.add(pause_counter))
        self._book_appointments()

    def _book_appointments(self) -> None:
        if self.hall.service("appointment") is None:
            return
        zone = self.hall.hours.zone()
        for i, offset_min in enumerate((40, 75, 130)):
            begin = datetime.fromtimestamp(self.start + offset_min * 60.0, zone)
            code = f"DEMO-{i + 1:02d}"
            self.send("book_appointment", code=code, service="appointment",
                      start=begin.replace(tzinfo=None).isoformat(timespec="minutes"),
                      end=(begin + timedelta(minutes=30)).replace(tzinfo=None)
                      .isoformat(timespec="minutes"))
            self.at(self.start + (offset_min - 10) * 60.0,
                    lambda c=code: self._check_in(c))

    def _arrive(self, visitor: Act) -> None:
        args: dict[str, Any] = {"service": visitor.service, "kind": visitor.kind}
        if visitor.category:
            args["category"] = visitor.category
        result = self.send("issue_ticket", **args)
        if result is None:
            self.refused += 1
            return
        self.issued += 1
        self.visitors[str(result["ticket"])] = visitor
        self.log(f"  取号 {result['ticket']} ({visitor.service}"
                 f"{', 优先' if visitor.kind == 'priority' else ''})"
                 f" ahead {result['ahead']}, est {result['estimate_min']} min")

    def _check_in(self, code: str) -> None:
        result = self.send("issue_ticket", service="appointment", kind="appointment",
                           appointment=code)
        if result is not None:
            self.issued += 1
            self.log(f"  预约签到 {code} → {result['ticket']}")

    # -- clerks ---------------------------------------------------------------------------------

    def _service_minutes(self, number: str, service: str) -> float:
        visitor = self.visitors.get(number)
        if visitor is not None and visitor.minutes:
            return visitor.minutes
        configured = self.hall.service(service)
        return draw_minutes(self.random, configured.expected_minutes if configured else 8.0)

    def _call_next(self, counter: int) -> None:
        if counter in self._on_break:
            return  # _resume calls again
        if counter in self._breaks_due:
            self._breaks_due.discard(counter)
            self._pause(counter)
            return
        result = self.send("call_next", counter=counter)
        now = self._now_hint()
        if result is None or result.get("ticket") is None:
            self.at(now + 45.0, lambda: self._call_next(counter))
            return
        number, service = result["ticket"], result["service"]
        self.log(f"  叫号 {number} → {counter}号窗口 / Counter {counter}")
        self._calls += 1
        visitor = self.visitors.get(number)
        # The second call of the day always misses its visitor and the fifth is always
        # transferred, so even a short demo shows recalls, a no-show and 一票到底.
        if self._calls == 2 or (visitor is not None and visitor.what == "absent"):
            self.at(now + 60.0, lambda: self._recall(counter, number))
            return
        self.at(now + 30.0, lambda: self.send("start", counter=counter))
        if self._calls == 5 or self.random.random() < TRANSFER_SHARE:
            other = [s.id for s in self.hall.services if s.id not in (service, "appointment")]
            self.at(now + 4 * 60.0, lambda: self._transfer(counter, self.random.choice(other)))
            return
        self.at(now + self._service_minutes(number, service) * 60.0,
                lambda: self._finish(counter, number))

    def _recall(self, counter: int, number: str) -> None:
        result = self.send("recall", counter=counter)
        if result is None or result.get("status") == "no_show":
            self.log(f"  过号 {number} at counter {counter}")
            self.at(self._now_hint() + 20.0, lambda: self._call_next(counter))
            return
        if result["recalls"] >= 2:
            self.at(self._now_hint() + 60.0, lambda: self._no_show(counter, number))
        else:
            self.at(self._now_hint() + 60.0, lambda: self._recall(counter, number))

    def _no_show(self, counter: int, number: str) -> None:
        self.send("no_show", counter=counter)
        self.log(f"  过号 {number} at counter {counter}")
        self._call_next(counter)

    def _transfer(self, counter: int, service: str) -> None:
        result = self.send("transfer", counter=counter, service=service)
        if result is not None:
            self.log(f"  转移 {result['ticket']} → {service}")
        self._call_next(counter)

    def _finish(self, counter: int, number: str) -> None:
        self.send("finish", counter=counter)
        if self.random.random() < 0.7:
            self._rate(counter)
        self.at(self._now_hint() + 15.0, lambda: self._call_next(counter))

    def _rate(self, counter: int) -> None:
        """Most visitors are satisfied; a rare 差评 names a reason (and opens a case)."""
        scale = self.hall.policies.rating_scale
        weights = RATING_WEIGHTS[scale]
        score = self.random.choices(range(scale, 0, -1), weights)[0]
        args: dict[str, Any] = {"counter": counter, "score": score}
        if is_negative(score, scale):
            args["reason"] = self.random.choice(REASONS)
        self.send("rate", **args)

    def _pause(self, counter: int) -> None:
        self._on_break.add(counter)
        self.send("pause", counter=counter)
        self.log(f"  暂停 counter {counter} (15 min break)")
        self.at(self._now_hint() + 15 * 60.0, lambda: self._resume(counter))

    def _resume(self, counter: int) -> None:
        self._on_break.discard(counter)
        self.send("resume", counter=counter)
        self.log(f"  恢复 counter {counter}")
        self._call_next(counter)

    def _now_hint(self) -> float:
        return self._now

    def advance(self, now: float) -> None:
        """Move the script's clock to ``now`` and run what is due."""
        self._now = now
        self.run_due(now)
