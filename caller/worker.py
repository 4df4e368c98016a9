"""The command worker: GPIO callbacks hand presses over and return at once.

A request to the broker can take seconds when the link is bad, and a GPIO
callback that blocks stalls every other button. ``submit`` therefore only
checks and enqueues; one worker thread sends, in press order.

Rules a clerk can rely on:

* While a press of a button is queued or in flight, further presses of the
  same button are no-ops (``SubmitResult.IN_FLIGHT``) until it is answered.
* Nothing is queued for later while the broker is unreachable: a press made
  while the link is down is refused at once (``OFFLINE``), and a press that
  waited longer than ``stale_s`` behind others is dropped, not sent late. A
  stale CALL NEXT is worse than none; the red LED says so and the clerk
  presses again.
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from foundation.errors import CallnextError
from protocol.errors import BrokerUnreachable, CommandRefused

logger = logging.getLogger(__name__)

Send = Callable[[str, dict[str, Any]], dict[str, Any]]
"""``send(op, args) -> result``; raises CommandRefused / BrokerUnreachable (RequestClient.request)."""


class SubmitResult(enum.Enum):
    """What ``submit`` did with a press."""

    QUEUED = "queued"
    IN_FLIGHT = "in_flight"
    """The same button's previous press is not answered yet: this one is a no-op."""
    OFFLINE = "offline"
    """The broker is unreachable: nothing was queued."""
    STOPPED = "stopped"


@dataclass(frozen=True)
class Command:
    """One press turned into a broker command."""

    key: str
    """The button it came from; at most one command per key is in flight."""
    op: str
    args: dict[str, Any] = field(hash=False)
    pressed_at: float = 0.0


@dataclass(frozen=True)
class Outcome:
    """How a command ended.

    Attributes:
        command: the command.
        status: ``ok``, ``refused`` (the broker said no), ``unreachable`` (no
            reply), ``stale`` (waited too long, not sent) or ``error``.
        result: the broker's result when ``ok``.
        code: the refusal's error code when ``refused``.
        message: a human-readable explanation when not ``ok``.
        params: the refusal's parameters when ``refused`` (for the message catalogue).
        answered_at: monotonic seconds when the outcome was known.
    """

    command: Command
    status: str
    result: dict[str, Any] | None = None
    code: str | None = None
    message: str = ""
    answered_at: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)


class CommandWorker:
    """Send presses to the broker from one background thread.

    Args:
        send: the blocking request function (``RequestClient.request``).
        link_ok: whether the broker is currently reachable (the state mirror's
            ``connected``); a press while it is False is refused, not queued.
        on_done: called on the worker thread with each ``Outcome``; keep it short.
        monotonic: the clock for staleness.
        stale_s: a command that waited longer than this before sending is dropped.
    """

    def __init__(self, send: Send, *, link_ok: Callable[[], bool],
                 on_done: Callable[[Outcome], None],
                 monotonic: Callable[[], float] = time.monotonic,
                 stale_s: float = 1.0) -> None:
        self._send = send
        self._link_ok = link_ok
        self._on_done = on_done
        self._monotonic = monotonic
        self._stale_s = stale_s
        self._queue: queue.Queue[Command | None] = queue.Queue()
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._idle = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._stopped = False

    def submit(self, key: str, op: str, args: dict[str, Any]) -> SubmitResult:
        """Hand a press over without blocking.

        Args:
            key: the button it came from.
            op: the broker op.
            args: the op's args.

        Returns:
            What happened to it (see ``SubmitResult``).
        """
        with self._lock:
            if self._stopped:
                return SubmitResult.STOPPED
            if key in self._pending:
                logger.debug("press of %s ignored: the previous one is not answered yet", key)
                return SubmitResult.IN_FLIGHT
            if not self._link_ok():
                logger.info("press of %s not sent: the broker is unreachable", key)
                return SubmitResult.OFFLINE
            self._pending.add(key)
        self._queue.put(Command(key, op, dict(args), self._monotonic()))
        return SubmitResult.QUEUED

    def busy(self, key: str) -> bool:
        """Whether a press of ``key`` is queued or in flight.

        Args:
            key: the button.

        Returns:
            True while unanswered.
        """
        with self._lock:
            return key in self._pending

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until nothing is queued or in flight (tests and benchmarks).

        Args:
            timeout_s: the longest wait.

        Returns:
            True if idle, False on timeout.
        """
        with self._idle:
            return self._idle.wait_for(lambda: not self._pending, timeout=timeout_s)

    def start(self) -> None:
        """Start the worker thread (idempotent)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="caller-commands",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop taking presses and end the thread after the current command.

        Args:
            timeout_s: how long to wait for the thread.
        """
        with self._lock:
            self._stopped = True
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            command = self._queue.get()
            if command is None:
                return
            outcome = self._execute(command)
            try:
                self._on_done(outcome)
            except Exception:  # a broken listener must not end the worker
                logger.exception("outcome handler failed for %s", command.op)
            # Released only after on_done, so wait_idle() sees the outcome handled.
            with self._idle:
                self._pending.discard(command.key)
                self._idle.notify_all()

    def _execute(self, command: Command) -> Outcome:
        waited = self._monotonic() - command.pressed_at
        if waited > self._stale_s:
            logger.warning("%s dropped: it waited %.1f s (the broker was slow); press again",
                           command.op, waited)
            return Outcome(command, "stale", message=f"waited {waited:.1f} s, not sent",
                           answered_at=self._monotonic())
        if not self._link_ok():
            return Outcome(command, "unreachable", message="the broker is unreachable",
                           answered_at=self._monotonic())
        try:
            result = self._send(command.op, command.args)
        except CommandRefused as err:
            logger.info("%s refused: %s", command.op, err)
            return Outcome(command, "refused", code=err.code, message=err.message,
                           answered_at=self._monotonic(), params=err.params)
        except BrokerUnreachable as err:
            logger.warning("%s: %s", command.op, err)
            return Outcome(command, "unreachable", message=str(err),
                           answered_at=self._monotonic())
        except CallnextError as err:
            logger.error("%s failed: %s", command.op, err)
            return Outcome(command, "error", message=str(err), answered_at=self._monotonic())
        return Outcome(command, "ok", result=result, answered_at=self._monotonic())
