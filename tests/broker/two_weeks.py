"""A two-week scripted journal: a real ``BrokerService`` driven minute by minute with a clock.

Two working weeks across a month end, 2026-11-23 (Mon) to 2026-12-06 (Sun), on a hall calendar
with a holiday (Thu 2026-12-03) and a moved working Saturday (调休, 2026-11-28): ten opening
days. Each day visitors arrive with a morning peak, three counters call the next visitor
whenever they are free, a tenth of the called do not come (no-show), counter 2 pauses
10:30-10:45, one call a day is out of order with a reason, and every served visitor rates on
the 5-point scale, with a reason when the rating is negative. Reimbursement has a 15-minute
time limit. A negative rating opens a 差评 case; each morning the manager closes about half of
the cases still open (the first week's late ones end up closed late or overdue). Everything goes
through ``BrokerService.handle``, so the journal holds what the broker really journals. Seeded,
so the figures are the same on every run.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from broker.journal import JOURNAL_NAME, Journal
from broker.service import BrokerService
from config import rating
from config.schema import Hall
from protocol import envelope
from tests.conftest import at, small_hall

FIRST, LAST = "2026-11-23", "2026-12-06"
CALENDAR: dict[str, Any] = {
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "periods": [{"start": "09:00", "end": "12:00"}, {"start": "13:30", "end": "17:00"}],
    "holidays": ["2026-12-03"],
    "workdays": ["2026-11-28"],
}
CLOSED = {"2026-11-29", "2026-12-03", "2026-12-05", "2026-12-06"}
"""Sunday 11-29, the holiday and the last weekend: no events on these days."""
PAUSE = ("10:30", "10:45")
OUT_OF_ORDER_REASON = "年老体弱 frail visitor"


REASONS = rating.REASONS
TIME_LIMIT_MINUTES = 15.0
"""Reimbursement's 办理时限."""


def hall() -> Hall:
    """The small hall on the calendar above, rating on the national 5-point scale, with a
    time limit for reimbursement."""
    data = small_hall(hours=CALENDAR, rating_scale=5).model_dump(mode="json")
    for service in data["services"]:
        if service["id"] == "reimburse":
            service["time_limit_minutes"] = TIME_LIMIT_MINUTES
    return Hall.model_validate(data)


@dataclass
class Desk:
    """What the script knows about one counter: whom it serves and until when."""

    number: int
    ticket: str | None = None
    until: float = 0.0
    absent: bool = False


@dataclass
class Driver:
    """Sends commands through ``BrokerService.handle`` at the clock's time; fails on refusal."""

    service: BrokerService
    journal: Journal
    now: float = 0.0
    count: int = 0
    sent: dict[str, int] = field(default_factory=dict)
    cases: list[str] = field(default_factory=list)
    """The 差评 cases still open, oldest first."""

    def do(self, op: str, node: str = "caller", **args: Any) -> dict[str, Any]:
        self.count += 1
        self.sent[op] = self.sent.get(op, 0) + 1
        raw = envelope.encode_request(envelope.Request(f"r{self.count}", op, node, args))
        reply = json.loads(self.service.handle(raw).reply)
        if not reply["ok"]:
            raise AssertionError(f"{op} {args} refused at {self.now}: {reply}")
        return dict(reply["result"])


def _arrivals(rng: random.Random, day: str) -> list[tuple[float, str]]:
    """(time, service) of the day's visitors: a morning peak, fewer after lunch."""
    found = []
    for hhmm, count in (("09:00", 13), ("10:00", 8), ("11:00", 2), ("13:30", 5), ("15:00", 3)):
        for _ in range(count + rng.randint(0, 2)):
            when = at(hhmm, day=day) + rng.uniform(0, 50) * 60.0
            found.append((when, rng.choices(["general", "reimburse", "priority"], [5, 3, 1])[0]))
    return sorted(found)


