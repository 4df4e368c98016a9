"""``callnext appointments import FILE.csv``: bookings into the broker's journal, all or nothing.

The CSV has the header ``code,service,start,end`` (start/end hall-local like
``2026-11-25T10:00``). No names or other personal data are read or stored.
Every row is checked here first, with its CSV line number; only a clean file
is sent, as one ``book_appointments`` request the broker accepts whole or
refuses whole (listing every bad row).

One request, not several: a file split over requests could fail half-way (a bad
row the broker finds, a broker restart) and leave part of it booked. The op's
frame limit is raised instead (``protocol.registry.BULK_OPS``): the largest file
the op allows (``max_bookings()`` rows) fits one frame.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any

from foundation.errors import CallnextError
from config.schema import Hall
from protocol.client import RequestClient
from protocol import errors
from protocol.errors import BrokerUnreachable, CommandRefused, ProtocolError
from protocol.args import BookAppointments
from protocol.ops import BOOKING_CODE_PATTERN

logger = logging.getLogger(__name__)

COLUMNS = ("code", "service", "start", "end")

IMPORT_TIMEOUT_MS = 10_000
"""How long one attempt waits for the broker: booking 5 000 rows takes it about a
second on a Pi 4, and a retry of the same request is answered from its journal."""


def max_bookings() -> int:
    """Most bookings one file (one request) may hold: the op's own bound, read from its
    schema so the two never disagree."""
    return int(BookAppointments.model_json_schema()["properties"]["bookings"]["maxItems"])

_FIX_AND_RETRY = ("fix the rows listed and import the whole file again (nothing is booked "
                  "twice: an import is booked whole or not at all)")


class AppointmentImportError(CallnextError):
    """The file was not imported; ``str()`` lists every problem. Nothing was booked."""


def parse_bookings(text: str, hall: Hall, source: str = "<csv>") -> list[dict[str, str]]:
    """Check a bookings CSV and return its rows as ``book_appointments`` bookings.

    Args:
        text: the CSV text.
        hall: the hall (service ids are checked against it).
        source: the file name, for messages.

    Raises:
        AppointmentImportError: listing every bad row with its CSV line number.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))  # Excel writes a BOM
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise AppointmentImportError(
            f"{source}: 表头缺少 / the header lacks {', '.join(missing)}; the first line must be "
            f"{','.join(COLUMNS)} (extra columns are ignored; do not add names)")
    reader.fieldnames = header
    services = {s.id for s in hall.services}
    problems: list[str] = []
    rows: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        values = {c: (row.get(c) or "").strip() for c in COLUMNS}
        if not any(values.values()):
            continue
        empty = [c for c in COLUMNS if not values[c]]
        if empty:
            problems.append(f"line {line}: missing {', '.join(empty)}")
            continue
        row_problems = _row_problems(values, line, services, seen)
        if row_problems:
            problems.append(f"line {line} ({values['code']}): " + "; ".join(row_problems))
            continue
        rows.append({**values, "start": _minute(values["start"]), "end": _minute(values["end"])})
    if problems:
        raise AppointmentImportError(
            f"{source}: 未导入任何预约 / nothing was imported; {len(problems)} bad row(s):\n  "
            + "\n  ".join(problems) + "\n" + _FIX_AND_RETRY)
    if not rows:
        raise AppointmentImportError(f"{source}: no bookings in the file")
    most = max_bookings()
    if len(rows) > most:
        raise AppointmentImportError(
            f"{source}: 未导入任何预约 / nothing was imported; the file holds {len(rows)} "
            f"bookings, at most {most} go in one import: split it into files of at "
            f"most {most} rows (each with the header line) and import each one")
    return rows


def _row_problems(values: dict[str, str], line: int, services: set[str],
                  seen: dict[str, int]) -> list[str]:
    """What is wrong with one complete row; ``seen`` (code -> line) learns its code."""
    code = values["code"]
    problems = []
    if not re.match(BOOKING_CODE_PATTERN, code):
        problems.append(f"code {code!r} must be 4-32 letters, digits or '-'")
    elif code in seen:
        problems.append(f"code {code} already on line {seen[code]}")
    else:
        seen[code] = line
    if values["service"] not in services:
        problems.append(f"unknown service {values['service']!r} "
                        f"(known: {', '.join(sorted(services))})")
    times: list[datetime] = []
    for key in ("start", "end"):
        try:
            moment = datetime.fromisoformat(values[key])
        except ValueError:
            problems.append(f"{key} {values[key]!r} is not a date-time like 2026-11-25T10:00")
            continue
        if moment.tzinfo is not None:
            problems.append(f"{key} {values[key]!r} must be hall-local, without a time zone")
        times.append(moment)
    if len(times) == 2 and times[1] <= times[0]:
        problems.append("end must be after start")
    return problems


def _minute(text: str) -> str:
    # "2026-11-25 10:00" (a spreadsheet's way) -> the wire's "2026-11-25T10:00".
    return datetime.fromisoformat(text).isoformat(timespec="minutes" if text.count(":") == 1
                                                  else "seconds")


def _what_to_do(code: str, node: str) -> str:
    """The next step after a refusal with ``code``."""
    if code == errors.FORBIDDEN:
        return (f"importing bookings is an admin act: send it with the admin key "
                f"(--node admin), not as {node!r}")
    if code == errors.TOO_LARGE:
        return ("the request is too large for the broker (an older broker, or a key other "
                "than admin's): import as --node admin, or split the file into smaller files "
                "and import each")
    return _FIX_AND_RETRY


def import_csv(path: Path, hall: Hall, endpoint: str, *, node: str = "appointments-import",
               client: Any = None) -> int:
    """Check a CSV file and book all of its rows in one request.

    Args:
        path: the CSV file.
        hall: the hall config.
        endpoint: the broker's command endpoint.
        node: node id sent with the request.
        client: a request client to use instead of a new one (tests).

    Returns:
        How many bookings were made.

    Raises:
        AppointmentImportError: a bad file, a refusal (every bad row listed) or no broker.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise AppointmentImportError(f"{path}: cannot be read as UTF-8 text: {err}") from err
    bookings = parse_bookings(text, hall, str(path))
    own = client is None
    client = client or RequestClient(endpoint, node, timeout_ms=IMPORT_TIMEOUT_MS, retries=3)
    try:
        result = client.request("book_appointments", {"bookings": bookings})
    except (CommandRefused, ProtocolError) as refusal:
        raise AppointmentImportError(
            f"{path}: 队列服务拒绝，未导入任何预约 / the broker refused the import, nothing was "
            f"booked ({refusal.code}): {refusal.message}\n{_what_to_do(refusal.code, node)}",
        ) from refusal
    except BrokerUnreachable as err:
        raise AppointmentImportError(
            f"{path}: 无法连接队列服务 / the broker at {endpoint} did not answer. Is it running? "
            "Run the same command again once it answers: if this attempt did reach it, every "
            "row is then refused as existing already and nothing is booked twice.") from err
    finally:
        if own:
            client.close()
    booked = int(result.get("booked", len(bookings)))
    logger.info("imported %d bookings from %s", booked, path)
    return booked
