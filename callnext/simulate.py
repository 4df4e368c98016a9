"""``callnext simulate``: a whole hall day through the queue rules alone, in a second.

The day is random (``--arrivals N``: a morning peak, the hall's service mix, a share of
priority visitors) or scripted (``--day FILE``, the CSV format of ``callnext.simulate_day``).
It prints the waits (p50, p90, mean, max) per service and per class (normal, priority and each
priority category), each counter's idle and pause time, and every fairness breach.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from broker.report_figures import nearest_rank
from callnext.arguments import iso_day
from callnext.simulate_engine import Breach, DayRun, play_day
from config import hours
from config.schema import Hall
from foundation.text import pad

__all__ = ["Waits", "register", "simulate", "summarise"]

REFERENCE_DATE = date(2026, 6, 1)
"""Default simulated date (a Monday), so a seed gives the same day whenever it is run;
the first opening day from it is taken."""


@dataclass(frozen=True)
class Waits:
    """Waits of one group of tickets, minutes (from the ticket to its first call)."""

    n: int
    p50: float | None
    p90: float | None
    mean: float | None
    max: float | None


def _waits(samples: list[float]) -> Waits:
    if not samples:
        return Waits(0, None, None, None, None)
    minutes = [s / 60.0 for s in samples]
    return Waits(len(minutes), _round(nearest_rank(minutes, 50)), _round(nearest_rank(minutes, 90)),
                 _round(sum(minutes) / len(minutes)), _round(max(minutes)))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def summarise(run: DayRun) -> dict[str, Any]:
    """The day's figures as plain data (what ``--json`` prints)."""
    hall = run.hall
    issued: dict[str, dict[str, Any]] = {}
    groups: dict[str, dict[str, list[float]]] = {"service": {}, "class": {}, "category": {}}
    called: dict[int, int] = {c.number: 0 for c in hall.counters}
    everyone: list[float] = []
    counts = {"ticket_issued": 0, "called": 0, "finished": 0, "no_show": 0}
    for event in run.events:
        data = event.data
        if event.type == "ticket_issued":
            issued[str(data["ticket"])] = {"at": event.at, **data}
        elif event.type == "called":
            called[int(data["counter"])] = called.get(int(data["counter"]), 0) + 1
            ticket = issued.pop(str(data["ticket"]), None)
            if ticket is not None:
                wait = max(0.0, event.at - ticket["at"])
                everyone.append(wait)
                for group, key in _keys(hall, ticket):
                    groups[group].setdefault(key, []).append(wait)
        if event.type in counts:
            counts[event.type] += 1
    return {
        "day": hours.day_of(hall, run.periods[0][0]), "issued": counts.pop("ticket_issued"),
        **counts,
        "refused": len(run.refused), "still_waiting": len(issued),
        "last_call": hours.local(hall, run.ended_at).strftime("%H:%M"),
        "waits": {group: {key: asdict(_waits(v)) for key, v in found.items()}
                  for group, found in groups.items()} | {"all": asdict(_waits(everyone))},
        "counters": {str(n): {"called": called.get(n, 0),
                              "idle_min": round(run.idle_s.get(n, 0.0) / 60.0, 1),
                              "paused_min": round(run.paused_s.get(n, 0.0) / 60.0, 1)}
                     for n in called},
        "breaches": [_breach(hall, b) for b in run.breaches],
    }


def _keys(hall: Hall, ticket: dict[str, Any]) -> list[tuple[str, str]]:
    service = hall.service(str(ticket["service"]))
    priority = ticket.get("kind") == "priority" or bool(service and service.priority)
    keys = [("service", str(ticket["service"])), ("class", "priority" if priority else "normal")]
    if priority:
        # The category field is read generically: tickets without one count as "-".
        keys.append(("category", str(ticket.get("category") or "-")))
    return keys


def _breach(hall: Hall, breach: Breach) -> dict[str, Any]:
    return {**asdict(breach), "time": hours.local(hall, breach.at).strftime("%H:%M:%S")}


# -- printing ------------------------------------------------------------------------------------

_WAIT_COLS = (34, 8, 8, 8, 11, 11)
_COUNTER_COLS = (14, 12, 16, 18)
_CLASS_NAMES = {"normal": "普通 Normal", "priority": "优先 Priority"}
_BREACH_WORDS = {
    "priority_passed_over": ("优先窗口先叫了普通号", "a walk-in was called at a priority window"),
    "normal_starved": ("普通号等候超时仍连续叫优先号", "a normal ticket starved past the bound"),
}


def _row(cells: list[str], columns: tuple[int, ...]) -> str:
    return "  " + "".join(pad(c, w, right=0 < i)
                          for i, (c, w) in enumerate(zip(cells, columns, strict=True)))


def _wait_row(name: str, waits: dict[str, Any]) -> str:
    cells = ["-" if waits[k] is None else f"{waits[k]:.1f}" for k in ("p50", "p90", "mean", "max")]
    return _row([name, str(waits["n"]), *cells], _WAIT_COLS)


def _by_rank(hall: Hall, categories: dict[str, Any]) -> list[str]:
    """The categories in the hall's rank order (1 first); unknown ones after, by name."""
    ranks = {str(getattr(c, "id", "")): float(getattr(c, "rank", 0))
             for c in getattr(hall, "priority_categories", ()) or ()}
    return sorted(categories, key=lambda c: (c not in ranks, ranks.get(c, 0.0), c))


