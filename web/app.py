"""The console's ASGI app: its parts (``Console``), the staff-network guard and the routes.

``build_app`` takes a ``Console`` so tests wire it to a real broker on loopback and drive it
with Starlette's ``TestClient``; ``web.run`` wires it to the node runtime and uvicorn.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from config.schema import Hall
from config.web_node import WebSettings
from web.gateway import Broker
from web.hub import Hub, ViewFeed
from web.sessions import PinLockout, SessionStore
from web.visitor import RateLimit, Visitors

logger = logging.getLogger(__name__)

OPEN_PATHS = ("/healthz", "/static/visitor.js", "/static/visitor.css")
"""Answered from every network: the watchdog and a monitoring probe use the first; the
visitors' phones (on the hall's visitor Wi-Fi) the phone page's two assets."""
OPEN_PREFIX = "/t/"
"""The visitor's phone pages: any network. Routing matches the raw path, so ``/t/../x``
reaches no staff route (it is a 404)."""


@dataclass
class Console:
    """What the console's handlers share.

    Attributes:
        hall: the hall (counters, services, names).
        settings: the ``[web]`` table.
        broker: the broker's requests (blocking; run in the thread pool).
        view: the newest mirrored public view (shared, read-only).
        connected: whether the mirror is current.
        broker_now: the broker's clock.
        sessions: the signed-in browsers.
        lockout: wrong-PIN counting per staff id.
        feed: the mirror listener that feeds the hub (add it to the mirror).
        hub: the open event streams (made when the app starts, on its loop).
    """

    hall: Hall
    settings: WebSettings
    broker: Broker
    view: Callable[[], dict[str, Any]]
    connected: Callable[[], bool]
    broker_now: Callable[[], float | None]
    sessions: SessionStore = field(default_factory=SessionStore)
    lockout: PinLockout = field(default_factory=PinLockout)
    hub: Hub | None = None
    feed: ViewFeed | None = None
    visitors: Visitors = field(default_factory=Visitors)
    """The visitors' phone pages (``web.visitor``)."""

    def listener(self) -> Callable[[str, Any], None]:
        """The mirror listener to add to the node runtime (before or after it starts)."""
        def hear(kind: str, payload: Any) -> None:
            if self.feed is not None:
                self.feed(kind, payload)
            self.visitors.hear(kind, payload)
        return hear


class StaffNetworks:
    """ASGI middleware: only the ``[web] staff_networks`` reach the console (403 elsewhere).

    Args:
        app: the wrapped app.
        networks: the allowed networks (empty: every address).
    """

    def __init__(self, app: ASGIApp, networks: tuple[Any, ...]) -> None:
        self.app = app
        self.networks = networks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 403 for an address outside the staff networks."""
        if scope["type"] != "http" or not self.networks or scope["path"] in OPEN_PATHS \
                or scope["path"].startswith(OPEN_PREFIX) or self._allowed(scope.get("client")):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        logger.warning("security: console request from %s refused: not in [web] staff_networks",
                       client[0] if client else "an unknown address")
        body = json.dumps({"error": "forbidden_network"}).encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def _allowed(self, client: tuple[str, int] | None) -> bool:
        if client is None:
            return False
        try:
            address = ipaddress.ip_address(client[0])
        except ValueError:  # e.g. the test client's "testclient"
            return False
        return any(address in network for network in self.networks)


def build_app(console: Console) -> Starlette:
    """The console's app: pages, JSON API, event stream, static files."""
    from web import api, city, pages, visitor_pages

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        console.hub = Hub(asyncio.get_running_loop())
        console.feed = ViewFeed(console.hall, console.hub, console.connected,
                                console.broker_now)
        console.feed("state", console.view())  # a page opened now starts from the view
        console.visitors.loop = asyncio.get_running_loop()
        console.visitors.closed = False
        console.visitors.publish(console.view())
        try:
            yield
        finally:
            console.hub.close()
            console.visitors.close()

    routes = [
        Route("/", pages.hall_page),
        Route("/counter", pages.counter_page),
        Route("/city", city.city_page),
        Route("/api/city", city.city_json),
        Route("/healthz", api.healthz),
        Route("/api/login", api.login, methods=["POST"]),
        Route("/api/logout", api.logout, methods=["POST"]),
        Route("/api/counters/{counter:int}/{op}", api.counter_op, methods=["POST"]),
        Route("/api/hall/{op}", api.hall_op, methods=["POST"]),
        Route("/api/events", api.events),
        # The visitor's phone (issue #15): no sign-in; the token is the ticket's QR code.
        Route("/t/{token}.json", visitor_pages.ticket_json),
        Route("/t/{token}/events", visitor_pages.ticket_events),
        Route("/t/{token}/rate", visitor_pages.rate, methods=["POST"]),
        Route("/t/{token}", visitor_pages.ticket_page),
        Mount("/static", StaticFiles(packages=[("web", "static")]), name="static"),
    ]
    settings = console.settings
    console.visitors.limit = RateLimit(settings.visitor_rate_per_second,
                                       float(settings.visitor_burst))
    console.visitors.lookups = RateLimit(settings.visitor_lookups_per_second,
                                         2.0 * settings.visitor_lookups_per_second)
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.console = console
    app.state.visitors = console.visitors
    app.add_middleware(StaffNetworks, networks=console.settings.networks())
    return app


def console_of(app: Any) -> Console:
    """The ``Console`` a request's app was built with."""
    console: Console = app.state.console
    return console
