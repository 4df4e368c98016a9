"""A real PostgreSQL server for the session (skipped only when its binaries are missing).

Shared by tests/central and tests/web (the city view): a conftest imports the fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.pgserver import PgServer, find_bin


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    """One PostgreSQL server for every central test; each test makes its own database."""
    bin_dir = find_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are missing: "
                    "apt-get install postgresql (make test-deps)")
    with PgServer(bin_dir) as server:
        yield server


@pytest.fixture
def central_dsn(pg: PgServer) -> str:
    """The DSN of a fresh, empty database on the session's server."""
    return pg.dsn(pg.create_db())
