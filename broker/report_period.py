"""Period figures: the facts of ``broker.report_facts`` grouped by period and scope (pure).

A **period** is a day (``2026-11-25``), a week (Monday to Sunday, keyed by its Monday's date,
labelled ``2026-W48``) or a calendar month (``2026-11``); ``ALL`` is the whole range asked for.
A **scope** is ``("total", "")``, ``("service", id)``, ``("counter", "3")``, ``("staff", 工号)``,
``("class", "normal" | "priority")`` or ``("category", id)``. Every fact counts in each scope
it names, in its period and in ``ALL``.

Counts are distinct tickets (a recalled, revived or transferred ticket is called once per
scope); times are minutes; percentiles are nearest-rank (an observed value, never
interpolated); shares are fractions 0..1, ``None`` when there is nothing to divide by.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Iterable, Literal

from broker.report_facts import LEVELS, SATISFIED, Fact
from broker.report_figures import ReportError, nearest_rank

__all__ = ["ALL", "BY", "SCOPE_KINDS", "PeriodFigures", "PeriodReport", "build_period_report",
           "period_label", "period_of"]

ALL = "all"
"""The period key of the whole range."""

BY = ("day", "week", "month")
SCOPE_KINDS = ("total", "service", "counter", "staff", "class", "category")

Scope = tuple[str, str]
_NO_ISSUES = frozenset({"counter", "staff"})
"""Scopes that issue no tickets: their ``issued`` is ``None``, not 0."""


@dataclass(frozen=True)
class PeriodFigures:
    """The figures of one scope in one period (see the module docstring for the units)."""

    issued: int | None
    """``None`` for a counter or a clerk: they issue no tickets."""
    called: int
    served: int
    no_show: int
    wait_n: int
    wait_mean_min: float | None
    wait_p50_min: float | None
    wait_p90_min: float | None
    wait_within_target: float | None
    service_n: int
    service_mean_min: float | None
    service_p90_min: float | None
    limit_checked: int
    within_limit: float | None
    out_of_order: int
    ratings: int
    satisfied_share: float | None
    negative: int
    levels: dict[str, int]
    reasons: dict[str, int]
    """Negative ratings per reason category (``attitude``, ``efficiency`` …), where given."""
    cases_opened: int | None
    """``None`` (with the two below) when the events hold no case at all: a journal of a
    broker without 差评 cases says nothing about them, which is not "none were opened"."""
    cases_in_time: int | None
    cases_overdue: int | None
    paused_min: float
    arrivals_by_hour: dict[int, int]
    peak_hour: int | None
    days: int
    """Distinct days with an issued ticket: arrivals per hour divide by it for a daily mean."""


@dataclass(frozen=True)
class PeriodReport:
    """The figures of every period and scope between two days.

    Attributes:
        start, end: the first and last day of the range (YYYY-MM-DD).
        by: ``day``, ``week`` or ``month``.
        periods: the period keys in the range, oldest first (``ALL`` not included).
        figures: by (period key or ``ALL``, scope kind, scope id); only scopes with facts.
        out_of_order: the out-of-order calls in the range, oldest first.
        wait_target_min: the hall's ``wait_target_minutes``.
    """

    start: str
    end: str
    by: str
    periods: list[str]
    figures: dict[tuple[str, str, str], PeriodFigures]
    out_of_order: list[Fact] = field(default_factory=list)
    wait_target_min: float = 15.0

    def scopes(self, kind: str) -> list[str]:
        """The ids of the scopes of ``kind`` that have figures in the whole range, sorted."""
        found = {s for p, k, s in self.figures if p == ALL and k == kind}
        return sorted(found, key=lambda s: (len(s), s) if kind == "counter" else (0, s))

    def get(self, period: str, kind: str, scope: str = "") -> PeriodFigures | None:
        """The figures of one scope in one period, ``None`` when it had none."""
        return self.figures.get((period, kind, scope))


def period_of(day: str, by: str) -> str:
    """The key of the period ``day`` falls in: the day, its week's Monday, or ``YYYY-MM``."""
    if by == "day":
        return day
    when = date.fromisoformat(day)
    if by == "week":
        return (when - timedelta(days=when.weekday())).isoformat()
    if by == "month":
        return day[:7]
    raise ReportError(f"unknown period {by!r}: use one of {', '.join(BY)}")


def period_label(key: str, by: str) -> str:
    """How a period key is shown: the day, ``2026-W48`` for a week, ``2026-11`` for a month."""
    if key == ALL:
        return "全部 All"
    if by == "week":
        year, week, _ = date.fromisoformat(key).isocalendar()
        return f"{year}-W{week:02d}"
    return key


def _periods(start: str, end: str, by: str) -> list[str]:
    keys: list[str] = []
    day, last = date.fromisoformat(start), date.fromisoformat(end)
    for _ in range((last - day).days + 1):
        key = period_of(day.isoformat(), by)
        if not keys or keys[-1] != key:
            keys.append(key)
        day += timedelta(days=1)
    return keys


def _scopes(fact: Fact) -> list[Scope]:
    found: list[Scope] = [("total", "")]
    for kind, value in (("service", fact.service), ("counter", fact.counter),
                        ("staff", fact.staff), ("class", fact.klass),
                        ("category", fact.category)):
        if value is not None and value != "":
            found.append((kind, str(value)))
    return found


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60.0


