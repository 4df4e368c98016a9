"""Crash suite: a scripted hall day against a real broker SIGKILLed at random moments.

``make test`` kills it 20 times; ``make soak`` sets ``CALLNEXT_CRASH_KILLS=100``.
Afterwards nothing acknowledged is lost, no number is issued twice, the journal
replays to the state the broker serves, every request the client had to retry
took effect exactly once, and the client and a display's mirror recovered by
themselves, without being restarted.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from broker.journal import Journal
from broker.service import BrokerService
from callnext.keys import init_keys
from config.load import load_hall
from protocol.errors import BrokerUnreachable, CommandRefused
from protocol.envelope import new_request_id
from protocol.mirror import StateMirror
from protocol.security import client_socket_setup
from tests.faults.fault_tools import BrokerProcess, write_hall

pytestmark = pytest.mark.e2e

KILLS = int(os.environ.get("CALLNEXT_CRASH_KILLS", "20"))
SEED = int(os.environ.get("CALLNEXT_CRASH_SEED", "20261125"))
RESYNC_LIMIT_S = 10.0
"""Bound on waiting for the mirror; the figure measured is reported, not asserted."""


def next_command(rng: random.Random) -> tuple[str, dict[str, Any]]:
    """One step of the scripted day: visitors arrive, clerks call, recall and finish."""
    roll = rng.random()
    if roll < 0.45:
        return "issue_ticket", {"service": rng.choice(["general", "general", "reimburse"])}
    counter = rng.randint(1, 3)
    if roll < 0.80:
        return "call_next", {"counter": counter}
    if roll < 0.90:
        return "recall", {"counter": counter}
    return "finish", {"counter": counter}


def wait_for_mirror(mirror: StateMirror, seq: int) -> float | None:
    """Seconds until the mirror is connected at ``seq`` or beyond; None past the limit."""
    began = time.monotonic()
    while time.monotonic() - began < RESYNC_LIMIT_S:
        if mirror.connected and mirror.seq >= seq:
            return time.monotonic() - began
        time.sleep(0.02)
    return None


def test_sigkill_at_random_points_loses_nothing_acknowledged(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    config = write_hall(tmp_path)
    keys = tmp_path / "keys"
    init_keys(keys, ["broker", "admin", "display-9"])
    broker = BrokerProcess(config, tmp_path / "data", keys_dir=keys)
    broker.start()
    client = broker.client("admin", timeout_ms=300, retries=2,
                           socket_setup=client_socket_setup(keys, "admin"))
    mirror = StateMirror(broker.endpoints["commands"], broker.endpoints["events"], "display-9",
                         silence_s=1.0, backoff_max_s=0.5,
                         socket_setup=client_socket_setup(keys, "display-9"))
    mirror.start()
    acknowledged: dict[str, tuple[str, dict[str, Any]]] = {}
    issued: dict[str, dict[str, Any]] = {}
    retried = 0
    resyncs: list[float] = []
    pending: tuple[str, str, dict[str, Any]] | None = None
    try:
        for cycle in range(KILLS):
            pid = broker.pid
            killer = threading.Timer(rng.uniform(0.02, 0.5), os.kill, (pid, signal.SIGKILL))
            killer.start()
            # Commands until the broker dies under them; the one in flight stays pending.
            while True:
                if pending is None:
                    op, args = next_command(rng)
                    pending = (new_request_id(), op, args)
                rid, op, args = pending
                try:
                    result: dict[str, Any] = client.request(op, args, request_id=rid)
                    acknowledged[rid] = (op, result)
                except CommandRefused as refused:
                    acknowledged[rid] = (op, {"refused": refused.code})
                except BrokerUnreachable:
                    break
                if op == "issue_ticket":
                    issued[rid] = result
                pending = None
            killer.join()
            broker.kill()
            broker.start()
            if pending is not None:
                retried += 1
            if cycle % 4 == 3:
                seq = client.request("snapshot")["seq"]
                waited = wait_for_mirror(mirror, seq)
                assert waited is not None, f"the mirror did not resynchronise after kill {cycle}"
                resyncs.append(waited)
        if pending is not None:
            # The command in flight at the last kill: its retry is answered like any other,
            # and a refusal (say, FINISH at a counter that serves nobody) is an answer too.
            rid, op, args = pending
            try:
                result = client.request(op, args, request_id=rid)
            except CommandRefused as refused:
                acknowledged[rid] = (op, {"refused": refused.code})
            else:
                acknowledged[rid] = (op, result)
                if op == "issue_ticket":
                    issued[rid] = result
        final = client.request("snapshot")
        # Retrying acknowledged ids answers from the journal and changes nothing.
        for rid in rng.sample(sorted(issued), min(20, len(issued))):
            assert client.request("issue_ticket", {"service": "general"}, request_id=rid) \
                == issued[rid]
        assert client.request("snapshot")["seq"] == final["seq"]
        waited = wait_for_mirror(mirror, final["seq"])
        assert waited is not None
        assert mirror.view == final["view"], "the display's mirror shows the broker's state"
    finally:
        # Wait for the thread itself (it may be inside a snapshot attempt), so no
        # mirror thread outlives this test.
        mirror.stop(timeout_s=10.0)
        mirror.close()
        client.close()
        broker.stop()

    journal = Journal(tmp_path / "data" / "journal.sqlite3")
    try:
        events = list(journal.events())
        replayed = BrokerService(load_hall(config), journal)
        assert replayed.seq == final["seq"]
        assert json.loads(json.dumps(replayed.view)) == final["view"]
    finally:
        journal.close()
    numbers = [(e.day, e.data["ticket"]) for e in events if e.type == "ticket_issued"]
    assert len(numbers) == len(set(numbers)), "a number was issued twice"
    in_journal = {(e.data["ticket"], e.at) for e in events if e.type == "ticket_issued"}
    for result in issued.values():
        if "ticket" in result:
            assert (result["ticket"], result["issued_at"]) in in_journal
    assert len(numbers) == sum(1 for r in issued.values() if "ticket" in r), \
        "every issue took effect exactly once, retried ones included"
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    print(f"\ncrash suite: {KILLS} kills, {len(acknowledged)} acknowledged commands, "
          f"{len(numbers)} tickets, {retried} requests retried across a kill, "
          f"mirror resync max {max(resyncs, default=0):.2f} s over {len(resyncs)} checks")