def _category_name(hall: Hall, category: str) -> str:
    for found in getattr(hall, "priority_categories", ()) or ():
        if getattr(found, "id", None) == category:
            zh = getattr(getattr(found, "name", None), "zh", "")
            if zh:
                return f"  {category} {zh}"
    return f"  {category}"


def format_summary(hall: Hall, figures: dict[str, Any], title: str) -> str:
    """The figures as the tables staff read, column heads in Chinese and English."""
    lines = [f"{hall.name.zh} / {hall.name.en} — {figures['day']} — {title}",
             f"取号 issued {figures['issued']}, 叫号 called {figures['called']}, "
             f"办结 finished {figures['finished']}, 过号 no-show {figures['no_show']}, "
             f"拒绝 refused {figures['refused']}, 未叫 still waiting {figures['still_waiting']}; "
             f"最后叫号 last call {figures['last_call']}", "",
             _row(["等候分钟 Wait (min)", "人数 N", "p50", "p90", "平均 Mean", "最长 Max"],
                  _WAIT_COLS)]
    waits = figures["waits"]
    for service in hall.services:
        if service.id in waits["service"]:
            lines.append(_wait_row(f"{service.prefix} {service.name.zh} {service.id}",
                                   waits["service"][service.id]))
    for key in ("normal", "priority"):
        if key in waits["class"]:
            lines.append(_wait_row(_CLASS_NAMES[key], waits["class"][key]))
        if key == "priority":
            for category in _by_rank(hall, waits["category"]):
                if category != "-" or len(waits["category"]) > 1:
                    lines.append(_wait_row(_category_name(hall, category),
                                           waits["category"][category]))
    lines += [_wait_row("全部 All", waits["all"]), "",
              _row(["窗口 Counter", "叫号 Called", "空闲 Idle min", "暂停 Paused min"],
                   _COUNTER_COLS)]
    for number, counter in figures["counters"].items():
        lines.append(_row([number, str(counter["called"]), f"{counter['idle_min']:.0f}",
                           f"{counter['paused_min']:.0f}"], _COUNTER_COLS))
    lines += ["", f"公平 Fairness: {len(figures['breaches']) or '无违规 no breach'}"]
    for breach in figures["breaches"]:
        zh, en = _BREACH_WORDS.get(breach["kind"], (breach["kind"], breach["kind"]))
        lines.append(f"  ! {breach['time']} {breach['counter']}号窗口 / counter "
                     f"{breach['counter']}: {breach['called']} — {zh} / {en}; "
                     f"{breach['passed_over']} waited {breach['waited_min']:.1f} min")
    return "\n".join(lines)


def simulate(hall: Hall, *, seed: int, arrivals: int | None = None, script: Path | None = None,
             day: date | None = None) -> dict[str, Any]:
    """Play a random (``arrivals``) or scripted (``script``) day; its figures."""
    from callnext.simulate_day import open_periods, random_day, read_script

    chosen = day or REFERENCE_DATE
    if day is None:
        # The first opening day from the reference, so halls closed on Mondays still run.
        for _ in range(31):
            if open_periods(hall, chosen):
                break
            chosen = date.fromordinal(chosen.toordinal() + 1)
    rng = random.Random(seed)
    acts = (read_script(hall, chosen, script) if script is not None
            else random_day(hall, chosen, arrivals or 0, rng))
    return summarise(play_day(hall, chosen, acts, seed))


def run_simulate(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """The ``callnext simulate`` subcommand."""
    out = out if out is not None else sys.stdout
    from config.load import load_hall

    hall = load_hall(args.config)
    day = date.fromisoformat(args.date) if args.date else None
    script = Path(args.day) if args.day else None
    figures = simulate(hall, seed=args.seed, arrivals=args.arrivals, script=script, day=day)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2), file=out)
    else:
        title = (f"script {script.name}" if script else f"{args.arrivals} arrivals") + \
            f", seed {args.seed}"
        print(format_summary(hall, figures, title), file=out)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``callnext simulate`` to the ``callnext`` command."""
    sim = subparsers.add_parser(
        "simulate", help="a hall day through the queue rules alone: waits per service and "
        "class, counter idle time, fairness breaches",
        description="Play a random or scripted day through the queue rules in-process (no "
        "broker, no journal) and print the waits, counters' idle and pause time and any "
        "fairness breach. The day script format is described in README.md.")
    sim.add_argument("--config", required=True, help="hall TOML file")
    day = sim.add_mutually_exclusive_group(required=True)
    day.add_argument("--day", help="a day script (CSV: at,what,service,kind,category,"
                     "minutes,counter,ticket)")
    day.add_argument("--arrivals", type=int, help="a random day with this many visitors")
    sim.add_argument("--seed", type=int, default=7, help="seed of the random draws (default 7)")
    sim.add_argument("--date", type=iso_day, help="the simulated date, YYYY-MM-DD (default: the "
                     f"first opening day from {REFERENCE_DATE.isoformat()})")
    sim.add_argument("--json", action="store_true", help="print the figures as JSON")
    sim.set_defaults(run=run_simulate)
