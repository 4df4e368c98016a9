"""The central schema is migrated step by step, once, and a newer one is refused."""

from __future__ import annotations

import psycopg
import pytest

from uplink import schema
from uplink.schema import CentralSchemaError, migrate


def test_an_older_schema_is_upgraded_and_a_newer_one_refused(
        central_dsn: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with psycopg.connect(central_dsn) as conn:
        monkeypatch.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:1])
        monkeypatch.setattr(schema, "SCHEMA_VERSION", 1)
        assert migrate(conn) == 1  # what an uplink of the first release made
        monkeypatch.undo()
        assert migrate(conn) == schema.SCHEMA_VERSION == 2
        assert migrate(conn) == 2  # nothing left to do
        with conn.transaction():
            versions = [r[0] for r in conn.execute(
                "SELECT version FROM callnext_schema_version ORDER BY version")]
            indexes = {r[0] for r in conn.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'callnext_events'")}
            conn.execute("INSERT INTO callnext_schema_version (version) VALUES (99)")
        assert versions == [1, 2] and "callnext_events_cases" in indexes
        with pytest.raises(CentralSchemaError, match="newer than this uplink"):
            migrate(conn)
