"""Composition root of the display node: mirror → presenter (screen) and announcer (voice).

``DisplayCore`` is the whole node without Kivy: it listens to the state
mirror, queues every call of its zone for the announcer, catches up on calls
made while it was disconnected, and tells the screen when to redraw.
``run_display`` wires it to real sockets, espeak-ng, the configured audio
output and the Kivy window.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any, Callable

import zmq

from foundation.errors import CallnextError
from config.display_node import DisplayNode
from config.schema import Hall
from display.announcer import AnnouncementRenderer, Announcer, CallRequest
from display.presenter import Board, BoardPresenter
from hw.audio import AplayAudio, AudioOut, WavDirAudio
from hw.speech import EspeakSpeech
from protocol.client import RequestClient
from protocol.envelope import Event
from protocol.errors import BrokerUnreachable, CommandRefused, ProtocolError
from protocol.mirror import StateMirror

logger = logging.getLogger(__name__)

_HEARD_KEPT = 500  # call keys remembered for de-duplication; the broker lists only 10


class DisplayError(CallnextError):
    """The display cannot start: unknown node, a counter not in the hall, missing parts."""


def find_node(hall: Hall, node_id: str | None) -> DisplayNode:
    """The ``[[displays]]`` entry of this node, checked against the hall.

    Args:
        hall: the hall.
        node_id: the node's id; None takes the only display configured, or
            built-in defaults (id "display") when none is.

    Raises:
        DisplayError: unknown id, or a zone naming counters the hall lacks.
    """
    if node_id is None:
        if len(hall.displays) > 1:
            raise DisplayError("the hall has several displays; choose one with --node "
                               f"({', '.join(d.id for d in hall.displays)})")
        node = hall.displays[0] if hall.displays else DisplayNode(id="display")
    else:
        matches = [d for d in hall.displays if d.id == node_id]
        if not matches:
            known = ", ".join(d.id for d in hall.displays) or "none"
            raise DisplayError(f"no [[displays]] entry with id = {node_id!r} in the hall file "
                               f"(configured: {known})")
        node = matches[0]
    numbers = {c.number for c in hall.counters}
    unknown = [n for n in node.counters if n not in numbers]
    if unknown:
        raise DisplayError(f"display {node.id!r} lists counters {unknown} that the hall does not "
                           f"have (counters: {sorted(numbers)})")
    return node


class HealthReporter:
    """Sends the latest audio health to the broker from its own thread.

    Only the newest status matters; it is retried until the broker takes it,
    so a fault found while the broker is away is reported when it is back.

    Args:
        client: the request client (its own: used only from this thread, closed by ``stop``).
        component: the health component name.
        retry_s: pause after the broker could not be reached.
    """

    def __init__(self, client: RequestClient, component: str = "audio",
                 retry_s: float = 2.0) -> None:
        self._client = client
        self._component = component
        self._retry_s = retry_s
        self._latest: tuple[str, str] | None = None
        self._wake = threading.Condition()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="health-reporter", daemon=True)
        self.sent: list[tuple[str, str]] = []

    def start(self) -> None:
        """Start the sending thread."""
        self._thread.start()

    def report(self, status: str, message: str) -> None:
        """Queue a status (replacing any unsent one); never blocks."""
        with self._wake:
            self._latest = (status, message)
            self._wake.notify_all()

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop the thread and close the client; an unsent status is dropped."""
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        if not self._thread.is_alive():
            # An unclosed client's context blocks in term() when garbage-collected.
            self._client.close()

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._latest is None and not self._stopping:
                    self._wake.wait()
                if self._stopping:
                    return
                status, message = self._latest  # type: ignore[misc]
                self._latest = None
            try:
                self._client.request("report_health", {
                    "component": self._component, "status": status, "message": message})
                self.sent.append((status, message))
                logger.info("reported %s health %s", self._component, status)
            except BrokerUnreachable:
                with self._wake:
                    if self._latest is None:
                        self._latest = (status, message)
                    self._wake.wait(self._retry_s)
            except (CommandRefused, ProtocolError) as err:
                logger.error("the broker refused the %s health report: %s", self._component, err)


