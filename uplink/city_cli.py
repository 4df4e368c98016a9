"""``callnext report --central DSN``: the city's period report, printed as a bilingual table.

Its arguments are added to ``callnext report`` (``callnext.report_cli``), whose ``--from``,
``--to`` and ``--by`` it shares; with ``--central`` the report reads the central PostgreSQL
store instead of a hall's journal (``run_central_report``).
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path
from typing import Any, Sequence

from foundation.text import pad, width
from uplink.city import FIGURES, CityReportError, city_report

_HEADERS = {
    "hall": ("网点", "Hall"), "period": ("时段", "Period"),
    "issued": ("取号", "Issued"), "served": ("办结", "Served"), "no_shows": ("过号", "No-shows"),
    "wait_p50_min": ("等候中位", "Wait p50"), "wait_p90_min": ("等候P90", "Wait p90"),
    "ratings": ("评价", "Ratings"), "negative_ratings": ("差评", "Negative"),
    "satisfied_share": ("满意率", "Satisfied"),
    "rating_mean_5": ("均分/5", "Score/5"),
}
"""Column headings, Chinese over English."""

CITY = ("全市", "City")


def add_central_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--central``, ``--hall``, ``--password-file`` and ``--json`` to ``callnext report``
    (whose ``--from``, ``--to`` and ``--by`` the city report shares)."""
    group = parser.add_argument_group("the city's report, from the central database")
    group.add_argument("--central", metavar="DSN", help="report across halls from the city's "
                       "central PostgreSQL (libpq DSN without password) instead of a journal")
    group.add_argument("--hall", action="append", metavar="ID",
                       help="with --central: only this hall (repeat for several; default all)")
    group.add_argument("--password-file", help="with --central: file holding the database "
                       "password (mode 0600); else libpq's PGPASSWORD or ~/.pgpass")
    group.add_argument("--json", action="store_true",
                       help="with --central: print the report as JSON")


def _day(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def run_central_report(args: argparse.Namespace) -> int:
    """Print the city report for ``args`` (see ``add_central_arguments``); 0 on success.

    Raises:
        CityReportError: no --from, a period that ends before it starts, or a journal
            report's option given.
        PasswordFileError: the password file cannot be used.
    """
    import psycopg

    from uplink.connect import APPLICATION_NAME, read_password

    start, end = _day(args.start), _day(args.end)
    if start is None:
        raise CityReportError("--central needs --from YYYY-MM-DD (and --to for a longer period)")
    unused = [flag for flag in ("config", "data", "date", "csv", "xlsx", "html")
              if getattr(args, flag, None)]
    if unused:
        raise CityReportError(f"--central reports from the central database: "
                              f"{', '.join('--' + f for f in unused)} belong to a hall's "
                              f"journal report; print the table, or --json")
    options: dict[str, Any] = {"application_name": APPLICATION_NAME + "-report"}
    if args.password_file:
        options["password"] = read_password(Path(args.password_file))
    try:
        with psycopg.connect(args.central, **options) as conn:
            report = city_report(conn, start, end or start, args.by or "day", args.hall)
    except psycopg.OperationalError as err:
        raise CityReportError(f"cannot read the central database: {err}".strip()) from err
    except psycopg.errors.UndefinedTable as err:
        raise CityReportError("the central database has no callnext tables yet: no hall's "
                              "uplink has connected to it (docs/central.md)") from err
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else format_city(report))
    return 0


def _cell(name: str, value: Any) -> str:
    if value is None:
        return "-"
    if name == "satisfied_share":
        return f"{value * 100:.1f}%"
    return f"{value:.1f}" if isinstance(value, float) else str(value)


def format_city(report: dict[str, Any]) -> str:
    """The report as a text table: each period's halls, then the city line."""
    columns = ("hall", "period", *FIGURES)
    lines: list[Sequence[str]] = [[_HEADERS[c][0] for c in columns],
                                  [_HEADERS[c][1] for c in columns]]
    for city in report["city"]:
        for row in report["rows"]:
            if row["period"] == city["period"]:
                lines.append([row["hall"], row["period"],
                              *(_cell(n, row[n]) for n in FIGURES)])
        lines.append([f"{CITY[0]} {CITY[1]}", city["period"],
                      *(_cell(n, city[n]) for n in FIGURES)])
    widths = [max(width(line[i]) for line in lines) for i in range(len(columns))]
    title = (f"城市报表 City report {report['from']} … {report['to']} "
             f"(按{ {'day': '日', 'week': '周', 'month': '月'}[report['by']] } by {report['by']})")
    body = ["  ".join(pad(text, widths[i], right=i > 1) for i, text in enumerate(line))
            for line in lines]
    if not report["city"]:
        body.append("没有数据 No events in this period.")
    behind = [f"{hall} {'-' if last is None else last['at']}"
              for hall, last in report["shipped_until"].items()
              if last is None or last["day"] < report["to"]]
    if behind:
        body.append("未上报完整 Not shipped to the end of the period (newest event, UTC): "
                    + ", ".join(behind))
    cases = [f"{hall} {c['open']} ({c['overdue']})" for hall, c in report["cases"].items()
             if c["open"]]
    if cases:
        body.append("未结差评 Open 差评 cases now (of them overdue): " + ", ".join(cases))
    return "\n".join([title, *body])
