"""The central tests' PostgreSQL fixtures (shared with tests/web: ``tests.central_pg``)."""

from tests.central_pg import central_dsn, pg

__all__ = ["central_dsn", "pg"]
