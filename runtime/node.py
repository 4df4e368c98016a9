"""What every node holds of the broker: request client, state mirror, broker clock, health.

``NodeRuntime`` is built from the hall file and this node's id (its block is
chosen with ``runtime.blocks``, its keys with ``runtime.security``); a node's
composition root adds only what is its own (printer, speakers, buttons, a
window). Later nodes (web, rating pads) start from the same object.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import zmq

from config.schema import Hall
from protocol.client import RequestClient, SocketSetup
from protocol.mirror import Listener, StateMirror
from protocol.view import PublicView
from runtime.health import HealthReporter
from runtime.security import NodeSecurity

HEALTH_TIMEOUT_MS = 1000
"""One attempt of a health report; the reporter retries on its own schedule."""


class NodeRuntime:
    """A node's link to the broker.

    Attributes:
        node_id: the id sent with every request (its CURVE key has the same name).
        client: the request client for the node's commands (thread-safe).
        mirror: the state mirror; listeners added before ``start`` hear everything.
        health: the node's health reporter (sends from its own thread once started).

    Args:
        hall: the hall (the broker's endpoints).
        node_id: this node's id on the wire.
        socket_setup: CURVE set-up for every socket (None: an insecure broker);
            ``NodeRuntime.open`` takes it from the security settings.
        endpoints: ``(command, event)`` endpoints instead of the hall file's.
        timeout_ms: how long one attempt of a command waits for its reply.
        retries: attempts per command.
        silence_s: how long without a message from the broker before the mirror is lost.
        context: the ZeroMQ context (default: the process-wide one).
        monotonic: the clock of the mirror and the broker-clock estimate.
    """

    def __init__(self, hall: Hall, node_id: str, *, socket_setup: SocketSetup | None = None,
                 endpoints: tuple[str, str] | None = None, timeout_ms: int = 1200,
                 retries: int = 3, silence_s: float = 3.0, context: zmq.Context | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        command, events = endpoints or (hall.broker.command_endpoint(),
                                        hall.broker.event_endpoint())
        self.node_id = node_id
        self.client = RequestClient(command, node_id, timeout_ms=timeout_ms, retries=retries,
                                    context=context, socket_setup=socket_setup)
        # Health reports have their own client: they never wait behind a visitor's request.
        self._health_client = RequestClient(command, node_id, timeout_ms=HEALTH_TIMEOUT_MS,
                                            retries=1, context=context,
                                            socket_setup=socket_setup)
        self.health = HealthReporter(self._health_client.request)
        self.mirror = StateMirror(command, events, node_id, silence_s=silence_s,
                                  context=context, socket_setup=socket_setup,
                                  monotonic=monotonic)
        self._view: dict[str, Any] = {}
        self.mirror.add_listener(self._keep_view)

    @classmethod
    def open(cls, hall: Hall, node_id: str, security: NodeSecurity,
             **options: Any) -> NodeRuntime:
        """A runtime whose sockets use ``node_id``'s key from ``security``.

        Args:
            hall: the hall.
            node_id: this node's id on the wire.
            security: the settings from ``runtime.security.node_security``.
            options: as for ``NodeRuntime``.

        Raises:
            KeysMissing: the node's key files are missing.
        """
        return cls(hall, node_id, socket_setup=security.socket_setup(node_id), **options)

    # --- reading -----------------------------------------------------------------------------

    def view(self) -> dict[str, Any]:
        """The newest mirrored public view (``{}`` before the first snapshot).

        Shared, not copied (the mirror never changes a view it handed out), so reading it
        50 times a second costs nothing: treat it as read-only.
        """
        return self._view

    def model(self) -> PublicView | None:
        """The newest mirrored public view, typed (``protocol.view.PublicView``); None before
        the first snapshot. Frozen and shared (parsed once per change by the mirror), so
        reading it on every tick costs nothing.
        """
        return self.mirror.model

    @property
    def connected(self) -> bool:
        """True while the mirrored view is known to be current."""
        return self.mirror.connected

    def broker_now(self) -> float | None:
        """The broker's time now (epoch seconds), None before the first heartbeat or snapshot.

        Use it for everything the broker's day decides (opening hours, rating windows, the
        wall clock); this machine's own clock may be hours off.
        """
        return self.mirror.broker_now()

    def add_listener(self, callback: Listener) -> None:
        """Hear the mirror: ``callback(kind, payload)`` from its thread (see ``StateMirror``)."""
        self.mirror.add_listener(callback)

    # --- life --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the health reporter's and the mirror's threads."""
        self.health.start()
        self.mirror.start()

    def close(self) -> None:
        """Stop the threads and close every socket (idempotent)."""
        self.health.stop()
        self.mirror.stop()  # joins its thread, then closes its sockets
        self.client.close()
        self._health_client.close()

    def __enter__(self) -> NodeRuntime:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _keep_view(self, kind: str, payload: Any) -> None:
        if kind == "state" and isinstance(payload, dict):
            self._view = payload
