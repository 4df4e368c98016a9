"""The figures of a hall day, counted from its journaled events (pure: no file, clock or socket).

The figures are computed from the journaled events alone, so a report can be
made at any time afterwards, from a copy of the journal, without the broker.

How each figure is counted (the choices a reader of the numbers needs to know):

* **issued** - ``ticket_issued`` events, under the service the ticket was
  issued for. Counters issue nothing, so a counter's ``issued`` is ``None``.
* **called / finished** - distinct tickets, not calls: a recalled, revived or
  called-back ticket counts once. A transferred ticket counts as called in
  each service (and at each counter) that called it, once in the total.
* **no_show** - tickets whose *last* word of the day is ``no_show``; one that
  was revived and then served is not a no-show. It is counted under the
  service it was in and the counter that marked it.
* **no_show_rate** - ``no_show / called`` of the same scope (a ticket that was
  never called cannot have missed its call); ``None`` when nothing was called.
* **wait** - issue -> the ticket's *first* call. A revived no-show, a held
  ticket called back or a ticket put back by a closing counter has already
  had its wait, so its later calls add none. A transfer starts a new wait in
  the new service: transfer -> the next call, counted for the new service and
  the counter that makes that call. Totals are the union of these waits, so a
  transferred visitor contributes two. Waits still open at the end of the day
  are not counted (they have no end).
* **carried tickets** - a ticket still waiting, held or served when the hall's day
  turns (``day_started`` lists it as ``carried``) counts on its issue day: its calls,
  service and rating on the next day go into the issue day's figures, not that day's.
* **walk** - the ticket's latest call -> ``started``; only calls followed by
  ``started`` (many counters never press start).
* **service** - ``service_s`` of ``finished`` and ``transferred`` events, under
  the service the visitor was being served in and the counter serving them.
* **ratings** - under the counter rated and the service the ticket was in.
* **out_of_order** - ``called`` events flagged ``out_of_order`` (audited
  ``call_ticket``); the report also lists each one with its reason and node.
* **per category** - a priority ticket's figures are also counted under the
  ``category`` of its ``ticket_issued`` event (``[[priority_categories]]``), the
  same way as for its service; tickets without a category are in no category.

Times are in minutes. ``p90`` is the nearest-rank 90th percentile: the
smallest sample with at least 90 % of the samples at or below it (always an
observed value, never interpolated).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from broker.journal import StoredEvent
from config import hours
from config.schema import Hall
from foundation.errors import CallnextError

__all__ = ["Figures", "Report", "ReportError", "build_report", "nearest_rank"]

MIN = 60.0
P90 = 90.0


class ReportError(CallnextError):
    """A report cannot be made: no journal, or no events for the day asked for."""


@dataclass(frozen=True)
class Figures:
    """The figures of one scope (the whole hall, one service or one counter) for a day.

    Attributes:
        issued: tickets issued (``None`` for a counter, which issues none).
        called: distinct tickets called.
        finished: distinct tickets finished.
        no_show: tickets that ended the day as a no-show (过号).
        no_show_rate: ``no_show / called`` (0..1), ``None`` when nothing was called.
        wait_mean_min: mean wait, issue (or transfer) -> call, in minutes.
        wait_p90_min: nearest-rank 90th percentile of the waits, in minutes.
        walk_mean_min: mean call -> started, in minutes, where ``started`` exists.
        service_mean_min: mean service time, in minutes.
        service_p90_min: nearest-rank 90th percentile of the service times, in minutes.
        ratings: ratings given (好差评).
        rating_mean: mean score on the hall's rating scale.
        negative_ratings: ratings the broker judged negative (差评).
        out_of_order: calls out of machine order (audited ``call_ticket``).
    """

    issued: int | None
    called: int
    finished: int
    no_show: int
    no_show_rate: float | None
    wait_mean_min: float | None
    wait_p90_min: float | None
    walk_mean_min: float | None
    service_mean_min: float | None
    service_p90_min: float | None
    ratings: int
    rating_mean: float | None
    negative_ratings: int
    out_of_order: int


@dataclass(frozen=True)
class Report:
    """One day's figures for the hall, each service and each counter.

    Attributes:
        day: the hall-local day, YYYY-MM-DD.
        total: the whole hall.
        per_service: by service id; the config's services first, in config order.
        per_counter: by counter number; the config's counters first, in config order.
        per_category: by priority category id, for the categories that issued tickets;
            the config's categories first, in config order.
        out_of_order: the audited out-of-order calls, oldest first: ``ticket``,
            ``counter``, ``service``, ``reason``, ``at`` (epoch s), ``time``
            (hall-local HH:MM:SS) and ``node`` (who called).
    """

    day: str
    total: Figures
    per_service: dict[str, Figures]
    per_counter: dict[int, Figures]
    out_of_order: list[dict[str, Any]] = field(default_factory=list)
    per_category: dict[str, Figures] = field(default_factory=dict)


def nearest_rank(values: Sequence[float], percent: float) -> float | None:
    """The nearest-rank percentile of ``values``.

    Args:
        values: the samples, in any order.
        percent: 0 < percent <= 100.

    Returns:
        The smallest sample such that at least ``percent`` % of the samples are
        at or below it (the sample at rank ``ceil(percent / 100 * n)``), or
        ``None`` for no samples.
    """
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100.0 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / MIN


class _Tally:
    """The raw samples of one scope while the events are read."""

    def __init__(self, issues: bool = True) -> None:
        self.issues = issues
        self.issued = 0
        self.called: set[str] = set()
        self.finished: set[str] = set()
        self.no_show: set[str] = set()
        self.waits_s: list[float] = []
        self.walks_s: list[float] = []
        self.services_s: list[float] = []
        self.scores: list[int] = []
        self.negative = 0
        self.out_of_order = 0

    def figures(self) -> Figures:
        called = len(self.called)
        return Figures(
            issued=self.issued if self.issues else None,
            called=called,
            finished=len(self.finished),
            no_show=len(self.no_show),
            no_show_rate=len(self.no_show) / called if called else None,
            wait_mean_min=_minutes(_mean(self.waits_s)),
            wait_p90_min=_minutes(nearest_rank(self.waits_s, P90)),
            walk_mean_min=_minutes(_mean(self.walks_s)),
            service_mean_min=_minutes(_mean(self.services_s)),
            service_p90_min=_minutes(nearest_rank(self.services_s, P90)),
            ratings=len(self.scores),
            rating_mean=_mean([float(s) for s in self.scores]),
            negative_ratings=self.negative,
            out_of_order=self.out_of_order,
        )


@dataclass
class _Track:
    """What the report must remember about one ticket between its events."""

    service: str
    wait_from: float | None
    """Start of the open wait (issue or transfer); None once a call ended it."""
    called_at: float | None = None
    no_show: tuple[int, str] | None = None
    """(counter, service) of a no-show not (yet) revived."""
    category: str | None = None
    """The priority category it was issued with, if any."""


class _Builder:
    """Reads one day's events in order and tallies every scope they touch."""

    def __init__(self, hall: Hall) -> None:
        self.hall = hall
        self.total = _Tally()
        self.services: dict[str, _Tally] = {s.id: _Tally() for s in hall.services}
        self.counters: dict[int, _Tally] = {c.number: _Tally(issues=False)
                                            for c in hall.counters}
        self.categories: dict[str, _Tally] = {}
        self.tickets: dict[str, _Track] = {}
        self.audit: list[dict[str, Any]] = []

    def scopes(self, service: str, counter: int | None, number: str | None = None) -> list[_Tally]:
        # Services or counters no longer in the config still get their own rows:
        # the journal is the truth about the day, the config may have changed since.
        found = [self.total, self.services.setdefault(service, _Tally())]
        if counter is not None:
            found.append(self.counters.setdefault(counter, _Tally(issues=False)))
        ticket = self.tickets.get(number) if number is not None else None
        if ticket is not None and ticket.category:
            found.append(self.categories.setdefault(ticket.category, _Tally()))
        return found

    def track(self, number: str, service: str) -> _Track:
        # Only a called, transferred, requeued or revived ticket may lack its issue
        # event (a hand-trimmed journal); it still counts where it was served,
        # it just has no wait. Events that name no service need a known ticket.
        return self.tickets.setdefault(number, _Track(service=service, wait_from=None))

    def read(self, stored: StoredEvent) -> None:
        data = stored.data
        kind = stored.type
        if kind == "ticket_issued":
            number, service = str(data["ticket"]), str(data["service"])
            category = data.get("category")
            self.tickets[number] = _Track(service=service, wait_from=stored.at,
                                          category=str(category) if category else None)
            for tally in self.scopes(service, None, number):
                tally.issued += 1
        elif kind == "called":
            self._called(stored)
        elif kind == "started":
            ticket = self.tickets.get(str(data["ticket"]))
            if ticket is not None and ticket.called_at is not None:
                for tally in self.scopes(ticket.service, int(data["counter"]), str(data["ticket"])):
                    tally.walks_s.append(stored.at - ticket.called_at)
                ticket.called_at = None
        elif kind == "finished":
            number, service, counter = str(data["ticket"]), str(data["service"]), int(data["counter"])
            for tally in self.scopes(service, counter, number):
                tally.finished.add(number)
                self._service_time(tally, data.get("service_s"))
        elif kind == "transferred":
            number, counter = str(data["ticket"]), int(data["counter"])
            for tally in self.scopes(str(data["from_service"]), counter, number):
                self._service_time(tally, data.get("service_s"))
            ticket = self.track(number, str(data["to_service"]))
            ticket.service = str(data["to_service"])
            ticket.wait_from = stored.at
            ticket.called_at = None
        elif kind == "requeued":
            self.track(str(data["ticket"]), str(data["service"])).called_at = None
        elif kind == "no_show":
            ticket = self.tickets.get(str(data["ticket"]))
            if ticket is not None:
                ticket.no_show = (int(data["counter"]), ticket.service)
                ticket.called_at = None
        elif kind == "revived":
            self.track(str(data["ticket"]), str(data["service"])).no_show = None
        elif kind == "rated":
            ticket = self.tickets.get(str(data["ticket"]))
            if ticket is None:
                return
            for tally in self.scopes(ticket.service, int(data["counter"]), str(data["ticket"])):
                tally.scores.append(int(data["score"]))
                tally.negative += bool(data.get("negative"))

    def _called(self, stored: StoredEvent) -> None:
        data = stored.data
        number, service, counter = str(data["ticket"]), str(data["service"]), int(data["counter"])
        ticket = self.track(number, service)
        ticket.service = service
        ticket.no_show = None
        ticket.called_at = stored.at
        wait = None
        if ticket.wait_from is not None:
            wait = max(0.0, stored.at - ticket.wait_from)
            ticket.wait_from = None
        out_of_order = bool(data.get("out_of_order"))
        for tally in self.scopes(service, counter, number):
            tally.called.add(number)
            if wait is not None:
                tally.waits_s.append(wait)
            tally.out_of_order += out_of_order
        if out_of_order:
            self.audit.append({
                "ticket": number, "counter": counter, "service": service,
                "reason": data.get("reason"), "at": stored.at,
                "time": hours.local(self.hall, stored.at).strftime("%H:%M:%S"),
                "node": stored.node,
            })

    @staticmethod
    def _service_time(tally: _Tally, seconds: object) -> None:
        if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
            tally.services_s.append(float(seconds))

    def report(self, day: str) -> Report:
        for number, ticket in self.tickets.items():
            if ticket.no_show is not None:
                counter, service = ticket.no_show
                for tally in self.scopes(service, counter, number):
                    tally.no_show.add(number)
        configured_services = [s.id for s in self.hall.services]
        configured_counters = [c.number for c in self.hall.counters]
        service_order = configured_services + sorted(set(self.services) - set(configured_services))
        counter_order = configured_counters + sorted(set(self.counters) - set(configured_counters))
        return Report(
            day=day,
            total=self.total.figures(),
            per_service={s: self.services[s].figures() for s in service_order},
            per_counter={c: self.counters[c].figures() for c in counter_order},
            out_of_order=list(self.audit),
            per_category={c: self.categories[c].figures() for c in self._category_order()},
        )

    def _category_order(self) -> list[str]:
        configured = [c.id for c in self.hall.priority_categories if c.id in self.categories]
        return configured + sorted(set(self.categories) - set(configured))


