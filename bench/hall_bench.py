"""A scaled hall at ten times a real peak: 200 counters, 50 displays, 20 kiosks, one broker.

Everything goes through the real wire on loopback: one ``callnext broker``
process (``callnext.demo.start_broker``) on a hall built in code, 50
``StateMirror`` displays spread over a few worker processes (spawned, so no
state leaks from the driver), and the kiosks and counter callers as threads of
the driver process, each with its own ``RequestClient`` (its own DEALER).

The real peak (``REAL_PEAK_*``): a large hall at its busiest has every clerk
finishing a visitor about every 4 minutes, and visitors arriving at about one
per second. The benchmark drives ten times that: each of 200 counters calls
every 24 s on average (Poisson, so about 8.3 calls/s in all) and 20 kiosks
issue about 10 tickets/s between them. Arrivals outrun calls, as at a real
peak, so the lines grow and every call finds someone waiting.

Latencies are stamped with ``time.perf_counter_ns``, which on Linux is
CLOCK_MONOTONIC and so comparable between the driver and the mirror
processes: a call is stamped when ``call_next`` is sent and when its reply is
read (call latency), and each mirror stamps every ``called`` event when its
listener hears of it, i.e. when a display would redraw (display latency).
"""

from __future__ import annotations

import contextlib
import ctypes
import heapq
import logging
import math
import multiprocessing
import os
import queue
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, TypeAlias, TypedDict

import zmq

from bench.broker_bench import Memory, read_memory, running_broker
from bench.report import at_most
from bench.stats import LatencySummary, summarize
from config.load import effective_toml
from config.schema import Hall
from protocol.client import RequestClient
from protocol.envelope import Event
from protocol.errors import BrokerUnreachable, CommandRefused
from protocol.mirror import StateMirror

REAL_PEAK_CALL_INTERVAL_S = 240.0
"""A real peak: every clerk calls the next visitor about once per 4 minutes."""
REAL_PEAK_ARRIVALS_PER_S = 1.0
"""A real peak: about one visitor per second takes a ticket in a 200-counter hall."""
SPEEDUP = 10.0
"""How many times the real peak the benchmark drives."""
CLOCK_START = "2026-11-25T09:00"
"""A Wednesday morning, inside the hall's default hours (08:30-12:00) for the whole run."""
PREFIXES = "ABCDEFGHJKLMNPQRSTUWXZ"
"""Ticket prefixes, one per service (I, O, V and Y left out: I/O read as 1/0; Y is priority)."""
Progress: TypeAlias = "ctypes.Array[ctypes.c_longlong]"
"""Shared array of the last seq each mirror applied (written by the workers, read by the driver)."""
GOAL_CALL_ACK_P99_MS = 20.0
"""Issue #17: the scaled hall's call_next sent -> ack, p99."""
STEP_WAIT_S = 0.2
"""How long each display's ``step`` waits for a message: ``StateMirror``'s own ``poll_s``."""
REQUEST_TIMEOUT_MS = 5000
"""Generous: under CPU contention a reply may be slow, and a retry would blur the figure."""


@dataclass(frozen=True)
class HallParams:
    """Size and length of one scaled-hall run."""

    counters: int
    services: int
    mirrors: int
    workers: int
    kiosks: int
    caller_threads: int
    seconds: float
    call_gap_s: float = REAL_PEAK_CALL_INTERVAL_S / SPEEDUP
    """Mean time between two calls of one counter (each counter is a Poisson process)."""
    arrivals_per_s: float = REAL_PEAK_ARRIVALS_PER_S * SPEEDUP
    """Tickets per second from all kiosks together (each kiosk a Poisson process)."""
    prefill_per_service: int = 10
    """Tickets issued before the clock starts, so the first calls find someone waiting."""
    drain_s: float = 15.0
    """Longest wait after the load for every mirror to catch up with the broker's last seq."""
    ready_s: float = 40.0
    """Longest wait for the worker processes to start and every mirror to synchronise."""
    seed: int = 2026


FULL = HallParams(counters=200, services=10, mirrors=50, workers=3, kiosks=20,
                  caller_threads=8, seconds=20.0)
"""``make bench``: the full scaled hall for 20 s (about 40 s in all on 2 cores)."""
QUICK = HallParams(counters=200, services=10, mirrors=50, workers=3, kiosks=20,
                   caller_threads=8, seconds=4.0, drain_s=8.0)
