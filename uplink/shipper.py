"""The central side of shipping: the hall's registration, its head, one batch per transaction.

A batch is written only after the hall's head (its newest central row) is read again
under the hall's advisory lock and found where this uplink left it: a second uplink
for the same hall (a misconfigured spare) cannot interleave rows, and a batch whose
commit was lost to a kill -9 is simply read back as the head on restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from broker.journal import Journal
from foundation.errors import CallnextError
from uplink.rows import GENESIS, CentralRow, digest_of


class CentralHistoryError(CallnextError):
    """The local journal and the central store disagree; nothing was written. Refused loudly.

    Retrying cannot help: the operator decides (docs/central.md, "a refused journal").
    """

    exit_status = 3


class HeadMoved(CallnextError):
    """The hall's central head changed under this uplink (another writer); resume again."""


@dataclass(frozen=True)
class Head:
    """The newest central row of a hall: where shipping resumes."""

    seq: int = 0
    digest: bytes = b""
    chain: bytes = GENESIS


_COPY = ("COPY callnext_events (hall, seq, day, type, at, data, epoch, digest, chain) "
         "FROM STDIN")


class Shipper:
    """Writes one hall's rows on one connection (``psycopg.Connection``, autocommit off)."""

    def __init__(self, conn: Any, hall: str) -> None:
        self.conn = conn
        self.hall = hall

    def register(self, journal_hall_id: str) -> None:
        """Claim ``hall`` for this journal history, or refuse another history's claim.

        Raises:
            CentralHistoryError: the hall's rows come from another journal (another hall
                configured with this hall_id, or a journal started afresh).
        """
        with self.conn.transaction():
            self.conn.execute("INSERT INTO callnext_halls (hall, journal_hall_id) VALUES (%s, %s) "
                              "ON CONFLICT (hall) DO NOTHING", (self.hall, journal_hall_id))
            row = self.conn.execute("SELECT journal_hall_id FROM callnext_halls WHERE hall = %s",
                                    (self.hall,)).fetchone()
        if str(row[0]) != journal_hall_id:
            raise CentralHistoryError(
                f"the central store's hall {self.hall!r} holds the events of journal "
                f"{row[0]}, but this hall's journal is {journal_hall_id}: two halls share "
                f"this hall_id, or this journal was started afresh. Nothing was shipped. Give "
                f"this hall its own [central] hall_id (docs/central.md, a refused journal).")

    def head(self) -> Head:
        """The hall's newest central row (``Head()`` when it has none)."""
        with self.conn.transaction():
            row = self.conn.execute(
                "SELECT seq, digest, chain FROM callnext_events WHERE hall = %s "
                "ORDER BY seq DESC LIMIT 1", (self.hall,)).fetchone()
        return Head() if row is None else Head(int(row[0]), bytes(row[1]), bytes(row[2]))

    def write(self, rows: Iterable[CentralRow], expected: Head) -> Head:
        """Append ``rows`` after ``expected`` in one transaction; returns the new head.

        Raises:
            HeadMoved: the head is no longer ``expected``; nothing was written.
        """
        last = expected
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 7))",
                              (f"callnext-hall:{self.hall}",))
            found = self.conn.execute(
                "SELECT max(seq) FROM callnext_events WHERE hall = %s", (self.hall,)).fetchone()
            if int(found[0] or 0) != expected.seq:
                raise HeadMoved(f"hall {self.hall!r} is at seq {found[0]} centrally, not "
                                f"{expected.seq}: another uplink writes for this hall")
            with self.conn.cursor() as cursor, cursor.copy(_COPY) as copy:
                for row in rows:
                    copy.write_row((self.hall, row.seq, row.day, row.type, row.at,
                                    row.data_json, row.epoch, row.digest, row.chain))
                    last = Head(row.seq, row.digest, row.chain)
        return last


def check_resume(journal: Journal, head: Head, hall: str) -> None:
    """Refuse a journal that does not hold, at the central head's seq, the central event.

    Raises:
        CentralHistoryError: the journal is behind the central store (restored to an older
            copy) or holds a different event at that seq (restored, then written on).
    """
    if head.seq == 0:
        return
    local = journal.last_seq()
    if local < head.seq:
        raise CentralHistoryError(
            f"hall {hall!r}: the journal {journal.path} ends at seq {local}, but the central "
            f"store already holds seq {head.seq} of this hall. The journal was restored to an "
            f"older copy (or replaced). Nothing was shipped and nothing central was changed; "
            f"see docs/central.md, a refused journal.")
    events = journal.events(after=head.seq - 1)
    try:
        stored = next(events, None)
    finally:
        events.close()
    if stored is None or stored.seq != head.seq or digest_of(stored)[2] != head.digest:
        raise CentralHistoryError(
            f"hall {hall!r}: the journal {journal.path} holds a different event at seq "
            f"{head.seq} than the central store: it was restored to an older copy and has been "
            f"written on since, so its events from there on are another history. Nothing was "
            f"shipped and nothing central was changed; see docs/central.md, a refused journal.")
