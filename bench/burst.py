"""Concurrent clients as processes: a burst started together, timed across processes.

Client threads of one Python process share its GIL: with 20 of them the driver,
not the broker, sets the pace. Here each client is a process of its own (the
hall's nodes are), forked from a clean ``forkserver`` that has the benchmark's
modules imported already, so starting 20 of them costs little (the calling
script's main module must be import-safe, as ``multiprocessing`` asks). The
clients connect, say they are ready, start together on one signal, then work; each stamps when it started and ended
(``time.monotonic``, one clock for every process on Linux), and the burst lasts
from the first start to the last end. Every wait is bounded.
"""

from __future__ import annotations

import multiprocessing
import queue
import time
from collections.abc import Callable
from typing import Any

BURST_TIMEOUT_S = 120.0
"""Bound on the whole burst: connecting, the barrier, and every client's work."""

Work = Callable[[str, int, int, Callable[[], None]], None]
"""``work(endpoint, index, share, start)``: connect, call ``start()``, then do ``share`` ops.

A module-level function (it is sent to the client process by reference)."""


class BurstError(RuntimeError):
    """A client of the burst failed or did not finish in time; its reason is named."""


def shares(count: int, clients: int) -> list[int]:
    """``count`` split over ``clients`` as evenly as whole numbers allow."""
    return [count // clients + (1 if i < count % clients else 0) for i in range(clients)]


def _context() -> Any:
    """The forkserver context, its server preloaded with the benchmark's client side."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["bench.broker_bench"])
    return context


def _client(work: Work, endpoint: str, index: int, share: int, go: Any, results: Any,
            timeout_s: float) -> None:
    """One client process: says when it is ready, works from ``go``, reports its stamps."""
    stamps: list[float] = []

    def start() -> None:
        results.put(("ready", index, None, None))
        if not go.wait(timeout_s):
            raise BurstError("the burst never started")
        stamps.append(time.monotonic())

    try:
        work(endpoint, index, share, start)
    except BaseException as err:  # noqa: BLE001 - reported to the parent, which raises
        results.put(("failed", index, None, f"{type(err).__name__}: {err}"))
        return
    results.put(("done", index, stamps[0] if stamps else None, time.monotonic()))


def run_burst(endpoint: str, count: int, clients: int, work: Work,
              timeout_s: float = BURST_TIMEOUT_S) -> tuple[float, float]:
    """Run ``count`` ops of ``work`` over ``clients`` processes started together.

    Returns:
        ``(began, ended)`` on the ``time.monotonic`` clock: the first client's start
        and the last client's end.

    Raises:
        BurstError: a client failed or died, or the burst outlasted ``timeout_s``.
    """
    context = _context()
    go, results = context.Event(), context.Queue()
    processes = [context.Process(target=_client, name=f"bench-client-{i}", daemon=True,
                                 args=(work, endpoint, i, share, go, results, timeout_s))
                 for i, share in enumerate(shares(count, clients))]
    deadline = time.monotonic() + timeout_s
    try:
        for process in processes:
            process.start()
        _collect(results, "ready", processes, deadline)
        go.set()  # every client is connected: they start together
        done = _collect(results, "done", processes, deadline)
    finally:
        go.set()  # a client still waiting gives up at once
        for process in processes:
            process.join(max(0.1, min(5.0, deadline - time.monotonic())))
            if process.is_alive():
                process.terminate()
                process.join(5.0)
    return min(d[2] for d in done), max(d[3] for d in done)


def _collect(results: Any, kind: str, processes: list[Any],
             deadline: float) -> list[tuple[str, int, Any, Any]]:
    """One ``kind`` message from every client; a failure, a death or the deadline raises."""
    found: list[tuple[str, int, Any, Any]] = []
    while len(found) < len(processes):
        try:
            message = results.get(timeout=0.5)
        except queue.Empty:
            dead = [p for p in processes if p.exitcode not in (None, 0)]
            if dead:
                raise BurstError(f"burst client process {dead[0].name} died "
                                 f"(exit status {dead[0].exitcode})") from None
            if time.monotonic() > deadline:
                raise BurstError(f"{len(processes) - len(found)} of {len(processes)} burst "
                                 f"clients were not {kind} in time") from None
            continue
        if message[0] == "failed":
            raise BurstError(f"burst client {message[1]} failed: {message[3]}")
        found.append(message)
    return found
