"""Replay time of a big hall day: build a journal in-process, then time rebuilding the state.

The journal is written by the real ``BrokerService`` (the same decide/evolve/
journal path a live broker uses), driven by a seeded script of visitors and
clerks on an injected clock, so its events are exactly what a busy day would
leave behind. Replay is then timed in a fresh interpreter, as after a restart:
nothing is warm except the operating system's file cache.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypedDict

from broker.journal import Journal
from broker.service import BrokerService
from config.load import load_hall
from config.schema import WEEKDAYS, Hall, Hours, Period
from protocol.envelope import Request, decode_reply, encode_request

BUILD_DAY = "2026-11-25"
"""A Wednesday; the whole journal lies inside this hall-local day."""
DAY_START = "07:00"
DAY_SPAN_S = 15 * 3600.0
"""The script's events are spread over 07:00-22:00, well inside one hall-local day."""
MAX_WAITING = 12
"""Arrivals pause above this many waiting tickets, so queues stay hall-sized while the
day is long: latency of the rules grows with queue length, not with journal length."""
RECALL_P, NO_SHOW_P, TRANSFER_P = 0.06, 0.03, 0.02
RATE_P = 0.7
REVIVE_P = 0.3
PAUSE_P = 0.002
RESUME_P = 0.2


class BuildResult(TypedDict):
    """What building the journal took and produced."""

    events: int
    commands: int
    refused: int
    tickets: int
    seconds: float
    first_local: str
    last_local: str
    file_bytes: int


class ReplayResult(TypedDict):
    """How long ``BrokerService(hall, Journal(path))`` took in a fresh process."""

    events: int
    seconds: float
    events_per_s: float
    tickets: int


def all_day_hall(config: str | Path) -> Hall:
    """The configured hall, open 00:00-24:00 every day, so no issue is refused for the hour.

    Replay never judges hours (``evolve`` applies facts), so a broker started
    on the original config replays this journal identically.
    """
    hall = load_hall(config)
    hours = Hours(timezone=hall.hours.timezone, days=WEEKDAYS,  # type: ignore[arg-type]
                  periods=(Period(start="00:00", end="24:00"),))
    return hall.model_copy(update={"hours": hours})


def _local_epoch(hall: Hall, text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=hall.hours.zone()).timestamp()


def _local_text(hall: Hall, at: float) -> str:
    return datetime.fromtimestamp(at, hall.hours.zone()).replace(tzinfo=None).isoformat(
        timespec="seconds")


@dataclass
class _Clerk:
    """What the script believes one counter is doing (only its own commands change it)."""

    phase: str = "idle"  # idle | called | serving | paused
    service: str | None = None


@dataclass
class _Script:
    """A seeded hall day: arrivals, calls, recalls, no-shows, transfers, ratings, breaks."""

    hall: Hall
    service: BrokerService
    rng: random.Random
    now: float = 0.0
    commands: int = 0
    refused: int = 0
    issued: int = 0
    clerks: dict[int, _Clerk] = field(default_factory=dict)
    no_shows: list[tuple[str, float]] = field(default_factory=list)

    def send(self, op: str, **args: Any) -> dict[str, Any] | None:
        """One request through the service's real entry point; None when refused."""
        self.commands += 1
        frame = encode_request(Request(id=f"bench-{self.commands}", op=op, node="bench",
                                       args=args))
        reply = decode_reply(self.service.handle(frame).reply)
        if not reply["ok"]:
            self.refused += 1
            return None
        result: dict[str, Any] = reply["result"]
        return result

    def waiting(self) -> int:
        """Tickets waiting in every line, from the service's public view."""
        return sum(int(s["waiting"]) for s in self.service.view["services"].values())

    def step(self) -> None:
        """One command: an arrival, or one clerk's next move."""
        waiting = self.waiting()
        if waiting < 3 or (waiting < MAX_WAITING and self.rng.random() < 0.3):
            self.arrive()
        elif self.no_shows and self.rng.random() < 0.01:
            self.revive()
        else:
            self.clerk_moves(self.rng.choice(self.hall.counters).number)

    def arrive(self) -> None:
        """A visitor takes a ticket at the kiosk (the demo's service weights)."""
        services = [s for s in self.hall.services if s.kiosk and s.id != "appointment"]
        # General twice as busy as each other line (the demo uses 3x): with ~20 000
        # tickets in the day, 3x would push general past A9999, and ticket args
        # (revive, call_ticket) only take 3-4 digits, so revives would be refused.
        weights = [2.0 if s.id == "general" else 1.0 for s in services]
        chosen = self.rng.choices(services, weights)[0]
        kind = "priority" if not chosen.priority and self.rng.random() < 0.07 else "walkin"
        if self.send("issue_ticket", service=chosen.id, kind=kind) is not None:
            self.issued += 1

    def revive(self) -> None:
        """A visitor who missed the call comes back within the grace period."""
        ticket, at = self.no_shows.pop(0)
        if self.now - at < self.hall.policies.no_show_grace_minutes * 60.0:
            self.send("revive", ticket=ticket)

    def clerk_moves(self, counter: int) -> None:
        """The counter's clerk does the next thing their current visitor needs."""
        clerk = self.clerks.setdefault(counter, _Clerk())
        roll = self.rng.random()
        if clerk.phase == "paused":
            if roll < RESUME_P and self.send("resume", counter=counter) is not None:
                clerk.phase = "idle"
        elif clerk.phase == "idle":
            if roll < PAUSE_P:
                if self.send("pause", counter=counter) is not None:
                    clerk.phase = "paused"
                return
            result = self.send("call_next", counter=counter)
            if result is not None and result.get("ticket") is not None:
                clerk.phase, clerk.service = "called", str(result["service"])
        elif clerk.phase == "called":
            self.called(counter, clerk, roll)
        else:
            self.send("finish", counter=counter)
            if self.rng.random() < RATE_P:
                self.send("rate", counter=counter,
                          score=self.rng.choices([3, 2, 1], [0.8, 0.15, 0.05])[0])
            clerk.phase = "idle"

    def called(self, counter: int, clerk: _Clerk, roll: float) -> None:
        """The called visitor shows up, is recalled, misses the call or is sent elsewhere."""
        if roll < RECALL_P:
            result = self.send("recall", counter=counter)
            if result is None or result.get("status") == "no_show":
                self._missed(result, clerk)
        elif roll < RECALL_P + NO_SHOW_P:
            self._missed(self.send("no_show", counter=counter), clerk)
        elif roll < RECALL_P + NO_SHOW_P + TRANSFER_P:
            others = [s.id for s in self.hall.services
                      if s.id not in (clerk.service, "appointment")]
            self.send("transfer", counter=counter, service=self.rng.choice(others))
            clerk.phase = "idle"
        else:
            result = self.send("start", counter=counter)
            clerk.phase = "serving" if result is not None else "idle"

    def _missed(self, result: dict[str, Any] | None, clerk: _Clerk) -> None:
        if result is not None and self.rng.random() < REVIVE_P:
            self.no_shows.append((str(result["ticket"]), self.now))
        clerk.phase = "idle"