"""``--quick``: the same hall for 4 s; the percentiles rest on few calls."""


class CallRecord(TypedDict):
    """One ``call_next`` as the caller saw it."""

    counter: int
    ticket: str | None
    sent_ns: int
    ack_ns: int


class MirrorRecord(TypedDict):
    """What one display mirror saw during the run."""

    name: str
    events: int
    """Events applied (every type), snapshots not counted."""
    called: list[tuple[str, int, int]]
    """(ticket, counter, perf_counter_ns when the listener heard of it) per ``called`` event."""
    first_seq: int
    """Seq of the first snapshot: events up to it were never the mirror's to see."""
    last_seq: int
    syncs: int
    """Snapshots that (re)synchronised the mirror: 1 when nothing was lost."""
    losses: int
    """Times the mirror noticed a gap or silence and declared itself lost."""
    step_errors: int


class HallResults(TypedDict):
    """Raw figures of one run; ``rows`` turns them into the table."""

    params: dict[str, Any]
    seconds: float
    call: LatencySummary
    idle: LatencySummary
    """The floor: durable command round trips of the prefill, one client and nothing else."""
    issue: LatencySummary
    display: LatencySummary
    calls: int
    calls_with_ticket: int
    calls_empty: int
    tickets_issued: int
    request_errors: int
    events_published: int
    events_seen: int
    events_expected: int
    sightings_expected: int
    sightings_missed: int
    mirrors: int
    mirrors_missing_events: int
    mirrors_caught_up: int
    resnapshots: int
    losses: int
    step_errors: int
    broker_rss_kib: int
    broker_peak_rss_kib: int
    broker_cpu_pct: float
    """CPU the broker process used during the load, in % of one CPU."""
    displays_cpu_pct: float
    """CPU the display processes used together during the load, in % of one CPU."""
    driver_cpu_pct: float
    """CPU the load generator (this process: kiosk and caller threads) used during the load."""
    mirror_cpu_us_per_event: float
    """The display processes' CPU during the load over the events their mirrors applied:
    what one mirror costs per event, wake-ups included."""
    cpus: int
    load_avg_1m: float
    """The machine's 1-minute load average before the run: other work skews the figures."""


# --- the hall ---------------------------------------------------------------------------------

def scaled_hall(counters: int, services: int, seed: int) -> Hall:
    """A hall of ``counters`` counters each serving 1-3 of ``services`` services.

    Service 0 is a priority service (优先办理, prefix Y) that a tenth of the
    counters serve first, as priority windows do; every other counter picks
    1-3 of the normal services at random (seeded), so lines overlap the way
    they do in a real hall.
    """
    if not 2 <= services <= len(PREFIXES) + 1:
        raise ValueError(f"services must be within 2..{len(PREFIXES) + 1}, got {services}")
    rng = random.Random(seed)
    table: list[dict[str, Any]] = [{
        "id": "priority", "prefix": "Y", "priority": True,
        "name": {"zh": "优先办理", "en": "Priority Service"},
    }]
    for i in range(1, services):
        table.append({"id": f"s{i}", "prefix": PREFIXES[i - 1],
                      "name": {"zh": f"业务{i}", "en": f"Service {i}"}})
    normal = [s["id"] for s in table[1:]]
    counter_table: list[dict[str, Any]] = []
    for number in range(1, counters + 1):
        chosen = rng.sample(normal, rng.randint(1, min(3, len(normal))))
        if number % 10 == 0:
            chosen = ["priority", *chosen[:2]]
        counter_table.append({"number": number, "services": chosen})
    return Hall.model_validate({
        "name": {"zh": "压力测试大厅", "en": "Scaled benchmark hall"},
        "services": table,
        "counters": counter_table,
    })


def write_hall(hall: Hall, folder: Path) -> Path:
    """Write ``hall`` as TOML into ``folder`` for the broker process; its path."""
    path = folder / "hall.toml"
    path.write_text(effective_toml(hall), encoding="utf-8")
    return path


# --- the display worker processes -------------------------------------------------------------