class DisplayCore:
    """The display node minus Kivy: mirror listener, board, announcements.

    Args:
        hall: the hall.
        node: this display's settings.
        mirror: the state mirror (started and stopped by the caller).
        announcer: the announcer (None: a silent display).
        wall_clock: epoch seconds, for the board's clock.
        monotonic: for the flash.
    """

    def __init__(self, hall: Hall, node: DisplayNode, mirror: StateMirror,
                 announcer: Announcer | None, *,
                 wall_clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.hall = hall
        self.node = node
        self.mirror = mirror
        self.announcer = announcer
        self.presenter = BoardPresenter(hall, node)
        self._wall_clock = wall_clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._view: dict[str, Any] = {}
        self._connected = False
        self._ever_connected = False
        self._lost_after = -1.0
        self._heard: collections.OrderedDict[tuple[str, int, float], None] = (
            collections.OrderedDict())
        self._changed: Callable[[], None] | None = None
        self.state_updated_at: float | None = None
        mirror.add_listener(self._on_mirror)

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` (from the mirror thread) whenever the board may have changed."""
        self._changed = callback

    def board(self) -> Board:
        """The board to show now."""
        with self._lock:
            view, connected = self._view, self._connected
        return self.presenter.present(view, connected, self._wall_clock(), self._monotonic())

    @property
    def view(self) -> dict[str, Any]:
        """The last view the display received (not a copy: do not modify)."""
        with self._lock:
            return self._view

    # --- mirror thread -----------------------------------------------------------------------

    def _on_mirror(self, kind: str, payload: Any) -> None:
        if kind == "event" and isinstance(payload, Event):
            self._on_event(payload)
        elif kind == "state":
            with self._lock:
                self._view = payload
            self.state_updated_at = self._monotonic()
        elif kind == "connection":
            self._on_connection(bool(payload))
        if self._changed is not None and kind in ("state", "connection"):
            self._changed()

    def _on_event(self, event: Event) -> None:
        if event.type not in ("called", "recalled"):
            return
        ticket = event.data.get("ticket")
        counter = event.data.get("counter")
        if not isinstance(ticket, str) or not isinstance(counter, int):
            logger.warning("ignoring a %s event without ticket/counter: %r", event.type, event.data)
            return
        if not self.presenter.shows(counter):
            return
        self._announce(CallRequest(ticket, counter, recall=event.type == "recalled", at=event.at))

    def _on_connection(self, connected: bool) -> None:
        with self._lock:
            self._connected = connected
            view = self._view
            first = not self._ever_connected
            self._ever_connected = self._ever_connected or connected
        if not connected:
            # Calls made from now on may be missed: remember where hearing stopped.
            self._lost_after = max((key[2] for key in self._heard), default=-1.0)
            logger.warning("connection to the broker lost; showing the last known state greyed")
            return
        calls = [c for c in view.get("recent_calls", []) if isinstance(c, dict)]
        if first:
            # Calls made before this display started were announced already (or are old news).
            for call in calls:
                self._remember((str(call.get("ticket")), int(call.get("counter", 0)),
                                float(call.get("at") or 0.0)))
            return
        # Back after an outage: speak the zone's calls made meanwhile, oldest first.
        for call in reversed(calls):
            counter = int(call.get("counter", 0))
            at = float(call.get("at") or 0.0)
            if at > self._lost_after and self.presenter.shows(counter):
                self._announce(CallRequest(str(call.get("ticket")), counter,
                                           recall=bool(call.get("recall")), at=at))
        logger.info("reconnected to the broker; state resynchronised")

    def _announce(self, request: CallRequest) -> None:
        key = (request.ticket, request.counter, request.at)
        if key in self._heard:
            return
        self._remember(key)
        if self.announcer is not None:
            self.announcer.submit(request)

    def _remember(self, key: tuple[str, int, float]) -> None:
        self._heard[key] = None
        while len(self._heard) > _HEARD_KEPT:
            self._heard.popitem(last=False)


def build_audio(node: DisplayNode) -> AudioOut:
    """The configured audio output (never a silent fallback).

    Raises:
        AudioError: the backend's program or folder is unusable.
    """
    audio = node.speech.audio
    if audio.backend == "aplay":
        return AplayAudio(audio.device)
    if audio.backend == "wav_dir" and audio.wav_dir:
        return WavDirAudio(audio.wav_dir)
    raise DisplayError(f"unknown audio backend {audio.backend!r}")


def build_renderer(hall: Hall, node: DisplayNode) -> AnnouncementRenderer:
    """espeak-ng with the configured voices checked, wrapped in the announcement renderer.

    Raises:
        SpeechError: espeak-ng or a voice is missing.
    """
    speech = EspeakSpeech()
    voices = [node.speech.voices.zh if lang == "zh" else node.speech.voices.en
              for lang in node.speech.languages]
    speech.check_voices(voices)
    return AnnouncementRenderer(hall, node.speech, speech)


def run_display(hall: Hall, node: DisplayNode,
                socket_setup: Callable[[zmq.Socket], None] | None = None) -> int:
    """Run the display node until its window is closed.

    Args:
        hall: the hall's configuration.
        node: this display's settings.
        socket_setup: CURVE keys for its broker sockets (None: insecure broker).

    Returns:
        The exit status.
    """
    from display.ui import run_window

    command_ep, event_ep = hall.broker.command_endpoint(), hall.broker.event_endpoint()
    reporter = HealthReporter(RequestClient(command_ep, node.id, timeout_ms=1000, retries=2,
                                            socket_setup=socket_setup))
    announcer: Announcer | None = None
    if node.speech.enabled:
        renderer = build_renderer(hall, node)
        announcer = Announcer(renderer.render, build_audio(node), repeat=node.speech.repeat,
                              pileup_threshold=node.speech.pileup_threshold,
                              on_health=reporter.report)
    mirror = StateMirror(command_ep, event_ep, node.id, socket_setup=socket_setup)
    core = DisplayCore(hall, node, mirror, announcer)
    reporter.start()
    if announcer is not None:
        announcer.start()
    mirror.start()
    logger.info("display %s: broker %s, zone %s", node.id, command_ep,
                sorted(core.presenter.zone))
    try:
        run_window(core, node)
    finally:
        mirror.stop()
        if announcer is not None:
            announcer.stop()
        reporter.stop()
    return 0
