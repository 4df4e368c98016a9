"""The scripted hall day of ``callnext demo --headless``: visitors, clerks and their timing.

Arrivals come with a morning peak; counters call, serve, recall, mark no-shows, transfer
and collect ratings; one counter takes a break; three appointments are booked and checked
in. Every action is a real request to the broker, on the demo's accelerated clock.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from config.schema import Hall
from protocol.client import RequestClient
from protocol.errors import CommandRefused

__all__ = ["ScriptedDay"]


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
        """Schedule arrivals over ``minutes`` and the clerks' first calls."""
        rng = self.random
        services = [s for s in self.hall.services if s.kiosk and s.id != "appointment"]
        weights = [3.0 if s.id == "general" else 1.0 for s in services]
        t = self.start + 60.0
        end = self.start + minutes * 60.0
        while t < end:
            hour = datetime.fromtimestamp(t, self.hall.hours.zone()).hour
            per_minute = 1.6 if 9 <= hour < 11 else 0.7  # the morning peak
            t += rng.expovariate(per_minute) * 60.0
            service = rng.choices(services, weights)[0]
            kind = "priority" if not service.priority and rng.random() < 0.07 else "walkin"
            self.at(t, lambda s=service.id, k=kind: self._arrive(s, k))
        for counter in self.hall.counters:
            self.at(self.start + 90.0 + counter.number * 20.0,
                    lambda n=counter.number: self._call_next(n))
        pause_counter = self.hall.counters[min(3, len(self.hall.counters) - 1)].number
        self.at(self.start + 95 * 60.0, lambda: self._pause(pause_counter))
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

    def _arrive(self, service: str, kind: str) -> None:
        result = self.send("issue_ticket", service=service, kind=kind)
        if result is None:
            self.refused += 1
            return
        self.issued += 1
        self.log(f"  取号 {result['ticket']} ({service}{', 优先' if kind == 'priority' else ''})"
                 f" ahead {result['ahead']}, est {result['estimate_min']} min")

    def _check_in(self, code: str) -> None:
        result = self.send("issue_ticket", service="appointment", kind="appointment",
                           appointment=code)
        if result is not None:
            self.issued += 1
            self.log(f"  预约签到 {code} → {result['ticket']}")

    # -- clerks ---------------------------------------------------------------------------------

    def _service_minutes(self, service: str) -> float:
        configured = self.hall.service(service)
        mean = configured.expected_minutes if configured else 8.0
        return max(1.0, self.random.lognormvariate(math.log(mean) - 0.08, 0.4))

    def _call_next(self, counter: int) -> None:
        result = self.send("call_next", counter=counter)
        now = self._now_hint()
        if result is None or result.get("ticket") is None:
            self.at(now + 45.0, lambda: self._call_next(counter))
            return
        number, service = result["ticket"], result["service"]
        self.log(f"  叫号 {number} → {counter}号窗口 / Counter {counter}")
        self._calls += 1
        roll = self.random.random()
        # The second call of the day always misses its visitor and the fifth is always
        # transferred, so even a short demo shows recalls, a no-show and 一票到底.
        if self._calls == 2:
            roll = 0.0
        elif self._calls == 5:
            roll = 0.08
        if roll < 0.07:
            self.at(now + 60.0, lambda: self._recall(counter, number))
            return
        self.at(now + 30.0, lambda: self.send("start", counter=counter))
        if roll < 0.10:
            other = [s.id for s in self.hall.services if s.id not in (service, "appointment")]
            self.at(now + 4 * 60.0, lambda: self._transfer(counter, self.random.choice(other)))
            return
        self.at(now + self._service_minutes(service) * 60.0,
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
            score = self.random.choices([3, 2, 1], [0.8, 0.15, 0.05])[0]
            self.send("rate", counter=counter, score=score)
        self.at(self._now_hint() + 15.0, lambda: self._call_next(counter))

    def _pause(self, counter: int) -> None:
        self.send("pause", counter=counter)
        self.log(f"  暂停 counter {counter} (15 min break)")
        self.at(self._now_hint() + 15 * 60.0, lambda: self._resume(counter))

    def _resume(self, counter: int) -> None:
        self.send("resume", counter=counter)
        self.log(f"  恢复 counter {counter}")
        self._call_next(counter)

    def _now_hint(self) -> float:
        return self._now

    def advance(self, now: float) -> None:
        """Move the script's clock to ``now`` and run what is due."""
        self._now = now
        self.run_due(now)