def build_report(hall: Hall, events: Iterable[StoredEvent], day: str,
                 later: Iterable[StoredEvent] = ()) -> Report:
    """Compute one day's figures from journaled events (pure: no clock, file or socket).

    Args:
        hall: the hall's configuration (services and counters to list, time zone).
        events: journaled events; those of other days are ignored.
        day: the hall-local day, YYYY-MM-DD.
        later: the events of the days after ``day``, oldest first; read only for the
            tickets of ``day`` carried over the day boundary (and only while some are).

    Returns:
        The figures for the whole hall, each service and each counter, and the
        audited out-of-order calls. See the module docstring for how each is counted.
    """
    builder = _Builder(hall)
    own = sorted((e for e in events if e.day == day), key=lambda e: e.seq)
    # A ticket carried into this day from an earlier one counts on its issue day.
    arrived = {str(n) for e in own if e.type == "day_started" for n in e.data.get("carried", ())}
    for stored in own:
        if _ticket_of(stored) not in arrived:
            builder.read(stored)
    issued = {str(e.data["ticket"]) for e in own if e.type == "ticket_issued"}
    _read_carried(builder, issued, day, later)
    return builder.report(day)


def _ticket_of(stored: StoredEvent) -> str | None:
    ticket = stored.data.get("ticket")
    return None if ticket is None else str(ticket)


def _read_carried(builder: _Builder, issued: set[str], day: str,
                  later: Iterable[StoredEvent]) -> None:
    """Read the later days' events about tickets issued on ``day`` and carried over."""
    still = set(issued)
    for stored in later:
        if stored.day <= day:
            continue
        if stored.type == "day_started":
            still &= {str(n) for n in stored.data.get("carried", ())}
            if not still:
                return
        elif _ticket_of(stored) in still:
            builder.read(stored)
