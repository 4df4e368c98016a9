"""The visitor's phone (issue #15): a ticket's place from the mirrored view, fanned out to the
phone pages that follow it.

A page knows its ticket only through the track token printed in the ticket's QR code; the
broker resolves a token (``track``) once and the node caches the answer for that hall day.
Everything else comes from the broker's public view: the ticket's entry in ``places`` (people
ahead and the wait), the counters (called, started, held, 过号), and the published
``finished``, ``no_show`` and ``rated`` events. Nothing here re-derives the calling order.

A phone page's event stream gets a frame only when its ticket's state or place changes. An
event carries only the places it moved, so on each view the node looks again only at the
followed tickets the events since the last view could have changed (``Changed``), not at
every open page.
"""

from __future__ import annotations

import asyncio
import collections
import json
import re
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from protocol.events import Event
from web.hub import Frame, Page, page_stream, sse

TOKEN = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
"""What a track token looks like; anything else is 404 without asking the broker."""
MAX_PAGES = 2000
"""Open phone event streams at most (a busy hall has a few hundred waiting visitors)."""
CACHE_TOKENS = 20000
"""Tokens remembered at most (a day's tickets of a large hall)."""
MISSING_S = 60.0
"""How long a token the broker does not know is answered 404 without asking again."""
TERMINAL_EVENTS = {"finished": "done", "no_show": "no_show", "revived": "", "called": ""}
"""Published events that settle (or unsettle) a ticket's end state the view no longer shows."""
END_STATUS = {"finished": "done", "expired": "done", "no_show": "no_show"}
"""The broker's ticket statuses (``track``'s ``status``) that end a visit, as the page says them."""


def ticket_state(view: Mapping[str, Any], ticket: str, ended: Mapping[str, str],
                 rated: frozenset[str] | set[str]) -> dict[str, Any]:
    """The phone page's facts about ``ticket``, read from the broker's public view.

    Args:
        view: the mirrored public view.
        ticket: the ticket number (of the view's day).
        ended: ticket → ``done`` or ``no_show`` from the published events this node heard.
        rated: tickets a published ``rated`` event named.

    Returns:
        ``{ticket, service, state, ahead, estimate_min, wait_min, counter, rated}``, state one
        of ``waiting``, ``called``, ``serving``, ``held``, ``no_show``, ``done``.
    """
    facts: dict[str, Any] = {"ticket": ticket, "service": None, "state": "done", "ahead": None,
                             "estimate_min": None, "wait_min": None, "counter": None,
                             "rated": ticket in rated}
    place = (view.get("places") or {}).get(ticket)
    if place is not None:
        facts.update(service=place.get("service"), state="waiting", ahead=place.get("ahead"),
                     estimate_min=place.get("estimate_min"), wait_min=place.get("wait_min"))
        return facts
    for counter in (view.get("counters") or {}).values():
        number = counter.get("number")
        if counter.get("serving") == ticket:
            facts.update(service=counter.get("service"), counter=number,
                         state="serving" if counter.get("started_at") else "called")
            return facts
        if ticket in (counter.get("held") or ()):
            facts.update(state="held", counter=number)
            return facts
        if any(n.get("ticket") == ticket for n in counter.get("no_shows") or ()):
            facts.update(state="no_show", counter=number)
            return facts
    # Nowhere in the view: finished, a 过号 beyond the counter's list, or gone with the day.
    # The events this node heard say which, or (for a visit that ended before this node
    # started) the broker's ``track`` answer (``Visitors.settle``).
    facts["state"] = ended.get(ticket) or "done"
    return facts


@dataclass
class Changed:
    """What the events heard since the last view may have changed for the phone pages.

    Attributes:
        tickets: tickets whose place moved (the events' ``places``) or that an event named.
        counters: an event changed a counter: tickets not waiting read their state there.
        events: events heard; none means the view came whole (a snapshot): look at all.
        whole: look at every followed ticket (a new day).
    """

    tickets: set[str] = field(default_factory=set)
    counters: bool = False
    events: int = 0
    whole: bool = False

    def hear(self, event: Event) -> None:
        """Note what one published event may have changed."""
        self.events += 1
        self.tickets.update((event.view.get("places") or {}).keys())
        named = event.data.get("ticket")
        if isinstance(named, str):
            self.tickets.add(named)
        self.counters = self.counters or "counters" in event.view

    def may_change(self, ticket: str, view: Mapping[str, Any]) -> bool:
        """Whether ``ticket``'s facts in ``view`` may differ from those the pages were sent:
        a waiting ticket's facts are its place alone."""
        if self.whole or not self.events or ticket in self.tickets:
            return True
        return self.counters and ticket not in (view.get("places") or {})


