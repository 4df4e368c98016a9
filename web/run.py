"""The web node's process: the node runtime (mirror, client), the app, uvicorn; READY and the
systemd watchdog from the event loop, so a wedged loop gets the node restarted."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path
from typing import Any

from config.schema import Hall
from foundation import sdnotify
from foundation.heap import settle_heap
from runtime.node import NodeRuntime
from runtime.security import node_security
from web.app import Console, build_app
from web.gateway import Broker

logger = logging.getLogger(__name__)

NODE_ID = "web"
"""The console's node id on the wire and its key's name (role ``web`` by name)."""


def console_for(hall: Hall, runtime: NodeRuntime) -> Console:
    """A ``Console`` reading ``runtime``'s mirror and sending through its client."""
    console = Console(hall, hall.web, Broker(runtime.client), runtime.view,
                      lambda: runtime.connected, runtime.broker_now)
    runtime.add_listener(console.listener())
    return console


async def _watchdog(runtime: NodeRuntime) -> None:
    """Pet systemd's watchdog from the loop and say whether the broker is reachable."""
    dog = sdnotify.Watchdog()
    last = ""
    while True:
        dog.pet()
        status = "connected to broker" if runtime.connected else "broker unreachable"
        if status != last:
            sdnotify.notify(status=f"web console: {status}")
            last = status
        await asyncio.sleep(1.0)


def run_web(config: Path | str, *, keys: str | None = None, insecure: bool = False,
            bind: str | None = None, port: int | None = None, node_id: str = NODE_ID) -> int:
    """Serve the staff console until SIGTERM/SIGINT.

    Args:
        config: the hall TOML file.
        keys: the CURVE keys directory instead of the hall file's.
        insecure: talk to an insecure broker.
        bind: the address to listen on (default: ``[web] bind``).
        port: the port (default: ``[web] port``).
        node_id: the node id (its key's name; role ``web`` by name).

    Returns:
        0 after a clean stop.

    Raises:
        CallnextError: the config or the keys cannot be used.
    """
    import uvicorn

    from config.load import load_hall

    hall = load_hall(config)
    socket_setup = node_security(hall, keys=keys, insecure=insecure).socket_setup(node_id)
    runtime = NodeRuntime(hall, node_id, socket_setup=socket_setup, timeout_ms=1500, retries=2)
    console = console_for(hall, runtime)
    app = build_app(console)
    host, chosen = bind or hall.web.bind, port or hall.web.port
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=chosen, log_level="warning",
                                           access_log=False, lifespan="on",
                                           timeout_graceful_shutdown=2))
    runtime.start()
    try:
        # uvloop and httptools when installed (the [web] extra), as `uvicorn` itself would.
        with asyncio.Runner(loop_factory=server.config.get_loop_factory()) as runner:
            runner.run(_serve(server, runtime, host, chosen))
    finally:
        sdnotify.notify(stopping=True)
        runtime.close()
    return 0


async def _serve(server: Any, runtime: NodeRuntime, host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    # SIGTERM/SIGINT stop the server gracefully and the command then exits 0, as every node
    # does (uvicorn's own handlers would re-raise the signal after shutting down).
    server.capture_signals = contextlib.nullcontext
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, setattr, server, "should_exit", True)
    watchdog = loop.create_task(_watchdog(runtime))
    # As every node: start-up objects (uvicorn's, the first snapshot) out of the collector's
    # full passes, once the server and the mirror are up.
    loop.call_later(3.0, settle_heap)
    logger.info("staff console on http://%s:%d/ (clerks: /counter)", host, port)
    sdnotify.notify(ready=True, status=f"web console on port {port}")
    try:
        await server.serve()
    finally:
        watchdog.cancel()
