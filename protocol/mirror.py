"""Node-side replica of the broker's public view (the zguide Clone pattern).

The mirror subscribes to the broker's events *first*, then asks for a
snapshot, then applies only events numbered after the snapshot. Anything
that shows the replica may be stale marks it lost and fetches a fresh
snapshot, with growing pauses between failed attempts:

* an event whose seq is not the next one (a gap: PUB drops messages to slow
  or reconnecting subscribers);
* a heartbeat announcing a seq beyond the last applied event;
* ``silence_s`` without any message (broker dead, or a half-open TCP link; the
  SUB socket is then replaced, since a half-open link never reconnects).

Listeners are called from whichever thread runs ``step`` (the mirror's own
thread after ``start``). UI code must hop to its own thread itself (Kivy:
``Clock.schedule_once``) and must not block the callback.
"""

from __future__ import annotations

import collections
import copy
import logging
import math
import threading
import time
from types import TracebackType
from typing import Any, Callable

import zmq
from pydantic import ValidationError

from protocol.broker_clock import BrokerClock
from protocol.client import RequestClient, SocketSetup
from protocol.envelope import Event, Heartbeat, decode_event
from protocol.errors import BrokerUnreachable, CommandRefused, ProtocolError
from protocol.feed import open_event_socket, parse_snapshot
from protocol.view import PublicView, merge_view

logger = logging.getLogger(__name__)

Listener = Callable[[str, Any], None]
"""``callback(kind, payload)``: ("event", Event), ("state", view), ("model", PublicView),
("connection", bool).

The "state" view and each ``Event``'s ``data`` and ``view`` are shared, not copied (the
view holds the event's parts): listeners must treat them as read-only. "model"
follows every "state" whose view parsed: the same view, typed (``protocol.view``)."""

_STALE_HEARTBEAT_S = 2.5  # beats come every 1 s; an older one cannot still be in flight
_MAX_BATCH = 1000  # messages handled per step, so one step stays bounded
_MAX_BUFFER = 10_000  # events kept while waiting for a snapshot; older ones are dropped