class _Recorder:
    """Listener of one mirror: counts what it applies and stamps every ``called`` event."""

    def __init__(self, mirror: StateMirror, slot: int, progress: Progress) -> None:
        self.mirror = mirror
        self.slot = slot
        self.progress = progress
        self.events = 0
        self.called: list[tuple[str, int, int]] = []
        self.first_seq = -1
        self.last_seq = 0
        self.syncs = 0
        self.losses = 0
        self.step_errors = 0

    def __call__(self, kind: str, payload: Any) -> None:
        # Stamp first: everything else done here would count as display latency.
        now = time.perf_counter_ns()
        if kind == "event" and isinstance(payload, Event):
            if self.first_seq < 0:
                # The mirror applies only seq+1 after a snapshot at seq (a gap makes it lose
                # sync), so the first event it applies names its first snapshot exactly. The
                # "connection" listener cannot: it runs after the whole step, whose later
                # events the mirror's seq already includes by then.
                self.first_seq = payload.seq - 1
            self.events += 1
            self.last_seq = payload.seq
            if payload.type == "called":
                self.called.append((str(payload.data.get("ticket")),
                                    int(payload.data.get("counter", 0)), now))
            self.progress[self.slot] = payload.seq
        elif kind == "connection":
            if payload:
                self.syncs += 1
                self.last_seq = max(self.last_seq, self.mirror.seq)
                self.progress[self.slot] = self.last_seq
            elif self.syncs:
                self.losses += 1

    def record(self) -> MirrorRecord:
        """The mirror's figures, picklable for the result queue."""
        seq = self.mirror.seq
        self.last_seq = max(self.last_seq, seq)
        if self.first_seq < 0:  # no event ever applied: everything was in the snapshot
            self.first_seq = seq
        return MirrorRecord(name=self.mirror.node, events=self.events, called=self.called,
                            first_seq=self.first_seq, last_seq=self.last_seq, syncs=self.syncs,
                            losses=self.losses, step_errors=self.step_errors)


def _step_loop(mirror: StateMirror, recorder: _Recorder, stop: threading.Event,
               deadline: float) -> None:
    """What a display's mirror thread does: ``step`` until told to stop (or the deadline)."""
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            # A display's own wait (StateMirror's poll_s); each empty wake-up of 50 mirror
            # threads costs the shared CPUs, so the harness wakes no more often than one.
            mirror.step(STEP_WAIT_S)
        except Exception:  # noqa: BLE001 - counted; a display keeps trying
            recorder.step_errors += 1
            stop.wait(0.1)


def mirror_worker(index: int, names: list[str], slots: list[int], commands: str, events: str,
                  progress: Progress, ready: Any, stop: Any, results: Any,
                  budget_s: float) -> None:
    """Entry point of one display worker process (spawned).

    Runs one thread per mirror, each calling ``step`` in a loop, the way a
    display node runs its mirror; a thread per mirror (rather than one loop
    over all) means no mirror waits behind another's poll timeout, so the
    latency measured is that of the mirror and the CPU, not of the harness.

    Args:
        index: this worker's number, sent back with its messages.
        names: node ids of its mirrors.
        slots: each mirror's index in ``progress``.
        commands: the broker's command endpoint.
        events: the broker's event endpoint.
        progress: shared array of the last seq each mirror applied, so the
            driver can wait until every display has caught up.
        ready: queue; ``("ready", index, all synchronised)`` once every mirror is
            synchronised (or the budget ran out, or starting failed).
        stop: event set by the driver when the run is over.
        results: queue; ``("result", index, [MirrorRecord, ...])`` at the end.
        budget_s: the longest this process lives, should the driver vanish.
    """
    # Losses are counted and reported; 50 mirrors logging each one would bury the table.
    logging.getLogger("protocol").setLevel(logging.ERROR)
    deadline = time.monotonic() + budget_s
    context = zmq.Context()
    halt = threading.Event()
    mirrors: list[StateMirror] = []
    recorders: list[_Recorder] = []
    threads: list[threading.Thread] = []
    signalled = False
    try:
        for name, slot in zip(names, slots, strict=True):
            mirror = StateMirror(commands, events, name, context=context)
            recorder = _Recorder(mirror, slot, progress)
            mirror.add_listener(recorder)
            mirrors.append(mirror)
            recorders.append(recorder)
        for mirror, recorder in zip(mirrors, recorders, strict=True):
            thread = threading.Thread(target=_step_loop, args=(mirror, recorder, halt, deadline),
                                      name=f"step-{mirror.node}", daemon=True)
            thread.start()
            threads.append(thread)
        while time.monotonic() < deadline and not all(m.connected for m in mirrors):
            time.sleep(0.05)
        ready.put(("ready", index, all(m.connected for m in mirrors)))
        signalled = True
        # Wake up now and then to honour the budget even if the driver never sets stop.
        while not stop.wait(0.5) and time.monotonic() < deadline:
            pass
    finally:
        if not signalled:
            # Tell the driver at once instead of letting it wait out its whole ready_s.
            ready.put(("ready", index, False))
        halt.set()
        for thread in threads:
            thread.join(2.0)
        alive = any(thread.is_alive() for thread in threads)
        if not alive:
            for mirror in mirrors:
                mirror.close()
            context.term()
        results.put(("result", index, [r.record() for r in recorders]))


