"""Figures of a live broker process: round trips, durable throughput, event latency, memory.

Every figure goes through the real wire: a ``callnext broker`` process started
by ``callnext.demo.start_broker`` on 127.0.0.1, requests through the node-side
``RequestClient`` (or a bare DEALER where the client's blocking call would
hide the moment an event arrives), events on a SUB socket.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypedDict

import zmq

from bench.burst import run_burst
from bench.stats import LatencySummary, Throughput, summarize, throughput
from callnext.demo import start_broker, stop_broker
from protocol.client import RequestClient
from protocol.envelope import Event, Request, decode_event, decode_reply, encode_request

CLOCK_START = "2026-11-25T09:00"
"""A Wednesday morning: inside the example hall's opening hours for the whole run
(the broker's clock runs at real speed from here), so issue_ticket is never refused."""
COUNTERS = (1, 2, 3, 4, 5, 6)
"""The example hall's counters; every one of them serves ``general``."""
ISSUE_SERVICES = ("general", "reimburse", "enrol", "priority")
"""Kiosk services the throughput runs spread tickets over, so no single line grows long."""
SUBSCRIBER_SETTLE_S = 0.5
"""PUB drops what is sent before a new SUB connection is joined (the slow-joiner problem)."""
EVENT_WAIT_S = 5.0
"""Bound on waiting for one reply and its event; a lost one is counted, not waited for."""


class RoundTrips(TypedDict):
    """Request -> reply latency of durable commands and of the read-only snapshot."""

    durable: LatencySummary
    durable_by_op: dict[str, LatencySummary]
    snapshot: LatencySummary


class DurableThroughput(TypedDict):
    """issue_ticket completed per second, one client and several concurrent clients."""

    sequential: Throughput
    concurrent: Throughput
    by_clients: list[Throughput]
    """Every run, fewest clients first (``threads``: how many client processes)."""


class EventLatency(TypedDict):
    """Command sent -> its event received on a SUB socket (and -> its reply, same run)."""

    event: LatencySummary
    reply: LatencySummary
    lost: int


class Memory(TypedDict):
    """Resident memory of the broker process, from /proc/<pid>/status."""

    rss_kib: int
    peak_rss_kib: int


@contextlib.contextmanager
def running_broker(config: str | Path, data_dir: Path,
                   clock_start: str = CLOCK_START) -> Iterator[tuple[int, dict[str, str]]]:
    """A broker process on loopback for the duration of the block: ``(pid, endpoints)``."""
    process, endpoints = start_broker(str(config), data_dir, clock_start=clock_start, speed=1.0)
    try:
        yield process.pid, endpoints
    finally:
        stop_broker(process)


def read_memory(pid: int) -> Memory:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB.

    Raises:
        RuntimeError: the fields are missing (not Linux, or the process is gone).
    """
    fields: dict[str, int] = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(rest.split()[0])  # the kernel always reports kB
    if len(fields) != 2:
        raise RuntimeError(f"no VmRSS/VmHWM in /proc/{pid}/status")
    return Memory(rss_kib=fields["VmRSS"], peak_rss_kib=fields["VmHWM"])


def _mix_requests() -> Iterator[tuple[str, dict[str, Any]]]:
    """issue_ticket and call_next in turn: the queue stays short, as in a staffed hall.

    Every counter serves ``general``, so each call finds the ticket just issued
    and the call also finishes the counter's previous visitor: both ops write
    events, and both are journalled durably before the reply.
    """
    for counter in itertools.cycle(COUNTERS):
        yield "issue_ticket", {"service": "general"}
        yield "call_next", {"counter": counter}


def measure_round_trips(endpoint: str, count: int, warmup: int) -> RoundTrips:
    """Sequential request -> reply latencies: ``count`` durable commands, ``count`` snapshots.

    The warm-up requests (not measured) open the TCP connection and let both
    processes reach steady state (imports, caches, SQLite pages).
    """
    by_op: dict[str, list[float]] = {"issue_ticket": [], "call_next": []}
    snapshots: list[float] = []
    with RequestClient(endpoint, "bench-rtt", timeout_ms=5000) as client:
        mix = _mix_requests()
        for _ in range(warmup):
            client.request(*next(mix))
            client.request("snapshot", {})
        for _ in range(count):
            op, args = next(mix)
            began = time.perf_counter()
            client.request(op, args)
            by_op[op].append(time.perf_counter() - began)
        for _ in range(count):
            began = time.perf_counter()
            client.request("snapshot", {})
            snapshots.append(time.perf_counter() - began)
    durable = by_op["issue_ticket"] + by_op["call_next"]
    return RoundTrips(durable=summarize(durable),
                      durable_by_op={op: summarize(v) for op, v in by_op.items() if v},
                      snapshot=summarize(snapshots))


def _issue(client: RequestClient, count: int, offset: int) -> None:
    for i in range(count):
        client.request("issue_ticket",
                       {"service": ISSUE_SERVICES[(offset + i) % len(ISSUE_SERVICES)]})


def measure_throughput(endpoint: str, count: int, clients: int,
                       few: int = 0) -> DurableThroughput:
    """Durable issue_ticket per second: ``count`` from one client, then ``count`` from
    ``clients`` client processes at once, then (``few`` > 0) ``count`` from ``few``.

    Each concurrent client is a process of its own with its own ``RequestClient``
    (its own socket and ZeroMQ context), as the hall's nodes are: client threads of
    one process would share its GIL and measure the driver rather than the broker.
    """
    with RequestClient(endpoint, "bench-seq", timeout_ms=5000) as client:
        client.request("snapshot", {})  # connect before the clock starts
        began = time.perf_counter()
        _issue(client, count, 0)
        sequential = throughput(count, time.perf_counter() - began)
    concurrent = burst(endpoint, count, clients)
    runs = [sequential, concurrent]
    if 0 < few < clients:
        runs.append(burst(endpoint, count, few))
    return DurableThroughput(sequential=sequential, concurrent=concurrent,
                             by_clients=sorted(runs, key=lambda run: run["threads"]))


def burst(endpoint: str, count: int, clients: int) -> Throughput:
    """``count`` issue_ticket from ``clients`` processes started together (``bench.burst``)."""
    began, ended = run_burst(endpoint, count, clients, _burst_client)
    return throughput(count, ended - began, clients)


def _burst_client(endpoint: str, index: int, share: int, start: Callable[[], None]) -> None:
    """One burst process: connect, wait for the others, issue ``share`` tickets."""
    context = zmq.Context()  # its own, as a node's process has
    try:
        with RequestClient(endpoint, f"bench-client-{index}", timeout_ms=5000,
                           context=context) as client:
            client.request("snapshot", {})  # connected before the clock starts
            start()
            _issue(client, share, index)
    finally:
        context.destroy(linger=0)


def measure_event_latency(commands: str, events: str, count: int,
                          warmup: int = 20) -> EventLatency:
    """Time from sending a command to receiving its event on a SUB socket.

    One thread polls both the DEALER (replies) and the SUB (events) and stamps
    each message when it is read, so neither arrival waits behind the other;
    the client's blocking ``request`` would delay reading the event until the
    reply had been handled. issue_ticket (-> ``ticket_issued``) and call_next
    (-> ``called``) alternate; an event is matched to its command by type and
    ticket number, which the reply names.
    """
    context = zmq.Context()
    sub = context.socket(zmq.SUB)
    dealer = context.socket(zmq.DEALER)
    try:
        for sock in (sub, dealer):
            sock.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(events)
        dealer.connect(commands)
        time.sleep(SUBSCRIBER_SETTLE_S)
        poller = zmq.Poller()
        poller.register(sub, zmq.POLLIN)
        poller.register(dealer, zmq.POLLIN)
        event_s: list[float] = []
        reply_s: list[float] = []
        lost = 0
        mix = _mix_requests()
        for n in range(warmup + count):
            op, args = next(mix)
            timing = _one_event(poller, dealer, sub, f"bench-ev-{n}", op, args)
            if n < warmup:
                continue
            if timing is None:
                lost += 1
            else:
                reply_s.append(timing[0])
                event_s.append(timing[1])
    finally:
        sub.close()
        dealer.close()
        context.term()
    return EventLatency(event=summarize(event_s), reply=summarize(reply_s), lost=lost)


_EVENT_OF = {"issue_ticket": "ticket_issued", "call_next": "called"}
"""The event each op of the mix publishes for the ticket its reply names."""


def _one_event(poller: zmq.Poller, dealer: zmq.Socket[bytes], sub: zmq.Socket[bytes],
               rid: str, op: str, args: dict[str, Any]) -> tuple[float, float] | None:
    """Send one command; (reply latency, event latency) in seconds, None if either is lost."""
    wanted_type = _EVENT_OF[op]
    seen: dict[str, float] = {}  # ticket -> when its event of the wanted type arrived
    ticket: str | None = None
    replied_at: float | None = None
    frame = encode_request(Request(id=rid, op=op, node="bench-events", args=args))
    began = time.perf_counter()
    dealer.send(frame)
    deadline = began + EVENT_WAIT_S
    while True:
        if replied_at is not None and ticket is not None and ticket in seen:
            return replied_at - began, seen[ticket] - began
        remaining_ms = int((deadline - time.perf_counter()) * 1000)
        if remaining_ms <= 0:
            return None
        for sock, _ in poller.poll(remaining_ms):
            now = time.perf_counter()
            frames = sock.recv_multipart()
            if sock is sub:
                message = decode_event(frames)
                if isinstance(message, Event) and message.type == wanted_type:
                    seen[str(message.data.get("ticket"))] = now
                continue
            reply = decode_reply(frames[-1])
            if reply["id"] != rid:
                continue
            if not reply["ok"] or reply["result"].get("ticket") is None:
                return None
            replied_at, ticket = now, str(reply["result"]["ticket"])
