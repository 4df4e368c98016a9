"""Composition root of the display node: mirror → presenter (screen) and announcer (voice).

``DisplayCore`` is the whole node without Kivy: it listens to the state
mirror, queues every call of its zone for the announcer, catches up on calls
made while it was disconnected, and tells the screen when to redraw.
``run_display`` wires it to real sockets, espeak-ng, the configured audio
output and the Kivy window.
"""

from __future__ import annotations

import collections
import functools
import logging
import threading
import time
from typing import Any, Callable

from config.display_node import DisplayNode
from config.schema import Hall
from display.announcer import AnnouncementRenderer, Announcer, CallRequest
from display.presenter import Board, BoardPresenter
from foundation.errors import CallnextError
from hw.audio import AplayAudio, AudioOut, WavDirAudio
from hw.speech import EspeakSpeech
from protocol.envelope import Event
from protocol.mirror import StateMirror
from protocol.view import PublicView
from runtime.node import NodeRuntime
from runtime.security import NodeSecurity
from runtime.voice import VoiceKind, build_voice

logger = logging.getLogger(__name__)

_HEARD_KEPT = 500  # call keys remembered for de-duplication; the broker lists only 10


class DisplayError(CallnextError):
    """The display cannot start: an unknown audio backend."""


AUDIO = "audio"
"""The health component of the display's speakers."""


class DisplayCore:
    """The display node minus Kivy: mirror listener, board, announcements.

    Args:
        hall: the hall.
        node: this display's settings.
        mirror: the state mirror (started and stopped by the caller).
        announcer: the announcer (None: a silent display).
        broker_now: the broker's time for the board's clock (default: the mirror's).
        monotonic: for the flash.
    """

    def __init__(self, hall: Hall, node: DisplayNode, mirror: StateMirror,
                 announcer: Announcer | None, *,
                 broker_now: Callable[[], float | None] | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.hall = hall
        self.node = node
        self.mirror = mirror
        self.announcer = announcer
        self.presenter = BoardPresenter(hall, node)
        self._broker_now = mirror.broker_now if broker_now is None else broker_now
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._view: PublicView | None = None
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
        now = self._broker_now()
        if now is None:
            # The broker was never heard: the board says "connecting", and only until then
            # does the clock come from this machine.
            now = time.time()
        return self.presenter.present(view, connected, now, self._monotonic())

    @property
    def view(self) -> PublicView | None:
        """The last view the display received, typed (None before the first snapshot)."""
        with self._lock:
            return self._view

    # --- mirror thread -----------------------------------------------------------------------

    def _on_mirror(self, kind: str, payload: Any) -> None:
        if kind == "event" and isinstance(payload, Event):
            self._on_event(payload)
        elif kind == "model" and isinstance(payload, PublicView):
            with self._lock:
                self._view = payload
            self.state_updated_at = self._monotonic()
        elif kind == "connection":
            self._on_connection(bool(payload))
        if self._changed is not None and kind in ("model", "connection"):
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
        self._announce(CallRequest(ticket, counter, recall=event.type == "recalled", at=event.at,
                                   slow=event.data.get("slow") is True))

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
        calls = view.recent_calls if view is not None else ()
        if first:
            # Calls made before this display started were announced already (or are old news).
            for call in calls:
                self._remember((call.ticket, call.counter, call.at))
            return
        # Back after an outage: speak the zone's calls made meanwhile, oldest first.
        for call in reversed(calls):
            if call.at > self._lost_after and self.presenter.shows(call.counter):
                self._announce(CallRequest(call.ticket, call.counter, recall=call.recall,
                                           at=call.at))
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


def build_renderer(hall: Hall, node: DisplayNode, languages: tuple[str, ...] | None = None,
                   kind: VoiceKind | None = None) -> AnnouncementRenderer:
    """The configured voice (clip pack or espeak-ng) in the announcement renderer.

    espeak-ng is required: it is the voice, or says the words a pack lacks.

    Args:
        hall: the hall.
        node: this display.
        languages: override the configured languages.
        kind: force ``clips`` or ``espeak``.

    Raises:
        SpeechError: espeak-ng or the voice of a language without a pack is missing.
        PackError: the configured voice pack is broken.
    """
    speech = EspeakSpeech()
    voice = build_voice(node.speech, speech, languages, kind)
    wanted = languages or node.speech.languages
    # A letter is said by the English voice even in a Chinese sentence.
    needed = {node.speech.voices.of(lang) for lang in (*wanted, "en")
              if lang == "en" or lang not in voice.packs}
    speech.check_voices(sorted(needed))
    return AnnouncementRenderer(hall, node.speech, speech, voice)


def run_display(hall: Hall, node: DisplayNode, security: NodeSecurity) -> int:
    """Run the display node until its window is closed.

    Args:
        hall: the hall's configuration.
        node: this display's settings.
        security: CURVE keys for its broker sockets (or an insecure broker).

    Returns:
        The exit status.
    """
    from display.ui import run_window

    runtime = NodeRuntime.open(hall, node.id, security, timeout_ms=1000, retries=2)
    try:
        announcer: Announcer | None = None
        if node.speech.enabled:
            renderer = build_renderer(hall, node)
            announcer = Announcer(renderer.render, build_audio(node), repeat=node.speech.repeat,
                                  pileup_threshold=node.speech.pileup_threshold,
                                  on_health=functools.partial(runtime.health.report, AUDIO))
        core = DisplayCore(hall, node, runtime.mirror, announcer, broker_now=runtime.broker_now)
        runtime.start()
        if announcer is not None:
            announcer.start()
        logger.info("display %s: broker %s, zone %s", node.id, runtime.client.endpoint,
                    sorted(core.presenter.zone))
        try:
            run_window(core, node)
        finally:
            if announcer is not None:
                announcer.stop()
    finally:
        runtime.close()
    return 0
