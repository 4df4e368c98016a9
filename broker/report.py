"""``callnext report``: one day's figures, read back from the journal without changing it.

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
from typing import Sequence, TextIO

from broker.journal import JOURNAL_NAME, Journal, JournalError
from broker.report_figures import ReportError, build_report
from broker.report_render import format_report, write_csv
from config.load import load_hall

__all__ = ["ReportError", "build_report", "format_report", "print_report", "write_csv"]

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
    path = Path(data_dir) / JOURNAL_NAME
    # Checked first, to say which --data was meant rather than what SQLite could not open.
    if not path.is_file():
        raise ReportError(
            f"no journal at {path}: the broker writes {JOURNAL_NAME} in the directory given "
            "to `callnext broker --data`; pass that same directory as --data")
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
