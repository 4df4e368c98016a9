"""sd_notify: tell systemd a service is ready, alive and what it is doing.

The protocol is one datagram of ``KEY=VALUE`` lines to the AF_UNIX socket named
in ``$NOTIFY_SOCKET`` (a leading ``@`` means the abstract namespace). With
``Type=notify`` systemd waits for ``READY=1``; with ``WatchdogSec=`` it restarts
the service when ``WATCHDOG=1`` stops arriving for that long. Outside systemd
(``NOTIFY_SOCKET`` unset) every call is a harmless no-op returning False, so
nodes call it unconditionally.

Usage in a main loop::

    notify(ready=True, status="serving")
    dog = Watchdog()
    while running:
        ...
        dog.pet()        # sends WATCHDOG=1 at most every half interval
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Callable, Mapping

logger = logging.getLogger(__name__)


def _address(environ: Mapping[str, str]) -> str | None:
    path = environ.get("NOTIFY_SOCKET", "")
    if not path:
        return None
    if path.startswith("@"):
        return "\0" + path[1:]
    return path


def notify(*, ready: bool = False, status: str | None = None, watchdog: bool = False,
           stopping: bool = False, environ: Mapping[str, str] | None = None) -> bool:
    """Send one notification to systemd.

    Args:
        ready: ``READY=1``: start-up finished (config loaded, hardware opened).
        status: ``STATUS=...``: one line shown by ``systemctl status``.
        watchdog: ``WATCHDOG=1``: the main loop is alive.
        stopping: ``STOPPING=1``: a clean shutdown began.
        environ: the environment to read (``os.environ`` by default).

    Returns:
        True if a datagram was sent; False when not under systemd, nothing was
        asked, or the socket failed (logged, never raised: a notify failure
        must not take a node down).
    """
    env = os.environ if environ is None else environ
    address = _address(env)
    if address is None:
        return False
    lines = []
    if ready:
        lines.append("READY=1")
    if stopping:
        lines.append("STOPPING=1")
    if watchdog:
        lines.append("WATCHDOG=1")
    if status is not None:
        # One line only: a newline would start a new (unintended) assignment.
        lines.append("STATUS=" + " ".join(status.splitlines()))
    if not lines:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.connect(address)
            sock.sendall(("\n".join(lines) + "\n").encode("utf-8"))
    except OSError as err:
        logger.warning("sd_notify to %s failed: %s", env.get("NOTIFY_SOCKET"), err)
        return False
    return True


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """The systemd watchdog timeout for this process, in seconds.

    Args:
        environ: the environment to read (``os.environ`` by default).

    Returns:
        ``WATCHDOG_USEC`` in seconds, or None when no watchdog is set or it is
        meant for another process (``WATCHDOG_PID`` differs from ours).
    """
    env = os.environ if environ is None else environ
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if pid and pid != str(os.getpid()):
        return None
    try:
        value = int(usec)
    except ValueError:
        return None
    return value / 1_000_000 if value > 0 else None


class Watchdog:
    """Send ``WATCHDOG=1`` from a loop, at most every half watchdog interval.

    Args:
        environ: the environment to read (``os.environ`` by default).
        monotonic: the clock (injectable for tests).
    """

    def __init__(self, environ: Mapping[str, str] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._environ = os.environ if environ is None else environ
        interval = watchdog_interval(self._environ)
        self.period_s: float | None = None if interval is None else interval / 2
        self._monotonic = monotonic
        self._next = float("-inf")

    def pet(self) -> bool:
        """Send a keep-alive if one is due.

        Returns:
            True if a datagram was sent now.
        """
        if self.period_s is None:
            return False
        now = self._monotonic()
        if now < self._next:
            return False
        self._next = now + self.period_s
        return notify(watchdog=True, environ=self._environ)
