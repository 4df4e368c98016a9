"""Push versus polling: how stale a hall display is when it polls the broker every 2 s.

The best-known open-source queue system updates its screen by polling the
server every couple of seconds. This benchmark runs, side by side against the
same broker and the same calls, a ``StateMirror`` display (push: snapshot once,
then events) and a poller that asks for a ``snapshot`` every ``poll_s``
seconds, while a driver issues tickets and calls at a steady mean rate.

For every call that called a ticket, staleness is the time the display first
shows that counter serving that ticket, minus the time the caller read the
call's acknowledgement. Both displays stamp a view with
``time.perf_counter_ns`` the moment it reaches them (the mirror's ``state``
listener, the poller's snapshot reply), before looking at it. A push figure
may be slightly negative: the broker replies and then publishes, and the
mirror's thread may read the event before the driver's thread reads the reply.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypedDict

from bench.broker_bench import running_broker
from bench.hall_bench import CLOCK_START, REQUEST_TIMEOUT_MS, write_hall
from bench.stats import LatencySummary, summarize
from config.schema import Hall
from protocol.client import RequestClient
from protocol.errors import BrokerUnreachable, CommandRefused
from protocol.mirror import StateMirror

SERVICES = (("general", "A", "综合业务", "General Services"),
            ("reimburse", "C", "医疗费用报销", "Medical Expense Reimbursement"),
            ("enrol", "D", "参保登记", "Enrolment"))
"""The services of the benchmark hall; every counter serves all of them (一窗通办)."""
READY_S = 10.0
"""Longest wait for the push mirror's first snapshot."""


@dataclass(frozen=True)
class PollParams:
    """Size and pace of one push-versus-polling run."""

    counters: int
    seconds: float
    poll_s: float
    calls_per_s: float
    prefill: int = 30
    """Tickets issued before the clock starts, so every call finds someone waiting."""
    seed: int = 2026


FULL = PollParams(counters=20, seconds=30.0, poll_s=2.0, calls_per_s=4.0)
"""``make bench``: 30 s of calls at 4/s (about 120 samples), the poller on its real 2 s period.
Each counter is called about every 5 s, longer than a poll period, so a poller rarely
misses a call outright and the figure is about delay, not loss."""
QUICK = PollParams(counters=20, seconds=6.0, poll_s=1.0, calls_per_s=4.0)
"""``--quick``: 6 s with a 1 s poll period, so the poller still polls a few times."""


class DisplayResult(TypedDict):
    """Staleness of one display and the snapshot requests it sent."""

    staleness: LatencySummary
    shown: int
    never_shown: int
    requests: int
    """Push: snapshots after the first (each one a recovery); polling: every poll."""
    requests_per_s: float


class PollResults(TypedDict):
    """Raw figures of one run; ``rows`` turns them into the table."""

    params: dict[str, Any]
    seconds: float
    calls: int
    tickets_issued: int
    request_errors: int
    push: DisplayResult
    poll: DisplayResult
    snapshot_bytes: int
    poll_bytes_per_s: float
    push_resnapshots: int
    load_avg_1m: float
    """The machine's 1-minute load average before the run: other work skews the figures."""


def hall(counters: int) -> Hall:
    """A hall of ``counters`` counters that each serve every service."""
    return Hall.model_validate({
        "name": {"zh": "轮询对比大厅", "en": "Push versus polling hall"},
        "services": [{"id": sid, "prefix": prefix, "name": {"zh": zh, "en": en}}
                     for sid, prefix, zh, en in SERVICES],
        "counters": [{"number": n, "services": [s[0] for s in SERVICES]}
                     for n in range(1, counters + 1)],
    })


class FirstSeen:
    """When a display first showed each (counter, ticket) pair."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.first: dict[tuple[int, str], int] = {}

    def observe(self, view: dict[str, Any], ns: int) -> None:
        """Note every counter's serving ticket in ``view``, shown at ``ns``."""
        counters = view.get("counters")
        if not isinstance(counters, dict):
            return
        with self._lock:
            for key, counter in counters.items():
                serving = counter.get("serving") if isinstance(counter, dict) else None
                if serving is not None:
                    self.first.setdefault((int(key), str(serving)), ns)


