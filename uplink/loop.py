"""The uplink's loop: follow the journal, ship each new batch, ride out outages.

One thread, one central connection. Each turn reads up to ``batch_size`` events
after the central head from the journal (read-only: the broker never waits for
it) and writes them in one transaction. Any failure of the network, the database
or the journal's file closes the connection and waits (exponential backoff with
full jitter, so a city's halls do not all return at the same instant); failing for
``health_after_seconds`` is reported to the broker once, and recovery clears it.
A disagreement of histories (``CentralHistoryError``) is never retried: it stops
the uplink with exit status 3, after telling the broker.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from broker.journal import Journal, JournalError
from config.central import CentralSettings
from foundation.errors import CallnextError
from uplink.rows import to_row
from uplink.schema import migrate
from uplink.shipper import Head, HeadMoved, Shipper, check_resume

log = logging.getLogger(__name__)

COMPONENT = "central"
"""The component name of the uplink's health reports."""

BACKOFF_FIRST_S = 0.5

Report = Callable[[str, str], None]
"""``report(status, message)``: status ``ok``, ``warning`` or ``fault`` (to the broker)."""


def _retryable() -> tuple[type[BaseException], ...]:
    import psycopg

    return (psycopg.Error, OSError, JournalError, HeadMoved)


class Uplink:
    """Ships one hall's journal to the central database.

    Args:
        settings: the hall's ``[central]`` table.
        journal_path: the broker's journal file.
        connect: opens a central connection (``uplink.connect.connect``).
        report: tells the broker the uplink's health (None: only logged).
        monotonic: the clock of backoff and the health threshold.
        rng: jitter's randomness.
        tick: called at least once a second while the loop is healthy (the systemd
            watchdog); a blocked network call stops it for at most the connection's timeouts.
    """

    def __init__(self, settings: CentralSettings, journal_path: Path, *,
                 connect: Callable[[], Any], report: Report | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 rng: random.Random | None = None,
                 tick: Callable[[], object] | None = None) -> None:
        self.settings = settings
        self.journal_path = journal_path
        self._connect = connect
        self._report = report or (lambda status, message: None)
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        self._tick = tick or (lambda: None)
        self._conn: Any = None
        self._journal: Journal | None = None
        self._file: tuple[int, int, bool] | None = None
        self._head: Head | None = None
        self._failures = 0
        self._failing_since: float | None = None
        self._warned = False
        self.shipped = 0
        """Events shipped by this process (for logs and tests)."""

    def run(self, stop: threading.Event) -> None:
        """Ship until ``stop`` is set.

        Raises:
            CentralHistoryError: the journal and the central store disagree (exit status 3).
            CentralSchemaError: the central schema is newer than this uplink.
        """
        retryable = _retryable()
        try:
            while not stop.is_set():
                try:
                    count = self.step()
                except retryable as err:
                    self._wait(stop, self._failed(err))
                    continue
                except CallnextError as err:
                    # "code: detail" (runtime.messages words the code for staff).
                    self._report("fault", " ".join(f"central_stopped: {err}".split())[:200])
                    raise
                self._recovered()
                self._tick()
                if count == 0:
                    self._wait(stop, self.settings.poll_seconds)
        finally:
            self.close()

    def _wait(self, stop: threading.Event, seconds: float) -> None:
        """Wait ``seconds`` or until stopped, ticking at least once a second."""
        deadline = self._monotonic() + seconds
        while not stop.is_set():
            left = deadline - self._monotonic()
            if left <= 0:
                return
            stop.wait(min(left, 1.0))
            self._tick()

    def step(self) -> int:
        """One turn: (re)connect and check the resume point if needed, ship one batch.

        Returns:
            How many events were shipped (0: nothing new).
        """
        journal = self._open_journal()
        shipper = Shipper(self._connection(), self.settings.hall_id)
        if self._head is None:
            shipper.register(journal.hall_id)
            head = shipper.head()
            check_resume(journal, head, self.settings.hall_id)
            self._head = head
            log.info("hall %s: central store holds seq %d; shipping from there",
                     self.settings.hall_id, head.seq)
        rows = []
        chain = self._head.chain
        events = journal.events(after=self._head.seq)
        try:
            for stored in events:
                row = to_row(stored, chain, journal.epoch)
                rows.append(row)
                chain = row.chain
                if len(rows) >= self.settings.batch_size:
                    break
        finally:
            events.close()
        if not rows:
            return 0
        try:
            self._head = shipper.write(rows, self._head)
        except HeadMoved:
            self._head = None  # resume again from what the central store holds
            raise
        self.shipped += len(rows)
        log.debug("hall %s: shipped seq %d..%d", self.settings.hall_id, rows[0].seq, rows[-1].seq)
        return len(rows)

    def close(self) -> None:
        """Close the central connection and the journal (idempotent)."""
        self._drop_connection()
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    # --- internals ---------------------------------------------------------------------------

    def _open_journal(self) -> Journal:
        """The journal, opened again when its file was replaced or a writer appeared."""
        try:
            info = self.journal_path.stat()
        except FileNotFoundError as err:
            raise JournalError(f"no journal at {self.journal_path} yet (is the broker's data "
                               f"directory right, has the broker started?)") from err
        live = Path(f"{self.journal_path}-wal").exists()
        identity = (info.st_dev, info.st_ino, live)
        if self._journal is not None and identity != self._file:
            log.info("journal %s was replaced or its writer started: opening it again",
                     self.journal_path)
            self._journal.close()
            self._journal, self._head = None, None  # a replaced journal is checked again
        if self._journal is None:
            self._journal = Journal.open_read_only(self.journal_path)
            self._file = identity
        return self._journal

    def _connection(self) -> Any:
        if self._conn is None or self._conn.closed:
            self._head = None
            conn = self._connect()
            try:
                migrate(conn)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _drop_connection(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is gone
                log.debug("closing the central connection failed", exc_info=True)
            self._conn = None

    def _failed(self, err: BaseException) -> float:
        """Note a failure; returns how long to wait before the next attempt."""
        self._drop_connection()
        if isinstance(err, JournalError) and self._journal is not None:
            self._journal.close()
            self._journal = None
        now = self._monotonic()
        if self._failing_since is None:
            self._failing_since = now
            log.warning("hall %s: shipping paused: %s", self.settings.hall_id, err)
        else:
            log.debug("hall %s: still failing: %s", self.settings.hall_id, err)
        failing_s = now - self._failing_since
        if not self._warned and failing_s >= self.settings.health_after_seconds:
            self._warned = True
            message = f"nothing shipped to the central database for {failing_s:.0f} s: {err}"
            log.error("hall %s: %s", self.settings.hall_id, message)
            self._report("warning", " ".join(f"central_unreachable: {message}".split())[:200])
        delay = min(self.settings.backoff_max_seconds, BACKOFF_FIRST_S * 2 ** self._failures)
        self._failures = min(self._failures + 1, 32)
        return self._rng.uniform(delay / 2, delay)

    def _recovered(self) -> None:
        if self._failing_since is not None:
            log.info("hall %s: shipping again", self.settings.hall_id)
        if self._warned:
            self._report("ok", "")
        self._failures, self._failing_since, self._warned = 0, None, False

