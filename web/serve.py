"""The console served by uvicorn on a thread of this process (tests, the bench, the demo).

``callnext web`` serves on the main thread (``web.run``); this runs the same app beside
other work and reports the port it got (port 0: any free one).
"""

from __future__ import annotations

import threading
import time
from types import TracebackType

from config.schema import Hall
from foundation.errors import CallnextError
from runtime.node import NodeRuntime
from web.app import Console, build_app
from web.run import console_for


class ConsoleStartError(CallnextError, RuntimeError):
    """The console's server did not start listening in time."""


class BackgroundConsole:
    """The console on a thread: ``start`` returns its URL, ``stop`` ends it.

    Args:
        hall: the hall.
        runtime: the node runtime (not started: ``start`` starts it, ``stop`` closes it).
        host: the address to listen on.
        port: the port (0: any free one).
    """

    def __init__(self, hall: Hall, runtime: NodeRuntime, *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        import uvicorn

        self.runtime = runtime
        self.console: Console = console_for(hall, runtime)
        self.server = uvicorn.Server(uvicorn.Config(
            build_app(self.console), host=host, port=port, log_level="warning",
            access_log=False, lifespan="on", timeout_graceful_shutdown=2))
        self._thread = threading.Thread(target=self.server.run, name="web-console",
                                        daemon=True)
        self.host = host
        self.url = ""

    def start(self, timeout_s: float = 10.0) -> str:
        """Start the runtime and the server; the console's base URL (``http://host:port``).

        Raises:
            ConsoleStartError: the server did not listen within ``timeout_s``.
        """
        self.runtime.start()
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.stop()
                raise ConsoleStartError("the staff console did not start listening; "
                                        "see the log above")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://{self.host}:{port}"
        return self.url

    def stop(self) -> None:
        """Stop the server (open event streams end) and close the runtime."""
        self.server.should_exit = True
        if self.console.hub is not None:
            hub = self.console.hub
            hub.publish_threadsafe_call(hub.close)
        if self._thread.is_alive():
            self._thread.join(10)
        self.runtime.close()

    def __enter__(self) -> BackgroundConsole:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