class _PushDisplay:
    """A StateMirror display: marks what its ``state`` listener shows, counts snapshots."""

    def __init__(self, commands: str, events: str) -> None:
        self.seen = FirstSeen()
        self.syncs: list[float] = []
        self.mirror = StateMirror(commands, events, "display-push")
        self.mirror.add_listener(self._listen)

    def _listen(self, kind: str, payload: Any) -> None:
        now = time.perf_counter_ns()
        if kind == "state" and isinstance(payload, dict):
            self.seen.observe(payload, now)
        elif kind == "connection" and payload:
            self.syncs.append(time.monotonic())

    def start(self) -> None:
        """Run the mirror's own step thread and wait for its first snapshot."""
        self.mirror.start()
        deadline = time.monotonic() + READY_S
        # Wait for the listener, not for ``connected``: the flag flips before listeners run,
        # and the first sync must be counted before the load starts, not during it.
        while not self.syncs:
            if time.monotonic() >= deadline:
                raise RuntimeError(f"the push mirror did not synchronise within {READY_S:g} s")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the mirror thread and close its sockets."""
        self.mirror.stop()


class _PollDisplay:
    """A display that asks for a whole snapshot every ``period_s`` seconds."""

    def __init__(self, commands: str, period_s: float) -> None:
        self.seen = FirstSeen()
        self.period_s = period_s
        self.client = RequestClient(commands, "display-poll", timeout_ms=REQUEST_TIMEOUT_MS)
        self.polls: list[tuple[float, int]] = []  # (monotonic when sent, snapshot bytes)
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="display-poll", daemon=True)

    def start(self) -> None:
        """Start polling now (first poll at once, then every ``period_s``)."""
        self._thread.start()

    def stop(self) -> None:
        """Stop polling (a snapshot in flight is bounded by the client's timeout)."""
        self._stop.set()
        self._thread.join(REQUEST_TIMEOUT_MS / 1000.0 * 3 + 1.0)
        self.client.close()

    def _run(self) -> None:
        due = time.monotonic()
        while not self._stop.is_set():
            sent = time.monotonic()
            try:
                result = self.client.request("snapshot", {})
            except (BrokerUnreachable, CommandRefused):
                self.errors += 1
            else:
                now = time.perf_counter_ns()
                view = result.get("view")
                if isinstance(view, dict):
                    self.seen.observe(view, now)
                # Measured after stamping, so encoding it again costs the figure nothing.
                size = len(json.dumps(result, ensure_ascii=False, separators=(",", ":"))
                           .encode("utf-8"))
                self.polls.append((sent, size))
            # A fixed schedule, like a browser's setInterval: a slow poll does not shift the rest.
            due += self.period_s
            self._stop.wait(max(0.0, due - time.monotonic()))


def _say(message: str) -> None:
    """Progress on stderr, so stdout holds only the table."""
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _drive(params: PollParams, commands: str, hall_: Hall, began: float, end: float,
           ) -> tuple[list[tuple[int, str, int]], int, int]:
    """Issue a ticket and call the next counter in turn, at ``calls_per_s`` on average.

    Gaps are exponential (a steady mean rate with no fixed phase), so the
    calls do not lock step with the poll period and the poller's staleness is
    sampled over its whole cycle.

    Returns:
        ``(calls, tickets issued, failed requests)``; each call is
        ``(counter, ticket, ack perf_counter_ns)``.
    """
    rng = random.Random(params.seed)
    services = [s.id for s in hall_.services]
    numbers = [c.number for c in hall_.counters]
    calls: list[tuple[int, str, int]] = []
    issued = errors = 0
    with RequestClient(commands, "kiosk-1", timeout_ms=REQUEST_TIMEOUT_MS) as kiosk, \
            RequestClient(commands, "caller", timeout_ms=REQUEST_TIMEOUT_MS) as caller:
        at = began + rng.expovariate(params.calls_per_s)
        turn = 0
        while at < end:
            time.sleep(max(0.0, at - time.monotonic()))
            counter = numbers[turn % len(numbers)]
            try:
                kiosk.request("issue_ticket", {"service": services[turn % len(services)]})
                issued += 1
                result = caller.request("call_next", {"counter": counter})
            except (BrokerUnreachable, CommandRefused):
                errors += 1
            else:
                ack = time.perf_counter_ns()
                if result.get("ticket") is not None:
                    calls.append((counter, str(result["ticket"]), ack))
            turn += 1
            at = max(at + rng.expovariate(params.calls_per_s), time.monotonic())
    return calls, issued, errors


def _display(calls: list[tuple[int, str, int]], seen: FirstSeen, requests: int,
             rate: float) -> DisplayResult:
    """Staleness of one display over every call, and the snapshot requests it sent."""
    stale: list[float] = []
    never = 0
    for counter, ticket, ack in calls:
        shown = seen.first.get((counter, ticket))
        if shown is None:
            never += 1
        else:
            stale.append((shown - ack) / 1e9)
    if not stale:
        raise RuntimeError("the display showed none of the calls; nothing to measure")
    return DisplayResult(staleness=summarize(stale), shown=len(stale), never_shown=never,
                         requests=requests, requests_per_s=round(rate, 3))


def measure(params: PollParams = FULL, *, work_dir: Path | None = None,
            say: Callable[[str], None] = _say) -> PollResults:
    """Run push and polling side by side once and return the raw figures.

    Args:
        params: hall size, run length, poll period and call rate.
        work_dir: where the hall file and journal go (default: a temporary
            folder, removed afterwards).
        say: progress reporter.
    """
    hall_ = hall(params.counters)
    load_avg = os.getloadavg()[0]
    began_all = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="callnext-poll-", dir=work_dir) as tmp:
        config = write_hall(hall_, Path(tmp))
        with running_broker(config, Path(tmp) / "data", clock_start=CLOCK_START) as (pid, ep):
            say(f"push vs polling: broker pid {pid}, {params.counters} counters, poll every "
                f"{params.poll_s:g} s, {params.calls_per_s:g} calls/s for {params.seconds:g} s")
            with RequestClient(ep["commands"], "bench-prefill",
                               timeout_ms=REQUEST_TIMEOUT_MS) as prefill:
                for i in range(params.prefill):
                    prefill.request("issue_ticket", {"service": SERVICES[i % len(SERVICES)][0]})
            push = _PushDisplay(ep["commands"], ep["events"])
            poll = _PollDisplay(ep["commands"], params.poll_s)
            try:
                push.start()
                poll.start()
                began = time.monotonic()
                end = began + params.seconds
                calls, issued, errors = _drive(params, ep["commands"], hall_, began, end)
                # The driver stops at its last call before ``end``; wait for ``end``, then one
                # more period (and a little) so the poller gets to show the last calls.
                time.sleep(max(0.0, end - time.monotonic()) + params.poll_s + 0.3)
            finally:
                poll.stop()
                push.stop()
    sizes = [size for _sent, size in poll.polls]
    # The poller's rate over its own run (first to last poll), not polls counted in a window:
    # a poll due exactly at the window's edge would fall on either side of it by chance.
    span_s = poll.polls[-1][0] - poll.polls[0][0] if len(poll.polls) > 1 else 0.0
    poll_rate = (len(poll.polls) - 1) / span_s if span_s > 0 else 0.0
    # Every snapshot after the first is a request the push display made because it was lost.
    resnapshots = max(len(push.syncs) - 1, 0)
    say(f"push vs polling done: {len(calls)} calls, {len(poll.polls)} polls")
    return PollResults(
        params=asdict(params),
        seconds=round(time.perf_counter() - began_all, 1),
        calls=len(calls),
        tickets_issued=issued,
        request_errors=errors + poll.errors,
        push=_display(calls, push.seen, resnapshots, resnapshots / params.seconds),
        poll=_display(calls, poll.seen, len(poll.polls), poll_rate),
        snapshot_bytes=round(sum(sizes) / len(sizes)) if sizes else 0,
        poll_bytes_per_s=round(poll_rate * sum(sizes) / len(sizes), 1) if sizes else 0.0,
        push_resnapshots=resnapshots,
        load_avg_1m=round(load_avg, 2),
    )