class StateMirror:
    """Keep a local copy of the broker's public view, current and gap-free.

    Drive it either with ``step`` (tests, or a loop you own) or with
    ``start``/``stop`` (a daemon thread calling ``step``); not both at once.

    Args:
        command_endpoint: the broker's command (ROUTER) endpoint, for snapshots.
        event_endpoint: the broker's event (PUB) endpoint.
        node: this node's id.
        silence_s: how long without any message (events or heartbeats) before
            the mirror counts as lost.
        context: the ZeroMQ context; by default the process-wide ``zmq.Context.instance()``.
        socket_setup: called on every new socket before it connects (CURVE keys);
            also passed to the internal request client.
        client: the request client for snapshots; by default one is made with
            a short timeout, since the mirror retries with its own backoff.
        monotonic: the clock for silence and backoff (injectable for tests).
        backoff_initial_s: pause before the first resnapshot after a loss;
            doubled for each further failure.
        backoff_max_s: the longest pause between snapshot attempts.
        poll_s: how long each ``step`` of the background thread waits for messages.
    """

    def __init__(self, command_endpoint: str, event_endpoint: str, node: str, *,
                 silence_s: float = 3.0, context: zmq.Context | None = None,
                 socket_setup: SocketSetup | None = None,
                 client: RequestClient | None = None,
                 monotonic: Callable[[], float] = time.monotonic,
                 backoff_initial_s: float = 0.1, backoff_max_s: float = 5.0,
                 poll_s: float = 0.2) -> None:
        if silence_s <= 0:
            raise ValueError(f"silence_s must be > 0, got {silence_s}")
        self.command_endpoint = command_endpoint
        self.event_endpoint = event_endpoint
        self.node = node
        self._silence_s = silence_s
        # Shared process-wide context by default, for the reason given in protocol.client.
        self._context: zmq.Context = zmq.Context.instance() if context is None else context
        self._socket_setup = socket_setup
        self._own_client = client is None
        self._client = client if client is not None else RequestClient(
            command_endpoint, node, timeout_ms=1000, retries=2, context=self._context,
            socket_setup=socket_setup)
        self._monotonic = monotonic
        self._backoff_initial_s = backoff_initial_s
        self._backoff_max_s = backoff_max_s
        self._poll_s = poll_s

        self._lock = threading.Lock()  # guards _view, _seq, _synced, _listeners
        self._view: dict[str, Any] = {}
        # The same view typed, parsed once per change (None until a snapshot parses).
        self._model: PublicView | None = None
        self._seq = 0
        self._epoch: str | None = None  # the journal history the view belongs to
        self._synced = False
        self._listeners: tuple[Listener, ...] = ()
        self._clock = BrokerClock(monotonic)

        # Everything below is touched only by the thread running step().
        self._sub: zmq.Socket | None = None
        # The step thread's own "view is current" flag; ``_synced`` is its public,
        # locked twin, raised only once a snapshot and its buffered events applied.
        self._synced_internal = False
        self._replaying = False
        self._buffer: collections.deque[Event] = collections.deque(maxlen=_MAX_BUFFER)
        self._last_message_at = 0.0
        self._synced_at = 0.0
        self._failures = 0
        self._next_snapshot_at = -math.inf
        self._dirty = False
        self._pending: list[tuple[str, Any]] = []
        self._warned: set[str] = set()
        self._snapshot_warned = False

        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._closed = False

    # --- public read access ------------------------------------------------------------------

    @property
    def view(self) -> dict[str, Any]:
        """A deep copy of the current public view (``{}`` before the first snapshot)."""
        with self._lock:
            return copy.deepcopy(self._view)

    @property
    def model(self) -> PublicView | None:
        """The current view, typed; None before the first snapshot, and while the view
        does not parse (logged). Frozen and shared: do not change it."""
        with self._lock:
            return self._model

    @property
    def seq(self) -> int:
        """The seq of the last event reflected in ``view``."""
        with self._lock:
            return self._seq

    @property
    def connected(self) -> bool:
        """True while the view is known to be current; False before the first
        snapshot and from a loss until the next successful snapshot."""
        with self._lock:
            return self._synced

    def broker_now(self) -> float | None:
        """The broker's time (epoch seconds) from its heartbeats and snapshots, run on with
        the monotonic clock (never this Pi's wall clock); None before the first one."""
        return self._clock.now()

    def state(self) -> tuple[int, dict[str, Any]]:
        """The seq and a deep copy of the view, read consistently together.

        Returns:
            ``(seq, view)``.
        """
        with self._lock:
            return self._seq, copy.deepcopy(self._view)

    def add_listener(self, callback: Listener) -> None:
        """Register ``callback(kind, payload)``.

        Kinds, in the order they happen within a step: ``"event"`` with the
        ``Event`` for each applied event; ``"state"`` with the new view after a
        snapshot or a batch of events, then ``"model"`` with the same view typed
        (``PublicView``, unless it did not parse); ``"connection"`` with the
        new ``connected`` value when it flips. Called from the mirror thread.
        A listener that raises is logged and does not stop the mirror.

        Args:
            callback: the function to call.
        """
        with self._lock:
            self._listeners = (*self._listeners, callback)

    def remove_listener(self, callback: Listener) -> None:
        """Unregister a listener added with ``add_listener``; unknown ones are ignored.

        Args:
            callback: the function to remove.
        """
        with self._lock:
            self._listeners = tuple(cb for cb in self._listeners if cb is not callback)

    # --- driving -----------------------------------------------------------------------------

    def step(self, timeout_s: float) -> None:
        """Do one round: snapshot if due, handle messages, check for silence.

        Waits up to ``timeout_s`` for the first message, then handles everything
        already queued and returns. A due snapshot request may add up to the
        request client's ``retries * timeout_ms``.

        Args:
            timeout_s: how long to wait for messages (0: don't wait).

        Raises:
            RuntimeError: the mirror is closed.
        """
        if self._closed:
            raise RuntimeError("StateMirror is closed")
        if self._sub is None:
            self._replace_sub()
        if not self._synced and self._monotonic() >= self._next_snapshot_at:
            self._resnapshot()
        self._pump(timeout_s)
        self._check_silence()
        self._flush()

    def start(self) -> None:
        """Run ``step`` in a daemon thread until ``stop``. Does nothing if running.

        Raises:
            RuntimeError: the mirror is closed.
        """
        if self._closed:
            raise RuntimeError("StateMirror is closed")
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=f"state-mirror-{self.node}",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread (waiting at most ``timeout_s``) and close the sockets.

        A stopped mirror cannot be started again.

        Args:
            timeout_s: the longest wait for the thread; it may be inside a
                snapshot request, which is itself bounded.
        """
        self._stopping.set()
        thread = self._thread
        if thread is not None:
            thread.join(timeout_s)
            if thread.is_alive():
                # Its sockets are still in use: leave them to the daemon thread's end.
                logger.warning("state mirror thread did not stop within %.1f s", timeout_s)
                return
            self._thread = None
        self.close()

    def close(self) -> None:
        """Close the sockets, the own request client and the own context. Idempotent.

        Call only when no thread is running ``step`` (``stop`` does this for you).
        """
        if self._closed:
            return
        self._closed = True
        if self._sub is not None:
            self._sub.close(linger=0)
            self._sub = None
        if self._own_client:
            self._client.close()
        self._set_synced(False)

    def __enter__(self) -> StateMirror:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # --- internals ---------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.step(self._poll_s)
            except Exception:  # noqa: BLE001 - the display must keep trying, not die
                logger.exception("state mirror step failed; retrying")
                self._stopping.wait(1.0)

    def _replace_sub(self) -> None:
        if self._sub is not None:
            self._sub.close(linger=0)
        self._sub = open_event_socket(self._context, self.event_endpoint, self._socket_setup)
        self._last_message_at = self._monotonic()

    def _backoff_s(self) -> float:
        return min(self._backoff_initial_s * 2 ** max(self._failures - 1, 0), self._backoff_max_s)

    def _schedule_snapshot(self) -> None:
        self._failures += 1
        self._next_snapshot_at = self._monotonic() + self._backoff_s()

    def _resnapshot(self) -> None:
        try:
            result = self._client.request("snapshot", {})
            seq, view = parse_snapshot(result)
        except (BrokerUnreachable, CommandRefused, ProtocolError) as err:
            # Warn once per outage; a display left without its broker for a night
            # must not fill the journal with the same line.
            level = logging.DEBUG if self._snapshot_warned else logging.WARNING
            self._snapshot_warned = True
            self._schedule_snapshot()
            logger.log(level, "snapshot failed (next try in %.1f s): %s", self._backoff_s(), err)
            return
        self._snapshot_warned = False
        self._clock.observe_reported(result.get("now"))
        model = self._parsed(lambda: PublicView.parse(view))
        with self._lock:
            self._view = view
            self._model = model
            self._seq = seq
        epoch = result.get("epoch")
        self._epoch = epoch if isinstance(epoch, str) else None
        self._dirty = True
        self._synced_internal = True
        self._last_message_at = self._synced_at = self._monotonic()
        logger.info("state mirror synchronised at seq %d", seq)
        buffered = list(self._buffer)
        self._buffer.clear()
        # Events that arrived while the snapshot was pending are applied before
        # anyone hears of the new state, so a gap among them does not flash
        # "connected" (or a half-updated view) for an instant.
        self._replaying = True
        try:
            for event in buffered:
                if not self._apply(event):
                    return
        finally:
            self._replaying = False
        self._emit_state()
        self._set_synced(True)

    def _pump(self, timeout_s: float) -> None:
        sub = self._sub
        if sub is None:
            return
        # Ask the socket (a getsockopt, which keeps the GIL) before any call that releases
        # it: a poll, or a receive that finds nothing. In a process holding many mirrors
        # (the hall bench) each release wakes another mirror's thread, and a wake-up cost
        # more CPU than decoding and applying an event (8 % less CPU per event, 17 mirrors).
        if not _readable(sub) and not sub.poll(max(int(timeout_s * 1000), 0), zmq.POLLIN):
            return
        for _ in range(_MAX_BATCH):
            try:
                frames = sub.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            self._on_message(frames)
            if not _readable(sub):
                break
        self._emit_state()

    def _on_message(self, frames: list[bytes]) -> None:
        try:
            message = decode_event(frames)
        except ProtocolError as err:
            # Dropping it is safe: if it was an event, the next one shows a gap.
            level = logging.DEBUG if err.code in self._warned else logging.WARNING
            self._warned.add(err.code)
            logger.log(level, "ignoring a malformed event message: %s", err)
            return
        self._last_message_at = self._monotonic()
        if isinstance(message, Heartbeat):
            self._clock.observe(message.at)
            self._on_heartbeat(message)
        elif self._synced_internal:
            self._apply(message)
        else:
            self._buffer.append(message)

    def _on_heartbeat(self, heartbeat: Heartbeat) -> None:
        if not self._synced_internal:
            return
        if None not in (heartbeat.epoch, self._epoch) and heartbeat.epoch != self._epoch and \
                self._monotonic() - self._synced_at > _STALE_HEARTBEAT_S:
            # A new epoch is a new journal history (restored, replaced, rolled back):
            # even at the same seq everything we hold may be wrong.
            self._lose(f"the broker's journal changed history (epoch {heartbeat.epoch}, "
                       f"was {self._epoch})")
            return
        if heartbeat.seq > self._seq:
            self._lose(f"the broker is at seq {heartbeat.seq} but the last event received "
                       f"was {self._seq}")
        elif heartbeat.seq == self._seq:
            self._failures = 0
        elif self._monotonic() - self._synced_at > _STALE_HEARTBEAT_S:
            # Heartbeats come every second: one sent before the snapshot cannot still be
            # arriving now. The broker's seq went back, so its journal was replaced or
            # restored and everything we hold may be wrong.
            self._lose(f"the broker is back at seq {heartbeat.seq}, behind the {self._seq} "
                       "already applied (journal replaced or restored?)")
        # Otherwise a lower seq is a heartbeat sent before the snapshot was taken: stale.

    def _apply(self, event: Event) -> bool:
        """Apply one event in order; False when it revealed a gap (and the mirror is lost)."""
        if event.seq <= self._seq:
            return True  # already part of the snapshot
        if event.seq != self._seq + 1:
            self._lose(f"expected event seq {self._seq + 1}, got {event.seq}")
            return False
        # The event was decoded for this mirror alone and listeners get it read-only
        # (like the "state" view), so its parts go into the view without a copy.
        view = merge_view(self._view, event.view, copy_partial=False)
        current = self._model
        # Only the changed parts are parsed; after a view that did not parse, the whole.
        model = self._parsed(lambda: PublicView.parse(view) if current is None
                             else current.merged(event.view))
        with self._lock:
            self._view = view
            self._model = model
            self._seq = event.seq
        self._dirty = True
        self._failures = 0
        self._pending.append(("event", event))
        return True

    def _lose(self, reason: str) -> None:
        logger.warning("state mirror lost sync, fetching a new snapshot: %s", reason)
        self._synced_internal = False
        self._buffer.clear()
        self._schedule_snapshot()
        self._emit_state()
        self._set_synced(False)

    def _check_silence(self) -> None:
        now = self._monotonic()
        if now - self._last_message_at <= self._silence_s:
            return
        if self._synced_internal:
            self._lose(f"no message from the broker for more than {self._silence_s:g} s")
        else:
            logger.debug("still no message from %s; replacing the SUB socket", self.event_endpoint)
        self._replace_sub()

    def _emit_state(self) -> None:
        if self._dirty and not self._replaying:
            self._dirty = False
            # merge_view never changes a view it was given (it builds new dicts), so
            # the current view can be handed out as is; a deep copy per batch cost
            # 1.5 ms on a 200-counter hall and dominated a display's CPU.
            with self._lock:
                view, model = self._view, self._model
            self._pending.append(("state", view))
            if model is not None:
                self._pending.append(("model", model))

    def _parsed(self, parse: Callable[[], PublicView]) -> PublicView | None:
        """The typed view, or None (logged) when the broker sent a part it cannot read;
        the dict view goes on regardless, and the next change tries again."""
        try:
            return parse()
        except ValidationError as err:
            level = logging.DEBUG if "view" in self._warned else logging.WARNING
            self._warned.add("view")
            logger.log(level, "the typed view is unavailable: %s", err)
            return None

    def _set_synced(self, value: bool) -> None:
        with self._lock:
            changed = self._synced != value
            self._synced = value
        if changed:
            self._pending.append(("connection", value))

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        listeners = self._listeners
        for kind, payload in pending:
            for callback in listeners:
                try:
                    callback(kind, payload)
                except Exception:  # noqa: BLE001 - a UI bug must not stop the mirror
                    logger.exception("state mirror listener %r failed on %r", callback, kind)


def _readable(sub: zmq.Socket) -> bool:
    """A message is queued on ``sub`` (ZMQ_EVENTS: a getsockopt, no wait)."""
    return bool(sub.getsockopt(zmq.EVENTS) & zmq.POLLIN)
