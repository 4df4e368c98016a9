"""A whole accelerated hall day through ``callnext demo --headless``, checked against its journal.

The demo runs as a user starts it (a real ``callnext`` process, a real broker
with CURVE keys, the scripted day of arrivals, calls, recalls, no-shows,
transfers and ratings). Afterwards the journal it kept is read here and folded
independently of the broker's rules: every issued ticket must end in a known
place, numbers must be unique, and the report (printed and computed) must
agree with the counts taken from the journal.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from broker.journal import JOURNAL_NAME, Journal, StoredEvent
from broker.report import build_report
from broker.rules.evolve import replay
from config.load import load_hall

pytestmark = pytest.mark.e2e

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")
MINUTES, SPEED = 90, 900  # 08:25-09:55 hall time in about 6 s: into the morning peak

# Where each event leaves its ticket, written from docs/protocol.md's event list,
# not from the broker's code: "serving" covers called, recalled and started.
STATUS_AFTER = {"ticket_issued": "waiting", "called": "serving", "recalled": "serving",
                "started": "serving", "finished": "finished", "no_show": "no_show",
                "revived": "waiting", "transferred": "waiting", "requeued": "waiting",
                "held": "held"}
ACCOUNTED = {"waiting", "serving", "held", "no_show", "finished"}


def fold(events: list[StoredEvent]) -> dict[str, str]:
    """Each ticket's final place, from the journal alone."""
    status: dict[str, str] = {}
    for event in events:
        after = STATUS_AFTER.get(event.type)
        if after is not None:
            status[str(event.data["ticket"])] = after
    return status


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp("demo-day")
    run = subprocess.run(
        [sys.executable, "-m", "callnext", "--log-level", "WARNING", "demo", "--headless",
         "--config", CONFIG, "--minutes", str(MINUTES), "--speed", str(SPEED), "--out", str(out)],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return run.stdout, out


def journal_events(out: Path) -> tuple[str, list[StoredEvent]]:
    journal = Journal(out / JOURNAL_NAME)
    try:
        days = journal.days()
        assert len(days) == 1
        return days[0], list(journal.events(day=days[0]))
    finally:
        journal.close()


def test_every_issued_ticket_is_accounted_for_and_numbers_are_unique(
        day: tuple[str, Path]) -> None:
    stdout, out = day
    assert "headless" in stdout
    _, events = journal_events(out)
    issued = [str(e.data["ticket"]) for e in events if e.type == "ticket_issued"]
    assert len(issued) >= 20
    assert len(set(issued)) == len(issued)
    # Per service the numbers run 001, 002, ... without a gap.
    by_prefix: dict[str, list[int]] = {}
    for number in issued:
        by_prefix.setdefault(number[0], []).append(int(number[1:]))
    for numbers in by_prefix.values():
        assert numbers == list(range(1, len(numbers) + 1))

    # The script really exercised the hall, not just issue and call.
    kinds = Counter(e.type for e in events)
    for kind in ("called", "finished", "recalled", "no_show", "transferred", "rated"):
        assert kinds[kind] > 0, kind

    status = fold(events)
    assert set(status) == set(issued)  # nothing was called that was never issued
    assert set(status.values()) <= ACCOUNTED
    assert {"finished", "no_show", "waiting"} <= set(status.values())

    # The broker's own state, rebuilt from the same journal, agrees ticket by ticket.
    state = replay(load_hall(CONFIG), [e.event() for e in events])
    assert {n: t.status for n, t in state.tickets.items()} == status


def test_report_totals_agree_with_the_journal(day: tuple[str, Path]) -> None:
    stdout, out = day
    hall = load_hall(CONFIG)
    date, events = journal_events(out)
    report = build_report(hall, events, date)
    status = fold(events)
    called = {str(e.data["ticket"]) for e in events if e.type == "called"}
    finished = {str(e.data["ticket"]) for e in events if e.type == "finished"}
    issued = [e for e in events if e.type == "ticket_issued"]

    total = report.total
    assert total.issued == len(issued)
    assert total.called == len(called)
    assert total.finished == len(finished)
    assert total.no_show == sum(1 for s in status.values() if s == "no_show")
    assert total.ratings == sum(1 for e in events if e.type == "rated")
    for service in hall.services:
        assert report.per_service[service.id].issued == sum(
            1 for e in issued if e.data["service"] == service.id)

    # The report the demo printed is this report: its total row carries the same counts.
    row = re.search(r"合计 Total\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", stdout)
    assert row is not None, stdout[-2000:]
    assert tuple(int(x) for x in row.groups()) == (
        total.issued, total.called, total.finished, total.no_show)
