"""The mirror's two sources: the broker's event socket, and the snapshot it asks for."""

from __future__ import annotations

from typing import Any

import zmq

from protocol import errors
from protocol.client import SocketSetup
from protocol.errors import ProtocolError


def open_event_socket(context: zmq.Context, endpoint: str,
                      socket_setup: SocketSetup | None) -> zmq.Socket:
    """A SUB socket subscribed to every event and heartbeat of ``endpoint``, connected.

    Args:
        context: the ZeroMQ context.
        endpoint: the broker's event (PUB) endpoint.
        socket_setup: called before connecting (CURVE keys), if given.
    """
    sub = context.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RECONNECT_IVL, 100)
    sub.setsockopt(zmq.RECONNECT_IVL_MAX, 2000)
    # No ZMTP heartbeats: libzmq 4.3.5 can abort on one timing out (issues #4364, #4767).
    # A dead link shows as silence of the broker's own heartbeat, which replaces this socket.
    sub.setsockopt(zmq.TCP_KEEPALIVE, 1)
    sub.setsockopt(zmq.TCP_KEEPALIVE_IDLE, 30)
    sub.setsockopt(zmq.TCP_KEEPALIVE_INTVL, 10)
    if socket_setup is not None:
        socket_setup(sub)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(endpoint)
    return sub


def parse_snapshot(result: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Check a ``snapshot`` result: ``{"seq": N >= 0, "view": {...}}``."""
    seq = result.get("seq")
    view = result.get("view")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0 or not isinstance(view, dict):
        raise ProtocolError(errors.BAD_ENVELOPE,
                            'a snapshot result must be {"seq": <integer >= 0>, "view": {...}}, '
                            f"got seq={seq!r} and view of type {type(view).__name__}")
    return seq, view
