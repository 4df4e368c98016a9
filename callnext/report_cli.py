"""``callnext report``: a day's table, or a period's figures as CSV, XLSX and an HTML page.

Without ``--from``, ``--to``, ``--by``, ``--xlsx`` or ``--html`` it prints one day's tables as
it always has (``--date``, default the newest day; ``--csv`` writes that day's figures). With
any of them it makes a period report over the journal (read only, a running broker's too).
With ``--central DSN`` it reports across the city's halls from the central PostgreSQL
instead (``uplink.city_cli``, docs/central.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from callnext.arguments import iso_day

__all__ = ["register", "run_report"]


def run_report(args: argparse.Namespace) -> int:
    """Run ``callnext report`` with parsed arguments; the exit status."""
    from broker.report import Outputs, print_period_report, print_report
    from broker.report_figures import ReportError

    if args.central:
        from uplink.city_cli import run_central_report

        return run_central_report(args)
    if not args.config or not args.data:
        raise ReportError("--config and --data name the hall's journal to report from (or "
                          "--central DSN for the city's report from the central database)")
    period = any(v is not None for v in (args.start, args.end, args.by, args.xlsx, args.html))
    if not period:
        return print_report(args.config, Path(args.data), args.date, csv_path=args.csv)
    if args.date is not None:
        raise ReportError("--date picks one day's table; for a period use --from and --to "
                          "(e.g. --from 2026-11-01 --to 2026-11-30), not both")
    return print_period_report(args.config, Path(args.data), args.start, args.end,
                               args.by or "day", Outputs(args.csv, args.xlsx, args.html))


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``callnext report`` to the ``callnext`` command."""
    from uplink.city_cli import add_central_arguments

    report = subparsers.add_parser(
        "report", help="figures from the journal (read only): a day's table, or periods "
        "with CSV, XLSX and HTML charts",
        description="Read the broker's journal without changing it (also while the broker "
        "runs) and report issued, called, served, no-shows, waits, service times, ratings "
        "and 满意率 per service, counter, clerk and priority class. See docs/report.md.")
    report.add_argument("--config", help="hall TOML file (required unless --central)")
    report.add_argument("--data", help="the broker's data directory (required unless --central)")
    report.add_argument("--date", type=iso_day, metavar="YYYY-MM-DD",
                        help="one day's table, YYYY-MM-DD (default: the newest day)")
    report.add_argument("--from", dest="start", type=iso_day, metavar="YYYY-MM-DD",
                        help="first day of a period report (default: the journal's first)")
    report.add_argument("--to", dest="end", type=iso_day, metavar="YYYY-MM-DD",
                        help="last day of a period report (default: the journal's last)")
    report.add_argument("--by", choices=("day", "week", "month"),
                        help="group a period report by day (default), week (Mon–Sun) or month")
    report.add_argument("--csv", help="also write the figures as CSV (UTF-8, opens in Excel)")
    report.add_argument("--xlsx", help="also write every table to this Excel workbook")
    report.add_argument("--html", help="also write a page with charts (self-contained, printable)")
    add_central_arguments(report)  # --central DSN: the city's report (docs/central.md)
    report.set_defaults(run=run_report)
