"""Request client: reliable request/reply to the broker over DEALER (Lazy Pirate).

Each request carries one id for all its attempts; the broker answers a
repeated id with the reply it gave the first time, so a retry after a lost
reply never issues a second ticket. When an attempt times out the socket is
thrown away (LINGER=0, so nothing stale is sent later) and a fresh one is
connected; a socket that got its reply is kept for the next request.
"""

from __future__ import annotations

import logging
import threading
import time
from types import TracebackType
from typing import Any, Callable, Mapping

import zmq
from pydantic import ValidationError

from protocol import errors
from protocol.args import OpArgs
from protocol.envelope import Request, decode_reply, encode_request, new_request_id
from protocol.errors import BrokerUnreachable, CommandRefused, ProtocolError
from protocol.registry import REGISTRY
from protocol.results import OpResult

logger = logging.getLogger(__name__)

SocketSetup = Callable[[zmq.Socket], None]
"""Called on every new socket before it connects; the place for CURVE keys."""


class RequestClient:
    """Send commands to the broker and wait for their replies, with retries.

    Calls are serialised by a lock, so one client may be shared by threads;
    each call blocks for at most about ``retries * timeout_ms``.

    Args:
        endpoint: the broker's command endpoint, e.g. ``"tcp://10.0.0.2:5555"``.
        node: this node's id, sent with every request.
        timeout_ms: how long one attempt waits for its reply.
        retries: how many attempts before giving up (at least 1).
        context: the ZeroMQ context to use; by default the process-wide
            ``zmq.Context.instance()``, which ``close`` leaves open.
        socket_setup: called on each new DEALER socket before ``connect``
            (e.g. to apply CURVE keys).
    """

    def __init__(self, endpoint: str, node: str, *, timeout_ms: int = 1500, retries: int = 3,
                 context: zmq.Context | None = None,
                 socket_setup: SocketSetup | None = None) -> None:
        if timeout_ms <= 0:
            raise ValueError(f"timeout_ms must be > 0, got {timeout_ms}")
        if retries < 1:
            raise ValueError(f"retries must be >= 1, got {retries}")
        self.endpoint = endpoint
        self.node = node
        self.timeout_ms = timeout_ms
        self.retries = retries
        # The process-wide context by default: a private one left unclosed would be
        # destroyed by the garbage collector, and zmq's term() can then hang the process.
        self._context: zmq.Context = zmq.Context.instance() if context is None else context
        self._socket_setup = socket_setup
        self._socket: zmq.Socket | None = None
        self._lock = threading.Lock()
        self._closed = False

    def request(self, op: str, args: dict[str, Any] | None = None, *,
                request_id: str | None = None, staff: str | None = None) -> dict[str, Any]:
        """Send one command and return its result.

        Args:
            op: the op name.
            args: the op's arguments (``{}`` when None).
            request_id: the id to use; pass the id of an earlier call that ended
                in ``BrokerUnreachable`` to retry it safely. A new one by default.
            staff: the staff member (工号, 1-16 digits) this node acts for; only the staff
                console (role ``web``) and the admin may send it.

        Returns:
            The reply's ``result`` object.

        Raises:
            CommandRefused: the broker answered ``ok: false``.
            BrokerUnreachable: no matching reply after ``retries`` attempts.
            ProtocolError: the request cannot be encoded, or the broker's reply
                is malformed.
            RuntimeError: the client is closed.
        """
        rid = request_id if request_id is not None else new_request_id()
        frame = encode_request(Request(id=rid, op=op, node=self.node,
                                       args=dict(args) if args is not None else {}, staff=staff))
        with self._lock:
            if self._closed:
                raise RuntimeError("RequestClient is closed")
            for attempt in range(1, self.retries + 1):
                reply = self._attempt(frame, rid)
                if reply is not None:
                    if reply["ok"]:
                        result: dict[str, Any] = reply["result"]
                        return result
                    error = reply["error"]
                    raise CommandRefused(error["code"], error["message"], rid, error["params"])
                logger.info("no reply from %s to %r (request %s), attempt %d of %d",
                            self.endpoint, op, rid, attempt, self.retries)
        raise BrokerUnreachable(self.endpoint, op, rid, self.retries, self.timeout_ms)

    def call(self, op: str, args: OpArgs | Mapping[str, Any] | None = None, *,
             request_id: str | None = None, staff: str | None = None) -> OpResult:
        """Like ``request``, with the result parsed by the op's result model.

        Args:
            op: an op of ``protocol.registry.REGISTRY``.
            args: the op's args, as its args model (only the fields set are sent, so
                an older broker never sees a newer optional arg) or a plain mapping.
            request_id: as for ``request``.
            staff: as for ``request``.

        Returns:
            The op's result model (``protocol.results``), e.g. ``TicketIssued``.

        Raises:
            ProtocolError: ``unknown_op`` for an op the registry lacks (nothing is
                sent), ``bad_envelope`` for a result without the op's shape; and
                whatever ``request`` raises.
        """
        spec = REGISTRY.get(op)
        if spec is None:
            raise ProtocolError(errors.UNKNOWN_OP, f"unknown op {op!r}; known ops: "
                                f"{', '.join(REGISTRY)}")
        if isinstance(args, OpArgs):
            plain = args.model_dump(exclude_unset=True)
        else:
            plain = dict(args or {})
        result = self.request(op, plain, request_id=request_id, staff=staff)
        try:
            return spec.parse_result(result)
        except ValidationError as err:
            raise ProtocolError(errors.BAD_ENVELOPE,
                                f"the broker's result for {op} does not have its shape: "
                                f"{err}") from err

    def _attempt(self, frame: bytes, rid: str) -> dict[str, Any] | None:
        """One send and wait; None on timeout (the socket is then discarded)."""
        sock = self._socket if self._socket is not None else self._new_socket()
        self._socket = sock
        deadline = time.monotonic() + self.timeout_ms / 1000.0
        try:
            sock.send(frame, zmq.NOBLOCK)
        except zmq.Again:
            self._drop_socket()
            return None
        while True:
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0 or not sock.poll(remaining_ms, zmq.POLLIN):
                self._drop_socket()
                return None
            frames = sock.recv_multipart()
            # The broker replies [identity, reply] on its ROUTER, so the DEALER sees one
            # frame; a REQ-style empty delimiter in front is tolerated.
            try:
                reply = decode_reply(frames[-1])
            except ProtocolError:
                self._drop_socket()
                raise
            if reply["id"] == rid:
                return reply
            logger.debug("discarding a reply for request %r while waiting for %r",
                         reply["id"], rid)

    def _new_socket(self) -> zmq.Socket:
        sock = self._context.socket(zmq.DEALER)
        # LINGER=0: a timed-out request must not be delivered later, and closing
        # must never block the process on an unreachable broker.
        sock.setsockopt(zmq.LINGER, 0)
        if self._socket_setup is not None:
            self._socket_setup(sock)
        sock.connect(self.endpoint)
        return sock

    def _drop_socket(self) -> None:
        if self._socket is not None:
            self._socket.close(linger=0)
            self._socket = None

    def close(self) -> None:
        """Close the socket (the context is shared and stays). Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._drop_socket()

    def __enter__(self) -> RequestClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
