"""Peers that queue a backlog and vanish cannot abort the broker (issue 11, item 1).

libzmq 4.3.5 aborts the whole process (``Assertion failed: !_io_error
(src/stream_engine_base.cpp:310)``, libzmq issue #4364) when ZMTP heartbeats
are on and a peer disconnects while the socket still has replies queued for it.
Any node key could therefore take the hall down. The broker sets no ZMTP
heartbeat options; liveness is the protocol's own heartbeat on the PUB socket.

The test is the attack as probed by hand: real broker process, CURVE with the
hall's node keys, on loopback; DEALERs each queue thousands of ``snapshot``
requests and close after a second.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import zmq

from callnext.keys import init_keys
from protocol.envelope import Request, encode_request
from protocol.security import client_socket_setup
from tests.faults.fault_tools import BrokerProcess, write_hall

pytestmark = pytest.mark.e2e

PEERS = 60
REQUESTS_EACH = 2000
WATCH_STEPS = 10
TICKETS = 300
"""Waiting tickets first: a bigger snapshot keeps the broker busy past the heartbeat timeout."""
"""Checks after each flood, half a second apart: past libzmq's 3 s heartbeat timeout."""
NODES = ["broker", "admin", "kiosk-1", "display-1"]


def _flood_and_vanish(context: zmq.Context, endpoint: str, keys: Path, node: str) -> None:
    """Open PEERS sockets, queue REQUESTS_EACH snapshots on each, close them all after ~1 s."""
    setup = client_socket_setup(keys, node)
    frame = encode_request(Request(id="flood", op="snapshot", node=node, args={}))
    sockets = []
    for _ in range(PEERS):
        sock = context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.SNDHWM, REQUESTS_EACH + 10)
        setup(sock)
        sock.connect(endpoint)
        sockets.append(sock)
    for sock in sockets:
        for _ in range(REQUESTS_EACH):
            try:
                sock.send(frame, zmq.NOBLOCK)
            except zmq.Again:
                break
    time.sleep(1.0)
    for sock in sockets:
        sock.close(linger=0)


def test_a_backlog_of_vanished_peers_does_not_abort_the_broker(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    init_keys(keys, NODES)
    broker = BrokerProcess(write_hall(tmp_path), tmp_path / "data", keys_dir=keys)
    broker.start()
    context = zmq.Context()
    try:
        with broker.client("admin", socket_setup=client_socket_setup(keys, "admin")) as admin:
            for _ in range(TICKETS):
                admin.request("issue_ticket", {"service": "general"})
        # The admin key is not rate limited, so each queued snapshot is really built and
        # the backlog lasts past the heartbeat timeout. Then a kiosk's key.
        for round_, node in enumerate(("admin", "kiosk-1")):
            _flood_and_vanish(context, broker.endpoints["commands"], keys, node)
            # The broker drains the backlog into closed connections; libzmq's heartbeat
            # timeout (3 s) fires while it does. It must stay up and keep answering.
            for _ in range(WATCH_STEPS):
                time.sleep(0.5)
                assert broker.process is not None and broker.process.poll() is None, (
                    f"the broker died in round {round_ + 1} "
                    f"(exit {broker.process.returncode if broker.process else '?'})")
            with broker.client("admin", socket_setup=client_socket_setup(keys, "admin"),
                               timeout_ms=10000, retries=1) as admin:
                assert admin.request("snapshot")["seq"] >= TICKETS
    finally:
        context.destroy(linger=0)
        broker.stop()
