"""``callnext appointments import FILE.csv``: bookings into the broker's journal, all or nothing.

The CSV has the header ``code,service,start,end`` (start/end hall-local like
``2026-11-25T10:00``). No names or other personal data are read or stored.
Every row is checked here first, with its CSV line number; only a clean file
is sent, as one ``book_appointments`` request the broker accepts whole or
refuses whole (listing every bad row).
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
from protocol.errors import BrokerUnreachable, CommandRefused
from protocol.ops import BOOKING_CODE_PATTERN

logger = logging.getLogger(__name__)

COLUMNS = ("code", "service", "start", "end")


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
            + "\n  ".join(problems))
    if not rows:
        raise AppointmentImportError(f"{source}: no bookings in the file")
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
    client = client or RequestClient(endpoint, node, timeout_ms=3000, retries=3)
    try:
        result = client.request("book_appointments", {"bookings": bookings})
    except CommandRefused as refusal:
        raise AppointmentImportError(f"{path}: 队列服务拒绝 / the broker refused the import "
                                     f"({refusal.code}): {refusal.message}") from refusal
    except BrokerUnreachable as err:
        raise AppointmentImportError(f"{path}: 无法连接队列服务 / the broker at {endpoint} did not "
                                     "answer; nothing was imported. Is it running?") from err
    finally:
        if own:
            client.close()
    booked = int(result.get("booked", len(bookings)))
    logger.info("imported %d bookings from %s", booked, path)
    return booked
