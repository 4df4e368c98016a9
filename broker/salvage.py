"""Reading what is still readable out of a damaged journal, in order from seq 1."""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import struct
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def salvage(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], str | None]:
    """Events readable from a damaged journal in order from seq 1, and their requests' replies.

    Reading stops at the first error or gap: replaying events past a hole would
    rebuild a queue that never existed. Replies are kept only for requests whose
    events were all kept, so a retry is never answered for an effect that is gone.

    Returns:
        ``(event rows, request rows, why reading stopped or None)``.
    """
    events: list[tuple[Any, ...]] = []
    replies: list[tuple[Any, ...]] = []
    stopped: str | None = None
    work = path.with_name(f"{path.name}.salvage")
    try:
        for suffix in ("", "-wal"):
            if Path(f"{path}{suffix}").exists():
                shutil.copyfile(f"{path}{suffix}", f"{work}{suffix}")
        _pad_to_header_size(work)
        db = sqlite3.connect(work, isolation_level=None)
    except (sqlite3.Error, OSError) as err:
        remove_work_files(work)
        return events, replies, str(err)
    try:
        try:
            cursor = db.execute("SELECT seq, at, day, type, data, op, node, request_id "
                                "FROM events ORDER BY seq")
            for row in cursor:
                if int(row[0]) != len(events) + 1:
                    stopped = f"seq {len(events) + 1} is missing"
                    break
                json.loads(row[4])
                events.append(tuple(row))
        except (sqlite3.Error, ValueError, TypeError) as err:
            stopped = str(err) or type(err).__name__
        kept_ids = {row[7] for row in events if row[7] is not None}
        lost_ids: set[str] = set()
        if stopped is not None:
            # Requests with an event past the break lost part of their effect.
            try:
                for (rid,) in db.execute("SELECT request_id FROM events WHERE seq > ?",
                                         (len(events),)):
                    lost_ids.add(rid)
            except sqlite3.Error:
                lost_ids = set()
        try:
            # Row by row: the rows read before a damaged page are kept.
            for row in db.execute("SELECT id, at, op, node, reply FROM requests"):
                if row[0] in kept_ids and row[0] not in lost_ids and _intact_reply(row):
                    replies.append(tuple(row))
        except sqlite3.Error as err:
            log.warning("part of the damaged journal's replies is unreadable (%s); a retry of "
                        "a request whose reply is gone will be judged afresh", err)
    finally:
        db.close()
        remove_work_files(work)
    return events, replies, stopped


def _intact_reply(row: tuple[Any, ...]) -> bool:
    """A salvaged reply is kept only if it is still the JSON reply to its own request id."""
    try:
        reply = json.loads(row[4])
    except (ValueError, TypeError):
        return False
    return isinstance(reply, dict) and reply.get("id") == row[0]


def _pad_to_header_size(path: Path) -> None:
    """Zero-fill a truncated database file up to the size its header records.

    SQLite refuses to read even the schema of a file shorter than its header
    says (the tables' root pages lie "beyond the end"). Zero pages make the
    missing part readable as damage, so everything before it can be read.
    """
    with open(path, "r+b") as file:
        header = file.read(100)
        if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
            return
        page_size = struct.unpack(">H", header[16:18])[0]
        page_size = 65536 if page_size == 1 else page_size
        pages = struct.unpack(">I", header[28:32])[0]
        file.seek(0, 2)
        if file.tell() < pages * page_size:
            file.truncate(pages * page_size)


def remove_work_files(work: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{work}{suffix}").unlink(missing_ok=True)
