"""``callnext uplink``: ship this hall's journal to the city's central PostgreSQL."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from pathlib import Path
from types import FrameType

from foundation.errors import CallnextError

log = logging.getLogger(__name__)


class NoCentralTable(CallnextError):
    """The hall file has no ``[central]`` table: restarting cannot help (exit status 3)."""

    exit_status = 3


class CentralUnavailable(CallnextError):
    """The central database refused or could not be reached (``central-schema``)."""

    exit_status = 2


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``callnext uplink``."""
    from runtime.security import add_security_args

    uplink = sub.add_parser(
        "uplink", help="ship the journal to the city's central PostgreSQL ([central] table)",
        description="Read the broker's journal (read-only) and ship every event, in order and "
                    "exactly once, to the central database named by the hall file's [central] "
                    "table. Runs until stopped; exit status 3 when the journal and the central "
                    "store disagree (docs/central.md).")
    uplink.add_argument("--config", required=True, help="hall TOML file with a [central] table")
    uplink.add_argument("--data", required=True, help="the broker's data directory (its journal)")
    uplink.add_argument("--endpoint", help="broker command endpoint for health reports "
                        "(default from the hall file)")
    uplink.add_argument("--no-health", action="store_true",
                        help="do not report the uplink's health to the broker")
    add_security_args(uplink)
    uplink.set_defaults(run=_run)
    schema = sub.add_parser(
        "central-schema", help="create or upgrade the central tables (the city's owner role)",
        description="Create or upgrade the callnext tables in the city's central database, "
                    "then exit. Run it with the owner role; halls' roles then need no right "
                    "to create tables (docs/central.md, roles).")
    schema.add_argument("--dsn", required=True, help="libpq DSN of the central database "
                        "(without password)")
    schema.add_argument("--password-file", help="file holding the password (mode 0600); "
                        "else libpq's PGPASSWORD or ~/.pgpass")
    schema.set_defaults(run=_schema)


def _schema(args: argparse.Namespace) -> int:
    import psycopg

    from uplink.connect import APPLICATION_NAME, read_password
    from uplink.schema import migrate

    options = {"application_name": APPLICATION_NAME + "-schema"}
    if args.password_file:
        options["password"] = read_password(Path(args.password_file))
    try:
        with psycopg.connect(args.dsn, **options) as conn:
            version = migrate(conn)
    except psycopg.Error as err:
        raise CentralUnavailable(f"cannot create the central tables: {err}".strip()) from err
    print(f"central schema version {version} in place")
    return 0


def _run(args: argparse.Namespace) -> int:
    from broker.journal import JOURNAL_NAME
    from config.load import load_hall
    from config.security import UPLINK_NODE
    from foundation.sdnotify import Watchdog, notify
    from protocol.client import RequestClient
    from runtime.health import HealthReporter
    from runtime.security import socket_setup_for
    from uplink.connect import connect
    from uplink.loop import COMPONENT, Uplink

    hall = load_hall(args.config)
    settings = hall.central
    if settings is None:
        raise NoCentralTable(f"{args.config} has no [central] table: add hall_id and dsn "
                             f"(docs/central.md) or do not run the uplink on this hall")
    client, reporter = None, None
    if not args.no_health:
        client = RequestClient(args.endpoint or hall.broker.command_endpoint(), UPLINK_NODE,
                               timeout_ms=1000, retries=1,
                               socket_setup=socket_setup_for(args, hall, UPLINK_NODE))
        reporter = HealthReporter(client.request)
        reporter.start()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    uplink = Uplink(settings, Path(args.data) / JOURNAL_NAME, connect=lambda: connect(settings),
                    report=None if reporter is None else
                    (lambda status, message: reporter.report(COMPONENT, status, message)),
                    tick=Watchdog().pet)
    notify(ready=True, status=f"shipping hall {settings.hall_id}")
    log.info("uplink for hall %s started", settings.hall_id)
    try:
        uplink.run(stop)
    finally:
        if reporter is not None:
            reporter.flush()  # a last fault report reaches the broker before exiting
            reporter.stop()
        if client is not None:
            client.close()
    log.info("uplink stopped after shipping %d events", uplink.shipped)
    return 0
