"""How long ``callnext report`` takes on a big journal: a period report with every output.

The journal is the replay benchmark's busy day (``bench.replay_bench.build_journal``: the real
``BrokerService`` on an injected clock). The report runs as staff run it, in a fresh process
(``python -m callnext report --by week --csv --xlsx --html``), reading the journal read-only;
the in-process split says where the time goes: reading the events, turning them into figures,
and writing the three files.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.replay_bench import all_day_hall, build_journal
from broker.journal import JOURNAL_NAME, Journal
from broker.report_export import write_period_csv, write_xlsx
from broker.report_facts import read_facts
from broker.report_html import write_html
from broker.report_period import build_period_report
from broker.report_tables import figures_table, report_tables
from config.load import effective_toml

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config" / "hall.example.toml"
FULL_EVENTS, QUICK_EVENTS = 20_000, 3_000


def _row(figure: str, value: Any, unit: str, how: str) -> dict[str, Any]:
    return {"figure": figure, "value": value, "unit": unit, "how": how}


def _in_process(hall: Any, folder: Path, out: Path) -> dict[str, float]:
    """Seconds spent reading, computing and writing, in this process."""
    marks = [time.perf_counter()]
    journal = Journal.open_read_only(folder / JOURNAL_NAME)
    try:
        days, events = journal.days(), list(journal.events())
    finally:
        journal.close()
    marks.append(time.perf_counter())
    report = build_period_report(read_facts(hall, events), days[0], days[-1], "week")
    marks.append(time.perf_counter())
    write_period_csv(figures_table(hall, report), out / "r.csv")
    write_xlsx(report_tables(hall, report), out / "r.xlsx", "bench")
    write_html(hall, report, out / "r.html")
    marks.append(time.perf_counter())
    return {"events": float(len(events)), "read": marks[1] - marks[0],
            "figures": marks[2] - marks[1], "write": marks[3] - marks[2]}


def run(quick: bool) -> list[dict[str, Any]]:
    """Build the journal, time the report; the figure rows."""
    with tempfile.TemporaryDirectory(prefix="callnext-report-bench-") as tmp:
        folder, out = Path(tmp) / "data", Path(tmp) / "out"
        folder.mkdir()
        out.mkdir()
        hall = all_day_hall(CONFIG)
        config = Path(tmp) / "hall.toml"
        config.write_text(effective_toml(hall), encoding="utf-8")
        build_journal(hall, folder / JOURNAL_NAME, QUICK_EVENTS if quick else FULL_EVENTS)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "callnext", "report", "--config", str(config), "--data",
             str(folder), "--by", "week", "--csv", str(out / "c.csv"), "--xlsx",
             str(out / "c.xlsx"), "--html", str(out / "c.html")],
            capture_output=True, text=True, timeout=600, cwd=ROOT)
        whole = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"callnext report failed: {done.stderr.strip()}")
        parts = _in_process(hall, folder, out)
    events = int(parts["events"])
    return [
        _row(f"callnext report --by week --csv --xlsx --html, {events} events", round(whole, 2),
             "s", "fresh process, start to exit, journal read-only"),
        _row("  reading the journal", round(parts["read"], 2), "s", "in process"),
        _row("  facts and figures", round(parts["figures"], 2), "s",
             f"{events / parts['figures']:.0f} events/s"),
        _row("  writing CSV, XLSX and HTML", round(parts["write"], 2), "s", "in process"),
    ]