@dataclass
class _Day:
    """One day of the script: its visitors still to come, the counters, who waits."""

    driver: Driver
    rng: random.Random
    day: str
    desks: list[Desk] = field(default_factory=lambda: [Desk(n) for n in (1, 2, 3)])
    waiting: int = 0
    skipped: bool = False

    def minute(self, now: float, arrivals: list[tuple[float, str]]) -> None:
        while arrivals and arrivals[0][0] < now + 60.0:
            when, service = arrivals.pop(0)
            self.driver.now = max(now, when)
            self.driver.do("issue_ticket", node="kiosk-1", service=service)
            self.waiting += 1
        self.driver.now = now + 59.0
        for desk in self.desks:
            self.desk(desk)

    def paused(self, desk: Desk) -> bool:
        """Counter 2 pauses for its break; True while it is on it."""
        if desk.number != 2:
            return False
        start, end = (at(t, day=self.day) // 60 for t in PAUSE)
        minute = self.driver.now // 60
        if minute == start:
            self.end(desk)
            self.driver.do("pause", counter=2)
        elif minute == end:
            self.driver.do("resume", counter=2)
        return start <= minute < end

    def desk(self, desk: Desk) -> None:
        """One minute at one counter."""
        if self.paused(desk) or (desk.ticket is not None and self.driver.now < desk.until):
            return
        self.end(desk)
        if not self.waiting or self.driver.now >= at("17:30", day=self.day):
            return
        if desk.number == 1 and not self.skipped and self.waiting >= 3:
            self.skipped = self.call_out_of_order(desk)
            if self.skipped:
                return
        called = self.driver.do("call_next", counter=desk.number)
        if called.get("ticket"):
            self.serve(desk, str(called["ticket"]), self.rng.random() < 0.1)

    def serve(self, desk: Desk, ticket: str, absent: bool) -> None:
        desk.ticket, desk.absent = ticket, absent
        desk.until = self.driver.now + (120.0 if absent else self.rng.uniform(6, 20) * 60.0)
        self.waiting -= 1

    def end(self, desk: Desk) -> None:
        if desk.ticket is None:
            return
        if desk.absent:
            self.driver.do("no_show", counter=desk.number)
        else:
            self.driver.do("finish", counter=desk.number)
            score = self.rng.choices([5, 4, 3, 2, 1], [5, 3, 1, 1, 0.5])[0]
            reason = {"reason": self.rng.choice(REASONS)} if score <= 2 else {}
            rated = self.driver.do("rate", node="pad", counter=desk.number, score=score,
                                   **reason)
            if rated.get("case"):
                self.driver.cases.append(str(rated["case"]))
        desk.ticket = None

    def call_out_of_order(self, desk: Desk) -> bool:
        """Counter 1 calls the newest waiting ticket ahead of the others, with a reason."""
        view = self.driver.do("snapshot", node="admin")["view"]
        waiting = [n for s in ("general", "reimburse") for n in view["services"][s]["next"]]
        if len(waiting) < 2:
            return False
        called = self.driver.do("call_ticket", counter=desk.number, ticket=waiting[-1],
                                reason=OUT_OF_ORDER_REASON)
        self.serve(desk, str(called["ticket"]), False)
        return True


def _play_day(driver: Driver, rng: random.Random, day: str) -> None:
    arrivals = _arrivals(rng, day)
    script = _Day(driver, rng, day)
    start = at("09:00", day=day)
    driver.now = start
    for case in list(driver.cases):  # the manager's morning round
        if rng.random() < 0.5:
            driver.do("case_close", node="admin", case=case,
                      outcome=rng.choice(["callback_made", "fixed"]), note="回访 called back")
            driver.cases.remove(case)
    for minute in range(int((at("18:00", day=day) - start) // 60)):
        script.minute(start + minute * 60.0, arrivals)
    for desk in script.desks:  # the day ends with nobody at a counter
        script.end(desk)


def write_two_weeks(data_dir: Path, seed: int = 14) -> Driver:
    """Write the two weeks into ``data_dir``; the driver's journal is left open (the caller
    closes it: a test may read the journal while this 'broker' still holds it)."""
    rng = random.Random(seed)
    journal = Journal(data_dir / JOURNAL_NAME)
    driver = Driver(BrokerService(hall(), journal, lambda: driver.now), journal)
    day = date.fromisoformat(FIRST)
    while day.isoformat() <= LAST:
        if day.isoformat() not in CLOSED:
            _play_day(driver, rng, day.isoformat())
        day += timedelta(days=1)
    return driver
