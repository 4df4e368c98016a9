"""A ZAP authenticator in a plain thread: pyzmq's decisions, without asyncio.

pyzmq's ``zmq.auth.thread.ThreadAuthenticator`` runs its ZAP handler on an asyncio
event loop in a thread, so importing it loads asyncio and ssl: about 3 MiB of the
broker's 40 MiB budget (issue #17) for a loop that only ever waits on two sockets.
This thread waits on them with ``zmq.Poller`` instead and lets pyzmq's own
``Authenticator`` decide each request, so the checks (CURVE keys from the keys
directory, address lists) are pyzmq's, unchanged.

``Authenticator.handle_zap_message`` is a coroutine only because a CURVE
credentials *callback* may be asynchronous; with keys from a directory (the
broker's case) it never waits, so the thread runs it to completion in one step.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Coroutine
from typing import Any

import zmq
from zmq.auth.base import Authenticator

from foundation.errors import CallnextError

START_TIMEOUT_S = 10.0
"""How long ``start`` waits for the thread to listen before giving up."""
STOP_TIMEOUT_S = 5.0
"""How long ``stop`` waits for the thread to finish its request in hand."""
TERMINATE = b"TERMINATE"


class ZapError(CallnextError, RuntimeError):
    """The ZAP thread did not start, or a request needed an event loop."""


def run_to_completion(step: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine that never waits (pyzmq's ZAP handler without async callbacks).

    Raises:
        ZapError: it waited on something: only an event loop could carry it on.
    """
    try:
        step.send(None)
    except StopIteration:
        return
    step.close()
    raise ZapError("a ZAP request waited on an asynchronous credentials callback; the "
                   "broker's ZAP thread has no event loop (use keys from a directory)")


class ZapThreadAuthenticator(Authenticator):
    """``zmq.auth`` authentication (``configure_curve`` and friends) served by a thread.

    The same interface as pyzmq's ``ThreadAuthenticator``: ``start()`` before the first
    ``bind``, ``stop()`` before the context is terminated.
    """

    def __init__(self, context: zmq.Context[Any] | None = None, encoding: str = "utf-8",
                 log: logging.Logger | None = None) -> None:
        super().__init__(context=context, encoding=encoding, log=log)
        self._pipe: zmq.Socket[Any] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Bind the ZAP socket and start the thread that answers it.

        Raises:
            ZapError: the thread did not get going within ``START_TIMEOUT_S``.
        """
        super().start()
        endpoint = f"inproc://callnext-zap-{id(self)}"
        self._pipe = self.context.socket(zmq.PAIR)
        self._pipe.linger = 0
        self._pipe.bind(endpoint)
        thread_end = self.context.socket(zmq.PAIR)
        thread_end.linger = 0
        thread_end.connect(endpoint)
        listening = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(thread_end, listening),
                                        name="zap", daemon=True)
        self._thread.start()
        if not listening.wait(START_TIMEOUT_S):
            raise ZapError("the ZAP authenticator thread did not start")

    def _serve(self, pipe: zmq.Socket[Any], listening: threading.Event) -> None:
        poller = zmq.Poller()
        poller.register(pipe, zmq.POLLIN)
        poller.register(self.zap_socket, zmq.POLLIN)
        listening.set()
        try:
            while True:
                ready = dict(poller.poll())
                if pipe in ready and pipe.recv() == TERMINATE:
                    return
                if self.zap_socket in ready:
                    self._answer(self.zap_socket.recv_multipart())
        finally:
            pipe.close()

    def _answer(self, request: list[bytes]) -> None:
        try:
            run_to_completion(self.handle_zap_message(request))
        except ZapError as err:
            # Unanswered, that one handshake fails; the thread stays for the next ones.
            self.log.error("%s", err)

    def is_alive(self) -> bool:
        """Is the ZAP thread answering requests?"""
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Stop the thread, then close the ZAP socket. Idempotent."""
        if self._pipe is not None:
            self._pipe.send(TERMINATE)
            if self._thread is not None:
                self._thread.join(STOP_TIMEOUT_S)
            self._thread = None
            self._pipe.close()
            self._pipe = None
        super().stop()
