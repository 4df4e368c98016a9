"""The least-privilege set-up of docs/central.md: halls insert their own rows, nothing more."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from bench.pgserver import PgServer
from broker.journal import JOURNAL_NAME, Journal
from tests.central.central_tools import count, issue, settings
from tests.central.central_tools import running as running_uplink
from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "central.md"


def _sql_block(title: str) -> str:
    """The ```sql block under the heading ``title`` of docs/central.md (tested as written)."""
    text = DOCS.read_text(encoding="utf-8")
    after = text[text.index(title):]
    start = after.index("```sql\n") + len("```sql\n")
    return after[start:after.index("```", start)]


def test_the_documented_roles_let_a_hall_ship_only_its_own_rows(
        tmp_path: Path, pg: PgServer, central_dsn: str) -> None:
    owner = subprocess.run([sys.executable, "-m", "callnext", "central-schema", "--dsn",
                            central_dsn], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert owner.returncode == 0 and "version 2" in owner.stdout, owner.stderr
    with psycopg.connect(central_dsn, autocommit=True) as conn:
        conn.execute(_sql_block("### Roles").replace("HALL_ID", "hall-a"))
        conn.execute("CREATE ROLE \"hall_hall-b\" LOGIN IN ROLE callnext_hall")
    hall_dsn = central_dsn.replace("user=postgres", "user=hall_hall-a")
    journal = Journal(tmp_path / JOURNAL_NAME)
    issue(journal, 30)
    journal.close()
    with running_uplink(settings(hall_dsn, "hall-a"), tmp_path) as run:
        assert wait_for(lambda: count(central_dsn, "hall-a") == 30)
    assert run.error is None
    with psycopg.connect(hall_dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM callnext_events WHERE hall = 'hall-a'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE callnext_events SET data = '{}' WHERE hall = 'hall-a'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE callnext_other (x int)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # row-level security
            conn.execute("INSERT INTO callnext_halls (hall, journal_hall_id) "
                         "VALUES ('hall-b', 'x')")
    assert count(central_dsn, "hall-a") == 30