def _spread(count: int, parts: int) -> list[list[int]]:
    """Indices 0..count-1 dealt round-robin into ``parts`` lists."""
    return [list(range(i, count, parts)) for i in range(parts)]


@dataclass(frozen=True)
class _Displays:
    """Handles on the running display workers."""

    progress: Progress
    finish: Callable[[], list[MirrorRecord]]
    pids: list[int]


@contextlib.contextmanager
def display_workers(params: HallParams, commands: str, events: str,
                    say: Callable[[str], None]) -> Iterator[_Displays]:
    """Start the mirror worker processes and wait until every mirror is synchronised.

    Yields the shared last-seq array, the workers' pids and a function that
    stops the workers and returns every mirror's record. The processes are
    terminated on the way out in any case.
    """
    spawn = multiprocessing.get_context("spawn")
    progress = spawn.Array("q", params.mirrors, lock=False)
    ready = spawn.Queue()
    results = spawn.Queue()
    stop = spawn.Event()
    budget_s = params.ready_s + params.seconds + params.drain_s + 60.0
    processes: list[BaseProcess] = []
    for index, slots in enumerate(_spread(params.mirrors, params.workers)):
        if not slots:
            continue
        names = [f"display-{slot + 1}" for slot in slots]
        process = spawn.Process(target=mirror_worker, name=f"bench-displays-{index}",
                                args=(index, names, slots, commands, events, progress, ready,
                                      stop, results, budget_s), daemon=True)
        processes.append(process)
    collected: list[MirrorRecord] = []

    def finish() -> list[MirrorRecord]:
        stop.set()
        pending = len(processes)
        deadline = time.monotonic() + 20.0
        # Read the results before joining: a child blocks on exit until its queue is drained.
        while pending and time.monotonic() < deadline:
            try:
                _kind, _index, records = results.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            collected.extend(records)
            pending -= 1
        if pending:
            raise RuntimeError(f"{pending} display worker(s) sent no results")
        return collected

    started: list[BaseProcess] = []
    try:
        for process in processes:
            process.start()
            started.append(process)
        say(f"{len(processes)} display processes, {params.mirrors} mirrors: synchronising")
        deadline = time.monotonic() + params.ready_s
        waiting = len(processes)
        while waiting:
            try:
                # Short waits, so a worker that died while starting is noticed at once.
                _kind, index, synced = ready.get(timeout=0.2)
            except queue.Empty:
                dead = [p.name for p in started if p.exitcode is not None]
                if dead:
                    raise RuntimeError(f"display worker(s) exited while starting: "
                                       f"{', '.join(dead)} (a spawned child imports the main "
                                       "module: is it guarded by __name__ == '__main__'?)"
                                       ) from None
                if time.monotonic() >= deadline:
                    raise RuntimeError(f"{waiting} display worker(s) not ready within "
                                       f"{params.ready_s:g} s") from None
                continue
            if not synced:
                raise RuntimeError(f"display worker {index} could not synchronise its mirrors")
            waiting -= 1
        yield _Displays(progress=progress, finish=finish,
                        pids=[p.pid for p in processes if p.pid is not None])
    finally:
        stop.set()
        for process in started:
            process.join(5.0)
        for process in started:
            if process.is_alive():
                process.terminate()
                process.join(5.0)
            if process.is_alive():
                process.kill()
                process.join(5.0)
        for channel in (ready, results):
            channel.close()
            channel.join_thread()


# --- the driver: kiosks and callers -----------------------------------------------------------