class _Bucket:
    """The raw samples of one scope in one period."""

    def __init__(self) -> None:
        self.sets: dict[str, set[str]] = defaultdict(set)
        self.waits: list[float] = []
        self.services: list[float] = []
        self.limits: list[bool] = []
        self.levels: Counter[str] = Counter()
        self.reasons: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.hours: Counter[int] = Counter()
        self.days: set[str] = set()
        self.paused_s = 0.0

    def add(self, fact: Fact) -> None:
        ticket = fact.ticket or f"@{fact.at}"
        if fact.kind == "issued":
            self.sets["issued"].add(ticket)
            self.days.add(fact.day)
            if fact.hour is not None:
                self.hours[fact.hour] += 1
        elif fact.kind == "called":
            self.sets["called"].add(ticket)
            if fact.value is not None:
                self.waits.append(fact.value)
            self.counts["out_of_order"] += fact.out_of_order
        elif fact.kind in ("served", "transferred"):
            self._served(fact, ticket)
        elif fact.kind == "no_show":
            self.sets["no_show"].add(ticket)
        elif fact.kind == "rated":
            self.counts["ratings"] += 1
            self.counts["negative"] += fact.negative
            if fact.level is not None:
                self.levels[fact.level] += 1
            if fact.reason is not None:
                self.reasons[fact.reason] += 1
        elif fact.kind == "paused":
            self.paused_s += fact.value or 0.0
        elif fact.kind == "case":
            self.counts["cases"] += 1
            self.counts[f"case_{fact.case_state}"] += 1

    def _served(self, fact: Fact, ticket: str) -> None:
        if fact.kind == "served":
            self.sets["served"].add(ticket)
            if fact.over_limit is not None:
                self.limits.append(not fact.over_limit)
        if fact.value is not None:
            self.services.append(fact.value)

    def figures(self, target_s: float, issues: bool, cases: bool) -> PeriodFigures:
        leveled = sum(self.levels.values())
        peak = max(sorted(self.hours), key=lambda h: self.hours[h]) if self.hours else None
        return PeriodFigures(
            issued=len(self.sets["issued"]) if issues else None, called=len(self.sets["called"]),
            served=len(self.sets["served"]), no_show=len(self.sets["no_show"]),
            wait_n=len(self.waits), wait_mean_min=_minutes(_mean(self.waits)),
            wait_p50_min=_minutes(nearest_rank(self.waits, 50.0)),
            wait_p90_min=_minutes(nearest_rank(self.waits, 90.0)),
            wait_within_target=_share(sum(w <= target_s for w in self.waits), len(self.waits)),
            service_n=len(self.services), service_mean_min=_minutes(_mean(self.services)),
            service_p90_min=_minutes(nearest_rank(self.services, 90.0)),
            limit_checked=len(self.limits), within_limit=_share(sum(self.limits), len(self.limits)),
            out_of_order=self.counts["out_of_order"], ratings=self.counts["ratings"],
            satisfied_share=_share(sum(self.levels[lv] for lv in SATISFIED), leveled),
            negative=self.counts["negative"], reasons=dict(sorted(self.reasons.items())),
            levels={lv: self.levels[lv]
                    for lv in (*LEVELS, *sorted(set(self.levels) - set(LEVELS)))},
            cases_opened=self.counts["cases"] if cases else None,
            cases_in_time=self.counts["case_in_time"] if cases else None,
            cases_overdue=self.counts["case_overdue"] + self.counts["case_late"] if cases else None,
            paused_min=self.paused_s / 60.0, arrivals_by_hour=dict(sorted(self.hours.items())),
            peak_hour=peak, days=len(self.days))


def build_period_report(facts: Iterable[Fact], start: str, end: str,
                        by: Literal["day", "week", "month"] | str,
                        wait_target_min: float = 15.0) -> PeriodReport:
    """Group facts by period and scope and compute every figure (pure).

    Args:
        facts: from ``read_facts``; those counting on days outside ``start``..``end`` are left out.
        start, end: the first and last day of the range, YYYY-MM-DD (``start <= end``).
        by: ``day``, ``week`` (Monday to Sunday) or ``month``.
        wait_target_min: the promised wait; ``wait_within_target`` is the share of waits at or
            below it.

    Returns:
        The report; see ``PeriodReport``.

    Raises:
        ReportError: ``by`` is not a period, or ``start`` is after ``end``.
    """
    if start > end:
        raise ReportError(f"--from {start} is after --to {end}; give the earlier day first")
    periods = _periods(start, end, by)
    buckets: dict[tuple[str, str, str], _Bucket] = defaultdict(_Bucket)
    audit: list[Fact] = []
    cases = False
    for fact in facts:
        cases = cases or fact.kind == "case"
        if not start <= fact.day <= end:
            continue
        key = period_of(fact.day, by)
        for kind, scope in _scopes(fact):
            buckets[(key, kind, scope)].add(fact)
            buckets[(ALL, kind, scope)].add(fact)
        if fact.kind == "called" and fact.out_of_order:
            audit.append(fact)
    target_s = wait_target_min * 60.0
    figures = {key: bucket.figures(target_s, key[1] not in _NO_ISSUES, cases)
               for key, bucket in buckets.items()}
    return PeriodReport(start, end, by, periods, figures, audit, wait_target_min)