def rows(results: PollResults) -> list[dict[str, Any]]:
    """The figures as table rows: ``{"figure", "value", "unit", "how"}``."""
    p = results["params"]
    push, poll = results["push"], results["poll"]
    setup = (f"{results['calls']} calls at {p['calls_per_s']:g}/s (exponential gaps) over "
             f"{p['counters']} counters for {p['seconds']:g} s; call acknowledged -> the "
             f"display first shows that counter serving that ticket")
    out: list[dict[str, Any]] = []
    for name, display, how in (
            ("push (StateMirror)", push,
             f"{setup}; may dip below 0: the broker replies, then publishes"),
            (f"polling every {p['poll_s']:g} s", poll,
             f"{setup}; snapshot reply stamped on arrival")):
        s = display["staleness"]
        out += [
            {"figure": f"staleness, {name}, p50", "value": s["p50_ms"], "unit": "ms",
             "how": how},
            {"figure": f"staleness, {name}, p99", "value": s["p99_ms"], "unit": "ms",
             "how": f"same {s['count']} calls; {display['never_shown']} never shown; "
                    f"load average {results['load_avg_1m']:g} before the run"},
            {"figure": f"staleness, {name}, max", "value": s["max_ms"], "unit": "ms",
             "how": f"same {s['count']} calls"},
        ]
    out += [
        {"figure": "broker load, push display", "value": push["requests_per_s"],
         "unit": "requests/s",
         "how": f"one snapshot before the load, then events are pushed; "
                f"{push['requests']} resnapshots (recoveries) in {p['seconds']:g} s"},
        {"figure": f"broker load, polling every {p['poll_s']:g} s",
         "value": poll["requests_per_s"], "unit": "requests/s",
         "how": f"{poll['requests']} snapshots, "
                f"{results['snapshot_bytes'] / 1024:.1f} KiB each "
                f"({results['poll_bytes_per_s'] / 1024:.1f} KiB/s) for a "
                f"{p['counters']}-counter hall"},
    ]
    return out


def run(quick: bool) -> list[dict[str, Any]]:
    """Run push versus polling (``QUICK`` or ``FULL``) and return its table rows."""
    return rows(measure(QUICK if quick else FULL))
