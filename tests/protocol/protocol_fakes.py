"""Test doubles for the protocol tests: a scriptable broker on loopback and a fake clock.

``FakeBroker`` speaks the real wire format over real sockets: a ROUTER served
by a thread (it must answer while the code under test blocks in a request)
and an XPUB driven by the test thread, so a test can wait until a subscriber
is really subscribed instead of sleeping.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import zmq

from protocol.envelope import (Event, Request, decode_request, encode_event, encode_heartbeat,
                               ok_reply)

Handler = Callable[[Request], list[bytes]]


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds


class FakeBroker:
    """ROUTER + XPUB bound to random loopback ports.

    Attributes:
        requests: every decoded request with the identity of the socket it came on.
        drop_next: how many coming requests to swallow without a reply.
        handler: turns a request into the reply frames to send (default: snapshot
            from ``seq``/``view``, any other op echoed back as its result).
    """

    def __init__(self, context: zmq.Context) -> None:
        self._context = context
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self.requests: list[tuple[bytes, Request]] = []
        self.drop_next = 0
        self.seq = 0
        self.view: dict[str, Any] = {}
        self.epoch: str | None = None  # the journal's epoch, sent when set
        self.handler: Handler = self._default_handler
        self.command_endpoint = ""
        self.pub = context.socket(zmq.XPUB)
        self.pub.setsockopt(zmq.LINGER, 0)
        # Report every subscription, even one identical to an existing one, so a
        # re-created SUB socket is seen too.
        self.pub.setsockopt(zmq.XPUB_VERBOSE, 1)
        port = self.pub.bind_to_random_port("tcp://127.0.0.1")
        self.event_endpoint = f"tcp://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self._serve, name="fake-broker", daemon=True)
        self._thread.start()
        if not self._ready.wait(5.0):
            raise RuntimeError("fake broker did not start")

    # --- commands ----------------------------------------------------------------------------

    def set_state(self, seq: int, view: dict[str, Any]) -> None:
        """What the next snapshot returns."""
        with self._lock:
            self.seq = seq
            self.view = view

    def snapshot_count(self) -> int:
        """How many snapshot requests arrived (answered or dropped)."""
        with self._lock:
            return sum(1 for _, req in self.requests if req.op == "snapshot")

    def received(self) -> list[tuple[bytes, Request]]:
        """A copy of the requests so far."""
        with self._lock:
            return list(self.requests)

    def _default_handler(self, req: Request) -> list[bytes]:
        if req.op == "snapshot":
            with self._lock:
                result = {"seq": self.seq, "view": self.view}
                return [ok_reply(req.id, result if self.epoch is None
                                 else {**result, "epoch": self.epoch})]
        return [ok_reply(req.id, {"op": req.op, "args": req.args})]

    def _serve(self) -> None:
        router = self._context.socket(zmq.ROUTER)
        router.setsockopt(zmq.LINGER, 0)
        port = router.bind_to_random_port("tcp://127.0.0.1")
        self.command_endpoint = f"tcp://127.0.0.1:{port}"
        self._ready.set()
        try:
            while not self._stop.is_set():
                if not router.poll(20, zmq.POLLIN):
                    continue
                frames = router.recv_multipart()
                identity, raw = frames[0], frames[-1]
                req = decode_request(raw)
                with self._lock:
                    self.requests.append((identity, req))
                    drop = self.drop_next > 0
                    if drop:
                        self.drop_next -= 1
                if drop:
                    continue
                for reply in self.handler(req):
                    router.send_multipart([identity, reply])
        finally:
            router.close(linger=0)

    # --- events ------------------------------------------------------------------------------

    def wait_subscribed(self, timeout_s: float = 5.0) -> None:
        """Block until a SUB socket subscribes (consumes XPUB notifications)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.pub.poll(50, zmq.POLLIN) and self.pub.recv()[:1] == b"\x01":
                return
        raise AssertionError("no subscriber showed up")

    def publish(self, seq: int, type_: str = "called", *, data: dict[str, Any] | None = None,
                view: dict[str, Any] | None = None) -> Event:
        """Publish one event and return it."""
        event = Event(seq=seq, type=type_, at=1_700_000_000.0 + seq, data=data or {},
                      view=view or {})
        self.pub.send_multipart(encode_event(event))
        return event

    def heartbeat(self, seq: int) -> None:
        """Publish a heartbeat carrying ``seq``."""
        self.pub.send_multipart(encode_heartbeat(seq, 1_700_000_000.0, epoch=self.epoch))

    def close(self) -> None:
        """Stop the thread (bounded) and close the sockets."""
        self._stop.set()
        self._thread.join(5.0)
        self.pub.close(linger=0)