class _Load:
    """Kiosk and caller threads of the driver process, and what they recorded."""

    def __init__(self, params: HallParams, hall: Hall, commands: str) -> None:
        self.params = params
        self.hall = hall
        self.commands = commands
        self.context = zmq.Context()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.calls: list[CallRecord] = []
        self.issues: list[float] = []
        self.prefill_s: list[float] = []
        """Round trips of the prefill's tickets: one client, nothing else running."""
        self.errors = 0
        self.threads: list[threading.Thread] = []
        self.clients: list[RequestClient] = []

    def client(self, node: str) -> RequestClient:
        """A request client of its own for one node, on the shared context."""
        made = RequestClient(self.commands, node, timeout_ms=REQUEST_TIMEOUT_MS,
                             context=self.context)
        self.clients.append(made)
        return made

    def prefill(self) -> int:
        """Issue ``prefill_per_service`` tickets of every service; how many were issued."""
        client = self.client("bench-prefill")
        issued = 0
        for _ in range(self.params.prefill_per_service):
            for service in self.hall.services:
                sent = time.perf_counter()
                client.request("issue_ticket", {"service": service.id})
                self.prefill_s.append(time.perf_counter() - sent)
                issued += 1
        return issued

    def start(self, began: float, end: float) -> None:
        """Start the kiosk and caller threads; they run from ``began`` to ``end`` (monotonic)."""
        rng = random.Random(self.params.seed)
        kiosk_rate = self.params.arrivals_per_s / self.params.kiosks
        weights = [0.5 if s.priority else 1.0 for s in self.hall.services]
        for k in range(self.params.kiosks):
            self.threads.append(threading.Thread(
                target=self._kiosk, name=f"kiosk-{k + 1}",
                args=(self.client(f"kiosk-{k + 1}"), random.Random(rng.random()), kiosk_rate,
                      weights, began, end), daemon=True))
        mean_gap = self.params.call_gap_s
        numbers = [c.number for c in self.hall.counters]
        for t, share in enumerate(_spread(len(numbers), self.params.caller_threads)):
            if not share:
                continue
            counters = {numbers[i]: self.client(f"caller-{numbers[i]}") for i in share}
            self.threads.append(threading.Thread(
                target=self._callers, name=f"callers-{t + 1}",
                args=(counters, random.Random(rng.random()), mean_gap, began, end), daemon=True))
        for thread in self.threads:
            thread.start()

    def join(self, timeout_s: float) -> None:
        """Wait for the threads (each request is itself bounded by its timeout and retries)."""
        deadline = time.monotonic() + timeout_s
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self.stop.set()
        stuck = [t.name for t in self.threads if t.is_alive()]
        if stuck:
            raise RuntimeError(f"load threads still running: {', '.join(stuck)}")

    def close(self) -> None:
        """Stop the threads and close every client and the shared context."""
        self.stop.set()
        for thread in self.threads:
            thread.join(REQUEST_TIMEOUT_MS / 1000.0 * 3 + 1.0)
        for made in self.clients:
            made.close()
        self.context.term()

    def _sleep_until(self, when: float) -> bool:
        """Sleep until ``when`` (monotonic); False when told to stop meanwhile."""
        return not self.stop.wait(max(0.0, when - time.monotonic()))

    def _kiosk(self, client: RequestClient, rng: random.Random, rate: float,
               weights: list[float], began: float, end: float) -> None:
        """Issue tickets as a Poisson process of ``rate`` per second until ``end``."""
        services = [s.id for s in self.hall.services]
        at = began + rng.expovariate(rate)
        while at < end and self._sleep_until(at):
            service = rng.choices(services, weights)[0]
            sent = time.perf_counter()
            try:
                client.request("issue_ticket", {"service": service})
            except (BrokerUnreachable, CommandRefused):
                with self.lock:
                    self.errors += 1
            else:
                with self.lock:
                    self.issues.append(time.perf_counter() - sent)
            # Open loop: the next arrival does not wait for a slow reply to be made up for.
            at = max(at + rng.expovariate(rate), time.monotonic())

    def _callers(self, clients: dict[int, RequestClient], rng: random.Random, mean_gap: float,
                 began: float, end: float) -> None:
        """Call next at each counter as its own Poisson process (mean gap ``mean_gap``)."""
        due = [(began + rng.expovariate(1.0 / mean_gap), number) for number in clients]
        heapq.heapify(due)
        while due:
            at, number = heapq.heappop(due)
            if at >= end or not self._sleep_until(at):
                break
            sent = time.perf_counter_ns()
            try:
                result = clients[number].request("call_next", {"counter": number})
            except (BrokerUnreachable, CommandRefused):
                with self.lock:
                    self.errors += 1
            else:
                ack = time.perf_counter_ns()
                ticket = result.get("ticket")
                with self.lock:
                    self.calls.append(CallRecord(counter=number, sent_ns=sent, ack_ns=ack,
                                                 ticket=None if ticket is None else str(ticket)))
            heapq.heappush(due, (max(at + rng.expovariate(1.0 / mean_gap), time.monotonic()),
                                 number))