def build_journal(hall: Hall, path: Path, target_events: int, *, seed: int = 1,
                  durable: bool = True) -> BuildResult:
    """Drive a ``BrokerService`` in-process until its journal holds ``target_events``.

    The injected clock moves in proportion to the events written (plus a little
    per command), so the day ends at 22:00 whatever the mix turns out to be.
    ``durable=False`` skips the fsync of each command (a fixture, built once and cached).

    Raises:
        FileExistsError: ``path`` already exists (a journal is never appended to by accident).
    """
    if path.exists():
        raise FileExistsError(f"{path} exists; build_journal writes a fresh journal")
    start = _local_epoch(hall, f"{BUILD_DAY}T{DAY_START}")
    clock = [start]
    journal = Journal(path)
    if not durable:
        # A cached bench fixture: no fsync per command (the rules' cost is what is left).
        journal._db.execute("PRAGMA synchronous=OFF")  # noqa: SLF001
    began = time.perf_counter()
    try:
        service = BrokerService(hall, journal, clock=lambda: clock[0])
        script = _Script(hall, service, random.Random(seed), now=start)
        # Bounded: every step is one command, and far fewer than 10 commands per
        # event are ever needed; the bound only stops a script bug from spinning.
        for _ in range(10 * target_events + 1000):
            if service.seq >= target_events:
                break
            clock[0] = script.now = (start + DAY_SPAN_S * service.seq / target_events
                                     + script.commands * 1e-4)
            script.step()
        events = journal.last_seq()
        if events < target_events:
            raise RuntimeError(f"the script stalled at {events} of {target_events} events")
    finally:
        journal.close()
    seconds = time.perf_counter() - began
    return BuildResult(events=events, commands=script.commands, refused=script.refused,
                       tickets=script.issued, seconds=round(seconds, 2),
                       first_local=_local_text(hall, start),
                       last_local=_local_text(hall, clock[0]),
                       file_bytes=journal_bytes(path))


def journal_bytes(path: Path) -> int:
    """Size of the journal on disk: the database plus any WAL left beside it."""
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def replay_in_process(hall: Hall, path: Path) -> ReplayResult:
    """Time ``BrokerService(hall, Journal(path))``: the replay a broker does on start."""
    began = time.perf_counter()
    journal = Journal(path)
    try:
        service = BrokerService(hall, journal)
        seconds = time.perf_counter() - began
        events, tickets = service.seq, len(service.state.tickets)
    finally:
        journal.close()
    return ReplayResult(events=events, seconds=round(seconds, 3),
                        events_per_s=round(events / max(seconds, 1e-9)),
                        tickets=tickets)


def replay_in_fresh_process(hall: Hall, path: Path, timeout_s: float = 300.0) -> ReplayResult:
    """``replay_in_process`` in a new interpreter, as a restarted broker would do it.

    The hall goes over as JSON next to the journal: the bench hall is built in
    code, so there is no TOML file to hand the child.

    Raises:
        RuntimeError: the child failed or printed no result.
    """
    path = path.resolve()
    hall_file = path.with_name("bench-hall.json")
    hall_file.write_text(hall.model_dump_json(), encoding="utf-8")
    # cwd: ``-m bench...`` must resolve to this checkout whatever directory we run from
    # (pytest's pythonpath setting does not reach child processes).
    done = subprocess.run([sys.executable, "-m", "bench.replay_bench", str(hall_file), str(path)],
                          capture_output=True, text=True, timeout=timeout_s, check=False,
                          cwd=Path(__file__).resolve().parents[1])
    if done.returncode != 0:
        raise RuntimeError(f"replay child failed ({done.returncode}): {done.stderr.strip()}")
    result: ReplayResult = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _child(argv: list[str]) -> int:
    """Entry of the fresh replay process: ``python -m bench.replay_bench HALL.json JOURNAL``."""
    if len(argv) != 2:
        print("usage: python -m bench.replay_bench HALL.json JOURNAL", file=sys.stderr)
        return 2
    hall = Hall.model_validate_json(Path(argv[0]).read_text(encoding="utf-8"))
    print(json.dumps(replay_in_process(hall, Path(argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
