"""Server-sent events: the mirror's view changes fanned out to every open console page.

The mirror calls its listeners from its own thread. ``ViewFeed`` turns what it hears into
ready-made SSE frames there (one JSON encoding per language, not one per page) and hands
them to the asyncio loop with ``loop.call_soon_threadsafe``; ``Hub.publish`` then puts the
same frame on every page's queue. A page that falls behind gets only the newest view (it
says everything the older ones said); alerts are kept in order.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from config.schema import Hall
from protocol.events import Event
from runtime.messages import alert_text

logger = logging.getLogger(__name__)

LANGUAGES = ("zh", "en")
QUEUE_FRAMES = 16
"""Frames a page may be behind before its older view frames are dropped."""
KEEPALIVE_S = 15.0
"""A comment line this often keeps proxies and the browser from closing an idle stream."""
MAX_PAGES = 500
"""Open event streams at most; a hall has tens of staff PCs."""


@dataclass(frozen=True)
class Frame:
    """One server-sent event, encoded once per language.

    Attributes:
        kind: the SSE event name (``view``, ``alert``, ``link``).
        text: language → the whole ``event:``/``data:`` block.
        droppable: a newer frame of the same kind replaces it (views, the link state).
    """

    kind: str
    text: Mapping[str, str]
    droppable: bool = True


def sse(kind: str, data: Any) -> str:
    """One SSE block: ``event: kind`` and the JSON data on one line (JSON has no newlines)."""
    return f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def view_frame(hall: Hall, view: Mapping[str, Any], connected: bool,
               broker_now: float | None) -> Frame:
    """The frame for a view: the view itself plus the alerts' words in each language."""
    text = {}
    for language in LANGUAGES:
        words = {key: alert_text(a.get("code", ""), a.get("params"), language, hall=hall)
                 for key, a in (view.get("alerts") or {}).items() if isinstance(a, dict)}
        text[language] = sse("view", {"view": view, "connected": connected, "now": broker_now,
                                      "alert_words": words})
    return Frame("view", text)


def alert_frame(hall: Hall, event: Event) -> Frame:
    """The frame for a newly raised alert (the page plays its sound)."""
    code = str(event.data.get("code") or event.data.get("kind", ""))
    params = event.data.get("params") if isinstance(event.data.get("params"), dict) else {}
    text = {language: sse("alert", {"key": event.data.get("key"), "code": code, "at": event.at,
                                    "words": alert_text(code, params, language, hall=hall)})
            for language in LANGUAGES}
    return Frame("alert", text, droppable=False)


@dataclass(eq=False)  # pages are told apart by identity (kept in a set)
class Page:
    """One open event stream: its pending frames and its language.

    A newer view replaces a view still waiting (the page needs only the newest); alerts
    wait in order, at most ``QUEUE_FRAMES`` of them.
    """

    language: str
    frames: collections.deque[Frame | None] = field(default_factory=collections.deque)
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, frame: Frame | None) -> None:
        """Queue a frame without ever blocking the loop (None ends the stream)."""
        if frame is not None and frame.droppable:
            self.frames = collections.deque(
                f for f in self.frames if f is None or f.kind != frame.kind)
        while len(self.frames) >= QUEUE_FRAMES:
            self.frames.popleft()
        self.frames.append(frame)
        self.ready.set()

    async def next(self, timeout_s: float) -> Frame | None:
        """The next frame; ``asyncio.TimeoutError`` when none came within ``timeout_s``."""
        while not self.frames:
            self.ready.clear()
            await asyncio.wait_for(self.ready.wait(), timeout_s)
        return self.frames.popleft()


class Hub:
    """The open pages and the newest view frame (a new page starts from it).

    Everything here runs on the asyncio loop's thread; other threads use ``publish_threadsafe``.

    Args:
        loop: the loop serving the pages.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._pages: set[Page] = set()
        self.latest: Frame | None = None
        self.closed = False

    @property
    def pages(self) -> int:
        """How many event streams are open."""
        return len(self._pages)

    def publish_threadsafe(self, frame: Frame) -> None:
        """Publish from another thread (the mirror's); a closed loop drops the frame."""
        try:
            self._loop.call_soon_threadsafe(self.publish, frame)
        except RuntimeError:  # the loop is closed: the server is stopping
            pass

    def publish_threadsafe_call(self, call: Callable[[], None]) -> None:
        """Run ``call`` on the loop's thread (e.g. ``close`` from a stopping thread)."""
        try:
            self._loop.call_soon_threadsafe(call)
        except RuntimeError:  # the loop is closed already
            pass

    def publish(self, frame: Frame) -> None:
        """Put ``frame`` on every open page's queue (on the loop's thread)."""
        if frame.kind == "view":
            self.latest = frame
        for page in self._pages:
            page.offer(frame)

    def open(self, language: str) -> Page | None:
        """A new page's queue, starting with the newest view; None when too many are open."""
        if self.closed or len(self._pages) >= MAX_PAGES:
            return None
        page = Page(language if language in LANGUAGES else "zh")
        if self.latest is not None:
            page.offer(self.latest)
        self._pages.add(page)
        return page

    def leave(self, page: Page) -> None:
        """Forget a page whose stream ended."""
        self._pages.discard(page)

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        self.closed = True
        for page in self._pages:
            page.offer(None)

    def stream(self, page: Page, still_valid: Callable[[], bool]) -> AsyncIterator[str]:
        """The SSE text of one page until the hub closes or ``still_valid()`` turns False."""
        return page_stream(page, still_valid, lambda: self.leave(page))


async def page_stream(page: Page, still_valid: Callable[[], bool],
                      leave: Callable[[], None]) -> AsyncIterator[str]:
    """The SSE text of one page's frames (keep-alives between) until a None frame or
    ``still_valid()`` turns False; ``leave()`` when it ends, however it ends."""
    try:
        yield "retry: 2000\n\n"
        while still_valid():
            try:
                frame = await page.next(KEEPALIVE_S)
            except asyncio.TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if frame is None:
                return
            yield frame.text[page.language]
    finally:
        leave()


class ViewFeed:
    """The mirror listener that feeds the hub (runs on the mirror's thread).

    Args:
        hall: the hall, for the alerts' words.
        hub: the hub to feed.
        connected: whether the mirror is current.
        broker_now: the broker's clock.
    """

    def __init__(self, hall: Hall, hub: Hub, connected: Callable[[], bool],
                 broker_now: Callable[[], float | None]) -> None:
        self._hall = hall
        self._hub = hub
        self._connected = connected
        self._broker_now = broker_now
        self._view: Mapping[str, Any] = {}

    def __call__(self, kind: str, payload: Any) -> None:
        """A mirror listener: ``(kind, payload)`` as ``protocol.mirror`` calls it."""
        try:
            if kind == "state" and isinstance(payload, dict):
                self._view = payload
                self._send_view()
            elif kind == "connection":
                self._send_view()
            elif kind == "event" and isinstance(payload, Event) \
                    and payload.type == "alert_raised":
                self._hub.publish_threadsafe(alert_frame(self._hall, payload))
        except Exception:  # a listener must never kill the mirror's thread
            logger.exception("could not pass a view change to the console pages")

    def _send_view(self) -> None:
        self._hub.publish_threadsafe(view_frame(self._hall, self._view, self._connected(),
                                                self._broker_now()))