# --- measuring --------------------------------------------------------------------------------

def _cpu_ticks(pid: int) -> int:
    """User + system CPU time of a process, in clock ticks (from /proc/<pid>/stat)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        # The command name may contain spaces; the fields after its ')' are fixed.
        fields = stat.read().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])


def _say(message: str) -> None:
    """Progress on stderr, so stdout holds only the table."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _snapshot_seq(commands: str) -> int:
    """The broker's current seq, from a fresh ``snapshot``."""
    with RequestClient(commands, "bench-seq", timeout_ms=REQUEST_TIMEOUT_MS) as client:
        return int(client.request("snapshot", {})["seq"])


def _wait_caught_up(progress: Progress, seq: int, timeout_s: float) -> int:
    """Wait until every mirror applied ``seq``; how many had when the wait ended."""
    deadline = time.monotonic() + timeout_s
    while True:
        done = sum(1 for value in progress[:] if value >= seq)
        if done == len(progress) or time.monotonic() >= deadline:
            return done
        time.sleep(0.05)


def measure(params: HallParams = FULL, *, work_dir: Path | None = None,
            say: Callable[[str], None] = _say) -> HallResults:
    """Run the scaled hall once and return its raw figures.

    Args:
        params: hall size and run length.
        work_dir: where the hall file and journal go (default: a temporary
            folder, removed afterwards).
        say: progress reporter.
    """
    hall = scaled_hall(params.counters, params.services, params.seed)
    load_avg = os.getloadavg()[0]
    began_all = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="callnext-hall-", dir=work_dir) as tmp:
        config = write_hall(hall, Path(tmp))
        with running_broker(config, Path(tmp) / "data", clock_start=CLOCK_START) as (pid, ep):
            say(f"scaled hall: broker pid {pid}, {params.counters} counters, "
                f"{params.services} services")
            load = _Load(params, hall, ep["commands"])
            try:
                prefilled = load.prefill()
                with display_workers(params, ep["commands"], ep["events"], say) as displays:
                    start_seq = _snapshot_seq(ep["commands"])
                    say(f"load for {params.seconds:g} s: {params.kiosks} kiosks, "
                        f"{params.counters} callers, {_peak_text(params)}")
                    watched = [pid, *displays.pids]
                    cpu_before = [_cpu_ticks(p) for p in watched]
                    driver_before = time.process_time()
                    began = time.monotonic()
                    load.start(began, began + params.seconds)
                    load.join(params.seconds + REQUEST_TIMEOUT_MS / 1000.0 * 3 + 5.0)
                    elapsed = time.monotonic() - began
                    ticks_per_s = os.sysconf("SC_CLK_TCK") * elapsed
                    cpu_pct = [(_cpu_ticks(p) - before) / ticks_per_s * 100.0
                               for p, before in zip(watched, cpu_before, strict=True)]
                    cpu_pct.append((time.process_time() - driver_before) / elapsed * 100.0)
                    memory = read_memory(pid)
                    final_seq = _snapshot_seq(ep["commands"])
                    caught_up = _wait_caught_up(displays.progress, final_seq, params.drain_s)
                    say(f"{caught_up} of {params.mirrors} mirrors at seq {final_seq}; "
                        "collecting")
                    records = displays.finish()
            finally:
                load.close()
    results = _figures(params, load, records, start_seq=start_seq, final_seq=final_seq,
                       caught_up=caught_up, seconds=time.perf_counter() - began_all,
                       memory=memory, cpu_pct=cpu_pct, load_s=elapsed, load_avg=load_avg)
    say(f"scaled hall done in {results['seconds']} s ({prefilled} tickets prefilled)")
    return results


