"""``callnext report``: a day's or a period's figures, read back from the journal unchanged.

The figures are computed from the journaled events alone (``broker.report_figures``), so a
report can be made at any time afterwards, from a copy of the journal, without the broker, or
beside a running one: the journal is opened read only (``Journal.open_read_only``), and a file
the broker would set aside at start-up stays exactly where it is.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from typing import NamedTuple, Sequence, TextIO

from broker.journal import JOURNAL_NAME, Journal, JournalError
from broker.report_export import write_period_csv, write_xlsx
from broker.report_facts import Fact, read_facts
from broker.report_figures import ReportError, build_report
from broker.report_html import write_html
from broker.report_period import PeriodReport, build_period_report
from broker.report_render import format_report, write_csv
from broker.report_tables import figures_table, report_tables
from broker.report_terminal import format_period_report
from config.load import load_hall
from config.schema import Hall

__all__ = ["Outputs", "ReportError", "build_report", "format_report", "print_period_report",
           "print_report", "write_csv"]

# More days than this in an error message are elided in the middle: a year-old
# journal would otherwise bury the message under 365 dates.
_DAYS_LISTED = 12


def _listed(days: Sequence[str]) -> str:
    if len(days) <= _DAYS_LISTED:
        return ", ".join(days)
    return ", ".join([*days[:2], "...", *days[-(_DAYS_LISTED - 2):]])


def print_report(config_path: str | os.PathLike[str], data_dir: Path, date: str | None,
                 csv_path: str | None = None, *, out: TextIO | None = None) -> int:
    """Print one day's report from the broker's journal; optionally write it as CSV.

    Args:
        config_path: the hall TOML file.
        data_dir: the broker's data directory (its ``--data``).
        date: the hall-local day, YYYY-MM-DD; ``None`` for the newest day in the journal.
        csv_path: also write the figures to this CSV file.
        out: where to print (default: standard output).

    Returns:
        The exit status, 0.

    Raises:
        ConfigError: the hall file cannot be used.
        ReportError: there is no journal in ``data_dir``, it holds no events,
            or none for ``date`` (the message lists the days it has).
        JournalError: the journal cannot be read.
    """
    stream = out if out is not None else sys.stdout
    hall = load_hall(config_path)
    path = _journal_path(data_dir)
    journal = Journal.open_read_only(path)
    try:
        days = journal.days()
        if not days:
            raise ReportError(f"the journal {path} holds no events yet; nothing to report")
        day = date if date is not None else days[-1]
        if day not in days:
            raise ReportError(
                f"no events for {day!r} in {path} (use --date YYYY-MM-DD); "
                f"days in the journal: {_listed(days)}")
        own = list(journal.events(day=day))
        later = journal.events(after=own[-1].seq) if own else iter(())
        report = build_report(hall, own, day, later)
    except sqlite3.DatabaseError as err:
        # Damage quick_check did not see, met while reading the day's events.
        raise JournalError(f"the journal {path} could not be read to the end ({err}); it was "
                           "left exactly as it is") from err
    finally:
        journal.close()
    print(format_report(hall, report), file=stream)
    if csv_path is not None:
        write_csv(report, csv_path)
        print(f"\nCSV: {csv_path}", file=stream)
    return 0


def _journal_path(data_dir: str | os.PathLike[str]) -> Path:
    path = Path(data_dir) / JOURNAL_NAME
    # Checked first, to say which --data was meant rather than what SQLite could not open.
    if not path.is_file():
        raise ReportError(
            f"no journal at {path}: the broker writes {JOURNAL_NAME} in the directory given "
            "to `callnext broker --data`; pass that same directory as --data")
    return path


class Outputs(NamedTuple):
    """The files a period report is also written to (``None``: not wanted)."""

    csv: str | None = None
    xlsx: str | None = None
    html: str | None = None


def _read_facts(hall: Hall, path: Path) -> tuple[list[str], list[Fact]]:
    """The journal's days and the facts of all its events, read only (a running broker's
    journal included); the events stream through, only the facts are kept."""
    journal = Journal.open_read_only(path)
    try:
        days = journal.days()
        return days, read_facts(hall, journal.events()) if days else []
    except sqlite3.DatabaseError as err:
        raise JournalError(f"the journal {path} could not be read to the end ({err}); it was "
                           "left exactly as it is") from err
    finally:
        journal.close()


def make_period_report(hall: Hall, data_dir: str | os.PathLike[str], start: str | None,
                       end: str | None, by: str) -> PeriodReport:
    """Read the journal in ``data_dir`` (read only) and compute the period report.

    ``start`` and ``end`` default to the journal's first and last day. Raises ReportError
    (no journal, no events) or JournalError (unreadable).
    """
    path = _journal_path(data_dir)
    days, facts = _read_facts(hall, path)
    if not days:
        raise ReportError(f"the journal {path} holds no events yet; nothing to report")
    first, last = start or days[0], end or days[-1]
    reversed_range = start is not None and end is not None and start > end  # said below
    if not reversed_range and not any(first <= day <= last for day in days):
        raise ReportError(f"no events from {first} to {last} in {path}; the journal holds "
                          f"{days[0]} … {days[-1]} ({len(days)} days)")
    # Every event is read, also those after the range: a ticket carried over midnight
    # brings its later calls back to its issue day.
    return build_period_report(facts, first, last, by, hall.policies.wait_target_minutes)


def print_period_report(config_path: str | os.PathLike[str], data_dir: Path, start: str | None,
                        end: str | None, by: str, outputs: Outputs = Outputs(), *,
                        out: TextIO | None = None) -> int:
    """Print a period report from the broker's journal and write the files asked for.

    Args:
        config_path: the hall TOML file.
        data_dir: the broker's data directory (its ``--data``).
        start, end: the first and last hall-local day, YYYY-MM-DD (default: the journal's).
        by: ``day``, ``week`` (Monday to Sunday) or ``month``.
        outputs: CSV (the figures table), XLSX (every table) and HTML (charts) files.
        out: where to print (default: standard output).

    Returns:
        The exit status, 0.

    Raises:
        ConfigError, ReportError, JournalError: as ``print_report``; ReportError also when a
            file cannot be written.
    """
    stream = out if out is not None else sys.stdout
    hall = load_hall(config_path)
    report = make_period_report(hall, data_dir, start, end, by)
    print(format_period_report(hall, report), file=stream)
    title = f"{hall.name.zh} {hall.name.en} {report.start} — {report.end}"
    if outputs.csv is not None:
        write_period_csv(figures_table(hall, report), outputs.csv)
        print(f"\nCSV: {outputs.csv}", file=stream)
    if outputs.xlsx is not None:
        write_xlsx(report_tables(hall, report), outputs.xlsx, title)
        print(f"XLSX: {outputs.xlsx}", file=stream)
    if outputs.html is not None:
        write_html(hall, report, outputs.html)
        print(f"HTML: {outputs.html}", file=stream)
    return 0