class RateLimit:
    """Requests per client address: a token bucket of ``burst`` refilled at ``per_s``.

    Args:
        per_s: requests per second an address may keep up.
        burst: requests an address may make at once.
        clock: monotonic seconds (tests pass their own).
    """

    def __init__(self, per_s: float = 1.0, burst: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_s, self.burst, self._clock = per_s, burst, clock
        self._buckets: collections.OrderedDict[str, tuple[float, float]] = \
            collections.OrderedDict()

    def allow(self, address: str) -> bool:
        """Take one request from ``address``'s bucket; False when it is empty (429)."""
        now = self._clock()
        level, since = self._buckets.pop(address, (self.burst, now))
        level = min(self.burst, level + (now - since) * self.per_s)
        allowed = level >= 1.0
        self._buckets[address] = (level - 1.0 if allowed else level, now)
        while len(self._buckets) > 10000:  # bounded: the oldest addresses are forgotten
            self._buckets.popitem(last=False)
        return allowed


@dataclass
class Visitors:
    """What the phone pages share: the token cache, the heard end states, the open pages.

    Attributes:
        limit: the per-address rate limit (None: unlimited, for the bench).
        lookups: the limit of uncached tokens sent to the broker (None: unlimited).
        loop: the loop serving the pages (set when the app starts).
    """

    limit: RateLimit | None = field(default_factory=RateLimit)
    lookups: RateLimit | None = field(default_factory=lambda: RateLimit(per_s=5.0, burst=10.0))
    """Tokens asked of the broker, from every address together: guessers from many
    addresses must not use up the web node's broker quota (``[security] web_rate_per_second``)
    that the clerks' clicks need."""
    loop: asyncio.AbstractEventLoop | None = None
    _tokens: collections.OrderedDict[str, tuple[str, str | None]] = field(
        default_factory=collections.OrderedDict)
    _missing: collections.OrderedDict[str, float] = field(
        default_factory=collections.OrderedDict)
    _ended: dict[str, str] = field(default_factory=dict)
    _rated: set[str] = field(default_factory=set)
    _pages: dict[str, set[Page]] = field(default_factory=dict)
    _sent: dict[str, str] = field(default_factory=dict)
    _view: Mapping[str, Any] = field(default_factory=dict)
    _changed: Changed = field(default_factory=Changed)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False

    # -- tokens (any thread) ----------------------------------------------------------------

    def cached(self, token: str, day: str | None) -> str | None:
        """The ticket of a token resolved earlier for hall day ``day``, else None."""
        with self._lock:
            found = self._tokens.get(token)
        return found[0] if found is not None and found[1] == day else None

    def unknown(self, token: str) -> bool:
        """Whether the broker said "not found" for ``token`` within ``MISSING_S``."""
        with self._lock:
            until = self._missing.get(token)
        return until is not None and time.monotonic() < until

    def forget(self, token: str) -> None:
        """Remember the broker's "not found" for a while (a guess asked again costs nothing;
        a real token cannot be asked before its ticket is printed)."""
        with self._lock:
            self._missing[token] = time.monotonic() + MISSING_S
            while len(self._missing) > CACHE_TOKENS:
                self._missing.popitem(last=False)

    def remember(self, token: str, ticket: str, day: str | None) -> None:
        """Cache the broker's ``track`` answer (bounded; the oldest go first)."""
        with self._lock:
            self._tokens[token] = (ticket, day)
            self._tokens.move_to_end(token)
            while len(self._tokens) > CACHE_TOKENS:
                self._tokens.popitem(last=False)

    def settle(self, ticket: str, status: str | None, rated: bool) -> None:
        """Note how the broker's ``track`` answer says ``ticket``'s visit stands.

        A node that restarted never heard the events that ended the visits of before; the
        broker's answer fills that in. An end this node heard itself is newer than (or the
        same as) the answer, so it is kept; a ticket the view lists reads from the view.
        """
        with self._lock:
            end = END_STATUS.get(status or "")
            if end is not None:
                self._ended.setdefault(ticket, end)
            if rated:
                self._rated.add(ticket)

    def state_of(self, ticket: str, view: Mapping[str, Any]) -> dict[str, Any]:
        """The page facts of ``ticket`` in ``view`` (see ``ticket_state``)."""
        with self._lock:
            return ticket_state(view, ticket, dict(self._ended), set(self._rated))

    # -- the mirror (its thread) ------------------------------------------------------------

    def hear(self, kind: str, payload: Any) -> None:
        """A mirror listener: note end states from events, push changed places on a view."""
        if kind == "event" and isinstance(payload, Event):
            ticket = payload.data.get("ticket")
            with self._lock:
                self._changed.hear(payload)
                if payload.type == "day_started":  # numbers start again: forget the old day's
                    self._ended.clear()
                    self._rated.clear()
                    self._changed.whole = True  # another day: look at every page again
                elif not isinstance(ticket, str):
                    return
                elif payload.type == "rated":
                    self._rated.add(ticket)
                elif payload.type in TERMINAL_EVENTS:
                    self._ended[ticket] = TERMINAL_EVENTS[payload.type]
        elif kind == "connection":
            with self._lock:
                # A resync follows: its state may come after replayed events, so "no events
                # heard" cannot tell a snapshot then: look at every page.
                self._changed.whole = True
        elif kind == "state" and isinstance(payload, dict) and self.loop is not None:
            with self._lock:
                changed, self._changed = self._changed, Changed()
            try:
                self.loop.call_soon_threadsafe(self.publish, payload, changed)
            except RuntimeError:  # the loop is closed: the server is stopping
                pass

    # -- pages (the loop's thread) ----------------------------------------------------------

    @property
    def pages(self) -> int:
        """How many phone event streams are open."""
        return sum(len(pages) for pages in self._pages.values())

    def publish(self, view: Mapping[str, Any], changed: Changed | None = None) -> None:
        """Send each followed ticket's facts to its pages when they changed.

        Args:
            view: the mirrored view.
            changed: what the events folded into ``view`` since the last one may have
                changed; None (or one with no events): every followed ticket is looked at.
        """
        self._view = view
        changed = changed or Changed()
        with self._lock:  # one copy per view, not per page
            ended, rated = dict(self._ended), set(self._rated)
        for ticket, pages in self._pages.items():
            if not changed.may_change(ticket, view):
                continue  # nothing the events since the last view did concerns it
            text = sse("ticket", ticket_state(view, ticket, ended, rated))
            if self._sent.get(ticket) == text:
                continue  # neither its state nor its place changed
            self._sent[ticket] = text
            frame = Frame("ticket", {"zh": text, "en": text})
            for page in pages:
                page.offer(frame)

    def open(self, ticket: str) -> Page | None:
        """A new page following ``ticket``, starting with its facts now; None when full."""
        if self.closed or self.pages >= MAX_PAGES:
            return None
        page = Page("zh")
        text = sse("ticket", self.state_of(ticket, self._view))
        page.offer(Frame("ticket", {"zh": text, "en": text}))
        self._pages.setdefault(ticket, set()).add(page)
        self._sent.setdefault(ticket, text)
        return page

    def leave(self, ticket: str, page: Page) -> None:
        """Forget a page whose stream ended."""
        pages = self._pages.get(ticket)
        if pages is not None:
            pages.discard(page)
            if not pages:
                del self._pages[ticket]
                self._sent.pop(ticket, None)

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        self.closed = True
        for pages in self._pages.values():
            for page in pages:
                page.offer(None)

    def stream(self, ticket: str, page: Page) -> AsyncIterator[str]:
        """The SSE text of one phone page until the server stops."""
        return page_stream(page, lambda: True, lambda: self.leave(ticket, page))


def facts_json(facts: Mapping[str, Any]) -> str:
    """The facts as the ``.json`` answer and the page's first paint carry them."""
    return json.dumps(facts, ensure_ascii=False, separators=(",", ":"))
