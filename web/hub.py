"""Server-sent events: the mirror's view changes fanned out to every open console page.

The mirror calls its listeners from its own thread. ``ViewFeed`` turns what it hears into
ready-made SSE frames there (one JSON encoding per language, not one per page) and hands
them to the asyncio loop with ``loop.call_soon_threadsafe``; ``Hub.publish`` then puts the
same frame on every page's queue. A page gets the whole view once (when it opens, or after
a resync), then only what each batch of events changed (a ``change`` frame, merged by the
page by the view merge rule): on a day of thousands of open 差评 cases the whole view is
megabytes, a change a few hundred bytes. A page that falls behind gets the newest whole
view instead of the changes it missed (it says everything they said); alerts are kept in
order.
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
from protocol.view import merge_view
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
        kind: the SSE event name (``view``, ``change``, ``alert``, ``link``).
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
               broker_now: float | None, kind: str = "view") -> Frame:
    """The frame for a view: the view itself plus the alerts' words in each language.

    Args:
        kind: ``view`` for a whole view; ``change`` for the parts a batch of events changed
            (the page merges them into the view it has; never dropped, see ``Page.offer``).
    """
    # The console's pages never read the waiting places (the phone pages do): a call moves
    # every place of its line, 87 KB for a line of 1 000, for nothing on a clerk's page.
    view = {key: value for key, value in view.items() if key != "places"}
    text = {}
    alerts = view.get("alerts")
    for language in LANGUAGES:
        # A cleared alert is null in a change: it has no words.
        words = {key: alert_text(a.get("code", ""), a.get("params"), language, hall=hall)
                 for key, a in (alerts if isinstance(alerts, dict) else {}).items()
                 if isinstance(a, dict)}
        text[language] = sse(kind, {"view": view, "connected": connected, "now": broker_now,
                                    "alert_words": words})
    return Frame(kind, text, droppable=kind != "change")


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

    A newer view replaces a view and the changes still waiting (the page needs only the
    newest); alerts and changes wait in order, at most ``QUEUE_FRAMES`` frames. A change
    dropped for room leaves the page ``behind``: it needs a whole view again.
    """

    language: str
    frames: collections.deque[Frame | None] = field(default_factory=collections.deque)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    behind: bool = False

    def offer(self, frame: Frame | None) -> None:
        """Queue a frame without ever blocking the loop (None ends the stream)."""
        if frame is not None and frame.droppable:
            # A whole view holds every change before it.
            gone = {frame.kind, "change"} if frame.kind == "view" else {frame.kind}
            self.frames = collections.deque(
                f for f in self.frames if f is None or f.kind not in gone)
            self.behind = self.behind and frame.kind != "view"
        while len(self.frames) >= QUEUE_FRAMES:
            dropped = self.frames.popleft()
            self.behind = self.behind or (dropped is not None and dropped.kind == "change")
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
        self._latest: Frame | None = None
        self._whole: Callable[[], Frame] | None = None
        self.closed = False

    @property
    def latest(self) -> Frame | None:
        """The newest whole view's frame, encoded on first need (a page opening or fallen
        behind), not after every change."""
        if self._latest is None and self._whole is not None:
            self._latest, self._whole = self._whole(), None
        return self._latest

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
            self._latest, self._whole = frame, None
        for page in self._pages:
            page.offer(frame)
            if page.behind:
                latest = self.latest
                if latest is not None:
                    page.offer(latest)

    def publish_change(self, change: Frame, whole: Callable[[], Frame]) -> None:
        """Put a ``change`` frame on every page; ``whole()`` builds the frame of the view
        after it, for the pages that open later or fall behind (on the loop's thread)."""
        self._latest, self._whole = None, whole
        self.publish(change)

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
        self._view: dict[str, Any] = {}
        self._heard: dict[str, Any] | None = None
        """The view the pages have with the events heard since merged in (None: none)."""
        self._changes: dict[str, Any] = {}
        """Those events' views, merged into one change."""

    def __call__(self, kind: str, payload: Any) -> None:
        """A mirror listener: ``(kind, payload)`` as ``protocol.mirror`` calls it."""
        try:
            if kind == "state" and isinstance(payload, dict):
                self._send_state(payload)
            elif kind == "connection":
                self._send_view()
            elif kind == "event" and isinstance(payload, Event):
                self._hear(payload)
                if payload.type == "alert_raised":
                    self._hub.publish_threadsafe(alert_frame(self._hall, payload))
        except Exception:  # a listener must never kill the mirror's thread
            logger.exception("could not pass a view change to the console pages")

    def _hear(self, event: Event) -> None:
        """Note what ``event`` changed, for the change frame the next ``state`` sends."""
        self._heard = merge_view(self._view if self._heard is None else self._heard,
                                 event.view, copy_partial=False)
        for key, value in event.view.items():
            kept = self._changes.get(key)
            # Inner keys of a later event win; a null entry (gone) is kept for the page.
            both = isinstance(value, dict) and isinstance(kept, dict)
            self._changes[key] = {**kept, **value} if both else value

    def _send_state(self, view: dict[str, Any]) -> None:
        """Send the pages what changed when the new ``view`` is theirs plus the events
        heard; anything else (a first view, a new snapshot) goes whole."""
        heard, changes = self._heard, self._changes
        self._heard, self._changes, self._view = None, {}, view
        # Entries are shared with the mirror's view, so equal ones compare by identity.
        if heard is None or heard != view:
            self._send_view()
            return
        connected, now = self._connected(), self._broker_now()
        change = view_frame(self._hall, changes, connected, now, kind="change")
        self._hub.publish_threadsafe_call(lambda: self._hub.publish_change(
            change, lambda: view_frame(self._hall, view, connected, now)))

    def _send_view(self) -> None:
        self._hub.publish_threadsafe(view_frame(self._hall, self._view, self._connected(),
                                                self._broker_now()))