def _figures(params: HallParams, load: _Load, records: list[MirrorRecord], *, start_seq: int,
             final_seq: int, caught_up: int, seconds: float, memory: Memory,
             cpu_pct: list[float], load_s: float, load_avg: float) -> HallResults:
    """Latencies and counts from what the callers and the mirrors recorded.

    ``cpu_pct`` is the broker's share first, then each display process's, then the driver's,
    over the ``load_s`` seconds of the load.
    """
    sent_by_ticket = {c["ticket"]: c["sent_ns"] for c in load.calls if c["ticket"] is not None}
    display_s: list[float] = []
    missed = 0
    missing_mirrors = 0
    events_expected = 0
    for record in records:
        seen = {ticket for ticket, _counter, _ns in record["called"]}
        for ticket, _counter, ns in record["called"]:
            sent = sent_by_ticket.get(ticket)
            if sent is not None:
                display_s.append((ns - sent) / 1e9)
        lost_here = sum(1 for ticket in sent_by_ticket if ticket not in seen)
        missed += lost_here
        # Every event after the mirror's first snapshot was its to see.
        # (Tick events may have moved a mirror past the seq the driver last read.)
        expected_here = max(final_seq, record["last_seq"]) - max(record["first_seq"], 0)
        events_expected += expected_here
        if lost_here or record["events"] < expected_here:
            missing_mirrors += 1
    calls = load.calls
    events_seen = sum(r["events"] for r in records)
    if not calls or not display_s or not load.issues:
        # An empty sample has no percentiles; a run this short measured nothing.
        raise RuntimeError(f"nothing to measure: {len(calls)} calls, {len(load.issues)} "
                           f"tickets, {len(display_s)} display sightings")
    return HallResults(
        params=asdict(params),
        seconds=round(seconds, 1),
        call=summarize([(c["ack_ns"] - c["sent_ns"]) / 1e9 for c in calls]),
        idle=summarize(load.prefill_s),
        issue=summarize(load.issues),
        display=summarize(display_s),
        calls=len(calls),
        calls_with_ticket=len(sent_by_ticket),
        calls_empty=sum(1 for c in calls if c["ticket"] is None),
        tickets_issued=len(load.issues),
        request_errors=load.errors,
        events_published=final_seq - start_seq,
        events_seen=events_seen,
        events_expected=events_expected,
        sightings_expected=len(sent_by_ticket) * len(records),
        sightings_missed=missed,
        mirrors=len(records),
        mirrors_missing_events=missing_mirrors,
        mirrors_caught_up=caught_up,
        resnapshots=sum(max(r["syncs"] - 1, 0) for r in records),
        losses=sum(r["losses"] for r in records),
        step_errors=sum(r["step_errors"] for r in records),
        broker_rss_kib=memory["rss_kib"],
        broker_peak_rss_kib=memory["peak_rss_kib"],
        broker_cpu_pct=round(cpu_pct[0], 1),
        displays_cpu_pct=round(sum(cpu_pct[1:-1]), 1),
        driver_cpu_pct=round(cpu_pct[-1], 1),
        mirror_cpu_us_per_event=round(sum(cpu_pct[1:-1]) / 100.0 * load_s * 1e6
                                      / max(events_seen, 1), 1),
        cpus=os.cpu_count() or 0,
        load_avg_1m=round(load_avg, 2),
    )


# --- the table --------------------------------------------------------------------------------

def _peak_text(params: HallParams) -> str:
    """How the load compares with the real peak, e.g. '10x a real peak (...)'."""
    calls_x = REAL_PEAK_CALL_INTERVAL_S / params.call_gap_s
    arrivals_x = params.arrivals_per_s / REAL_PEAK_ARRIVALS_PER_S
    scale = (f"{calls_x:g}x" if math.isclose(calls_x, arrivals_x)
             else f"calls {calls_x:g}x, arrivals {arrivals_x:g}x")
    return (f"{scale} a real peak (each counter calling once per "
            f"{REAL_PEAK_CALL_INTERVAL_S / 60:g} min, {REAL_PEAK_ARRIVALS_PER_S:g} arrival/s)")


