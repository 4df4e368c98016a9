"""The central tables, created and migrated by the uplink (``callnext_schema_version``).

Every uplink of the city runs ``migrate`` when it connects; an advisory lock makes
the halls that start together take turns, and each migration is applied once, in
its own transaction with its version row. A central database newer than this
uplink (a version it does not know) is refused: an old uplink must not write rows
a newer schema reads differently.
"""

from __future__ import annotations

from typing import Any

from foundation.errors import CallnextError

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (1, """
CREATE TABLE callnext_halls (
    hall            text PRIMARY KEY,
    journal_hall_id text NOT NULL,
    registered_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE callnext_events (
    hall   text        NOT NULL REFERENCES callnext_halls (hall),
    seq    bigint      NOT NULL,
    day    date        NOT NULL,
    type   text        NOT NULL,
    at     timestamptz NOT NULL,
    data   jsonb       NOT NULL,
    epoch  text        NOT NULL,
    digest bytea       NOT NULL,
    chain  bytea       NOT NULL,
    PRIMARY KEY (hall, seq)
);
-- Reporting reads a period of days per hall and event type, or the whole city's days.
CREATE INDEX callnext_events_hall_day_type ON callnext_events (hall, day, type);
CREATE INDEX callnext_events_day_type ON callnext_events (day, type);
"""),
    (2, """
-- 差评 cases of every day that are still open: the city view counts them per hall.
CREATE INDEX callnext_events_cases ON callnext_events (hall)
    WHERE type IN ('case_opened', 'case_overdue', 'case_closed');
"""),
)
"""(version, SQL) in order; a new migration is appended, never edited."""

SCHEMA_VERSION = MIGRATIONS[-1][0]

_LOCK_KEY = 0x63616C6C6E657874  # "callnext": the advisory lock every uplink's migration takes


class CentralSchemaError(CallnextError):
    """The central database's schema is newer than this uplink knows."""

    exit_status = 3


def migrate(conn: Any) -> int:
    """Create or upgrade the central tables; returns the schema version now in place.

    Args:
        conn: an open ``psycopg.Connection`` (autocommit off).

    Raises:
        CentralSchemaError: the database has a newer schema than this uplink.
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        # Checked before creating: a hall's role that may not create tables (docs/central.md,
        # roles) still connects once the city's owner role has migrated the schema.
        exists = conn.execute("SELECT to_regclass('callnext_schema_version')").fetchone()[0]
        if exists is None:
            conn.execute("CREATE TABLE callnext_schema_version (version integer PRIMARY KEY, "
                         "applied_at timestamptz NOT NULL DEFAULT now())")
        row = conn.execute("SELECT max(version) FROM callnext_schema_version").fetchone()
        current = int(row[0] or 0)
        if current > SCHEMA_VERSION:
            raise CentralSchemaError(
                f"the central database has schema version {current}, newer than this uplink's "
                f"{SCHEMA_VERSION}: upgrade callnext on this hall before it ships again")
        for version, sql in MIGRATIONS:
            if version > current:
                conn.execute(sql)
                conn.execute("INSERT INTO callnext_schema_version (version) VALUES (%s)",
                             (version,))
    return SCHEMA_VERSION
