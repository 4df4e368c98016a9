"""Every broker socket is made here, so authentication (CURVE) slots in without touching
the handlers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import zmq

from foundation.errors import CallnextError

HARD_FRAME_LIMIT = 1024 * 1024
"""Frames above this are dropped by libzmq itself (the peer is disconnected); frames
between ``protocol.envelope.MAX_FRAME_BYTES`` and this get a ``too_large`` reply."""


class SocketSecurity(Protocol):
    """Applies authentication to server sockets before they bind."""

    def apply_server(self, socket: zmq.Socket) -> None:
        """Configure ``socket`` as an authenticating server."""


@dataclass(frozen=True)
class Bound:
    """The broker's two sockets' endpoints, as nodes should connect to them."""

    commands: str
    events: str


class BindError(CallnextError):
    """A broker socket could not bind."""


def _bind(socket: zmq.Socket, host: str, port: int) -> int:
    try:
        if port == 0:
            return socket.bind_to_random_port(f"tcp://{host}")
        socket.bind(f"tcp://{host}:{port}")
    except zmq.ZMQError as err:
        raise BindError(
            f"cannot listen on {host}:{port} ({err}). Is another broker running? "
            "Stop it, or choose other ports with --command-port/--event-port."
        ) from err
    return port


def bind_sockets(context: zmq.Context, host: str, command_port: int, event_port: int,
                 security: SocketSecurity | None = None) -> tuple[zmq.Socket, zmq.Socket, Bound]:
    """Create and bind the command ROUTER and the event PUB.

    Args:
        context: the broker's ZeroMQ context.
        host: interface to bind, e.g. ``0.0.0.0`` or ``127.0.0.1``.
        command_port: ROUTER port, 0 for any free port.
        event_port: PUB port, 0 for any free port.
        security: optional authentication applied to both sockets.

    Raises:
        BindError: a port is taken or the interface does not exist.
    """
    router = context.socket(zmq.ROUTER)
    pub = context.socket(zmq.PUB)
    for socket in (router, pub):
        socket.setsockopt(zmq.LINGER, 0)
        # No ZMTP heartbeats (HEARTBEAT_IVL/TIMEOUT/TTL): libzmq 4.3.5 aborts the process
        # (`!_io_error`, stream_engine_base.cpp:310, libzmq issue #4364) when a heartbeat
        # times out on a peer that vanished with a backlog queued, so any node key could
        # take the hall down. Liveness is the protocol's own heartbeat on the PUB socket;
        # a dead peer's connection is reaped by TCP keepalive below.
        socket.setsockopt(zmq.TCP_KEEPALIVE, 1)
        socket.setsockopt(zmq.TCP_KEEPALIVE_IDLE, 30)
        socket.setsockopt(zmq.TCP_KEEPALIVE_INTVL, 10)
        if security is not None:
            security.apply_server(socket)
    router.setsockopt(zmq.MAXMSGSIZE, HARD_FRAME_LIMIT)
    # A reply to a node that vanished is dropped instead of raising in the loop.
    router.setsockopt(zmq.ROUTER_MANDATORY, 0)
    # Slow displays must never block the broker; sequence numbers reveal any drop.
    pub.setsockopt(zmq.SNDHWM, 10000)
    shown = "127.0.0.1" if host in ("0.0.0.0", "*") else host
    command = _bind(router, host, command_port)
    event = _bind(pub, host, event_port)
    return router, pub, Bound(f"tcp://{shown}:{command}", f"tcp://{shown}:{event}")