def rows(results: HallResults) -> list[dict[str, Any]]:
    """The figures as table rows: ``{"figure", "value", "unit", "how"}``."""
    p = results["params"]
    load = (f"{p['counters']} counters x 1 call per {p['call_gap_s']:g} s + "
            f"{p['arrivals_per_s']:g} tickets/s from {p['kiosks']} kiosks for "
            f"{p['seconds']:g} s: {_peak_text(HallParams(**p))}")
    shared = (f"broker, {p['workers']} display processes, kiosk+caller threads all on "
              f"{results['cpus']} CPUs, so CPU queueing is part of the figure (load average "
              f"{results['load_avg_1m']:g} before the run)")
    call, display = results["call"], results["display"]
    mib = results["broker_rss_kib"] / 1024.0
    return [
        {"figure": "hall: call_next sent -> ack, p50", "value": call["p50_ms"], "unit": "ms",
         "how": f"{call['count']} calls; {load}"},
        {"figure": "hall: call_next sent -> ack, p99", "value": call["p99_ms"], "unit": "ms",
         "how": f"{at_most(call['p99_ms'], GOAL_CALL_ACK_P99_MS, 'ms')}; same calls; "
                f"max {call['max_ms']:.1f} ms; {shared}"},
        {"figure": "hall: floor: idle durable command round trip, p99",
         "value": results["idle"]["p99_ms"], "unit": "ms",
         "how": f"p50 {results['idle']['p50_ms']:.1f} ms over the {results['idle']['count']} "
                "prefill tickets, one client, before the mirrors and the load started (loopback "
                "+ decide + journal commit); the ack above minus this is waiting for a CPU"},
        {"figure": "hall: call -> seen on displays, p50", "value": display["p50_ms"],
         "unit": "ms",
         "how": f"call_next sent -> 'called' heard by a StateMirror listener, "
                f"{display['count']} sightings over {results['mirrors']} mirrors in "
                f"{p['workers']} spawned processes (a thread per mirror)"},
        {"figure": "hall: call -> seen on displays, p99", "value": display["p99_ms"],
         "unit": "ms", "how": f"same sightings; max {display['max_ms']:.1f} ms; {shared}"},
        {"figure": "hall: calls made", "value": float(results["calls"]), "unit": "calls",
         "how": f"{results['calls_with_ticket']} called a ticket, {results['calls_empty']} "
                f"found nobody waiting; {results['request_errors']} requests failed"},
        {"figure": "hall: tickets issued", "value": float(results["tickets_issued"]),
         "unit": "tickets", "how": f"by {p['kiosks']} kiosks (Poisson), after "
                                   f"{p['prefill_per_service']} per service prefilled"},
        {"figure": "hall: events seen by all mirrors", "value": float(results["events_seen"]),
         "unit": "events",
         "how": f"of {results['events_expected']} due ({results['events_published']} published "
                f"during the load x {results['mirrors']} mirrors, less before each one synced)"},
        {"figure": "hall: mirrors that missed events", "value":
            float(results["mirrors_missing_events"]), "unit": "mirrors",
         "how": f"{results['sightings_missed']} of {results['sightings_expected']} call "
                f"sightings missed; {results['mirrors_caught_up']} of {results['mirrors']} "
                f"reached the last seq"},
        {"figure": "hall: mirror resnapshots", "value": float(results["resnapshots"]),
         "unit": "snapshots",
         "how": f"after the first; {results['losses']} losses (gap or silence), "
                f"{results['step_errors']} step errors"},
        {"figure": "hall: broker RSS", "value": round(mib, 1), "unit": "MiB",
         "how": f"VmRSS after the load (peak VmHWM "
                f"{results['broker_peak_rss_kib'] / 1024.0:.1f} MiB)"},
        {"figure": "hall: broker CPU", "value": results["broker_cpu_pct"],
         "unit": "% of 1 CPU", "how": "user+system time of the broker process during the load"},
        {"figure": "hall: display processes' CPU", "value": results["displays_cpu_pct"],
         "unit": "% of 1 CPU",
         "how": f"user+system time of the {p['workers']} mirror processes together during the "
                f"load ({results['mirrors']} mirrors)"},
        {"figure": "hall: load generator CPU", "value": results["driver_cpu_pct"],
         "unit": "% of 1 CPU",
         "how": f"user+system time of the driver process ({p['kiosks']} kiosk and "
                f"{p['caller_threads']} caller threads) during the load"},
        {"figure": "hall: display CPU per event per mirror",
         "value": results["mirror_cpu_us_per_event"], "unit": "us",
         "how": "the display processes' CPU during the load over the events their mirrors "
                "applied: decode, apply, listeners, and the wake-ups of a thread per mirror"},
    ]


def run(quick: bool) -> list[dict[str, Any]]:
    """Run the scaled hall (``QUICK`` or ``FULL``) and return its table rows."""
    return rows(measure(QUICK if quick else FULL))
