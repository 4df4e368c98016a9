"""Tell the broker how this node's parts are (printer, audio, ...), so staff hear of it first.

One ``HealthReporter`` per node. It keeps, per component, the newest status
wanted and the last one the broker took: only changes are sent, a report the
broker could not be reached for is sent again, and nothing grows with time
(two small maps keyed by the node's few components).

Started, it sends from its own thread and ``report`` never blocks (the UI and
the announcer call it). Not started, ``report`` sends on the calling thread and
an undelivered report goes out with the next ``report`` or ``flush``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from protocol.errors import BrokerUnreachable, CommandRefused, ProtocolError

logger = logging.getLogger(__name__)

Report = tuple[str, str]
"""``(status, message)``: status ``ok``, ``warning`` or ``fault``."""


Send = Callable[[str, dict[str, Any]], Any]
"""``send(op, args)``: a blocking request (``RequestClient.request``)."""


class HealthReporter:
    """Reports each component's health to the broker (``report_health``).

    Args:
        send: the request function (``RequestClient.request``); once started, only the
            reporter's thread calls it.
        retry_s: pause before sending again after the broker could not be reached.
    """

    def __init__(self, send: Send, *, retry_s: float = 2.0) -> None:
        self._send_request = send
        self._retry_s = retry_s
        self._wake = threading.Condition()
        self._send_lock = threading.Lock()  # one report on the wire at a time
        self._wanted: dict[str, Report] = {}
        self._done: dict[str, Report] = {}
        self._stopping = False
        self._thread: threading.Thread | None = None

    def report(self, component: str, status: str, message: str = "") -> None:
        """Want ``status`` known for ``component`` (replacing any unsent report of it)."""
        with self._wake:
            self._wanted[component] = (status, message)
            self._wake.notify_all()
            threaded = self._thread is not None
        if not threaded:
            self.flush()

    def delivered(self, component: str) -> Report | None:
        """The last report of ``component`` the broker took (or refused for good), or None."""
        with self._wake:
            return self._done.get(component)

    def flush(self) -> bool:
        """Send every report that differs from the last one delivered, on this thread.

        Returns:
            True when nothing is left to send; False when the broker was unreachable.
        """
        with self._send_lock:
            for component, wanted in self._due():
                if not self._send(component, wanted):
                    return False
        return True

    def start(self) -> None:
        """Send from a thread of its own from now on (idempotent)."""
        with self._wake:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="health-reporter",
                                            daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread (an unsent report is dropped); returns once it ended or timed out."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout_s)

    # --- internals ---------------------------------------------------------------------------

    def _due(self) -> list[tuple[str, Report]]:
        with self._wake:
            return [(component, wanted) for component, wanted in self._wanted.items()
                    if self._done.get(component) != wanted]

    def _send(self, component: str, wanted: Report) -> bool:
        status, message = wanted
        try:
            self._send_request("report_health", {"component": component, "status": status,
                                                   "message": message})
        except BrokerUnreachable as err:
            logger.warning("%s health %s not reported yet: %s", component, status, err)
            return False
        except (CommandRefused, ProtocolError) as err:
            # Sending it again would be refused again: it waits for the next change.
            logger.error("the broker refused the %s health report: %s", component, err)
        else:
            logger.info("%s health reported: %s %s", component, status, message)
        with self._wake:
            self._done[component] = wanted
        return True

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._stopping and not any(
                        self._done.get(c) != w for c, w in self._wanted.items()):
                    self._wake.wait()
                if self._stopping:
                    return
            if not self.flush():
                with self._wake:
                    if not self._stopping:
                        self._wake.wait(self._retry_s)
