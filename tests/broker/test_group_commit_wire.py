"""Group commit on the real sockets: a burst from many clients, and a retry sent right
behind its original, through ``broker.server.serve`` on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq

from broker.journal import Journal
from broker.server import Endpoints, serve
from config.schema import Hall
from protocol import envelope


@pytest.fixture
def broker(hall: Hall, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    stop, ready = threading.Event(), threading.Event()
    found: list[Endpoints] = []

    def on_ready(endpoints: Endpoints) -> None:
        found.append(endpoints)
        ready.set()

    thread = threading.Thread(target=serve, args=(hall, tmp_path / "data"), kwargs=dict(
        bind="127.0.0.1", command_port=0, event_port=0, insecure=True, stop=stop,
        on_ready=on_ready), daemon=True)
    thread.start()
    assert ready.wait(15)
    try:
        yield found[0].commands, tmp_path / "data" / "journal.sqlite3"
    finally:
        stop.set()
        thread.join(10)


def frame(rid: str, op: str, node: str, **args: object) -> bytes:
    return envelope.encode_request(envelope.Request(rid, op, node, args))


def test_a_burst_from_many_clients_gets_every_ticket_once_and_a_retry_its_original(
        broker: tuple[str, Path]) -> None:
    endpoint, path = broker
    context = zmq.Context()
    sockets = []
    try:
        for i in range(20):
            dealer = context.socket(zmq.DEALER)
            dealer.setsockopt(zmq.LINGER, 0)
            dealer.setsockopt(zmq.RCVTIMEO, 10_000)
            dealer.connect(endpoint)
            sockets.append(dealer)
        # Every client sends its command and, right behind it, the same frame again (a
        # retry that very likely lands in the same batch as its original).
        for i, dealer in enumerate(sockets):
            raw = frame(f"k{i}", "issue_ticket", f"kiosk-{i}", service="general")
            dealer.send(raw)
            dealer.send(raw)
        replies = [[json.loads(d.recv()), json.loads(d.recv())] for d in sockets]
    finally:
        for dealer in sockets:
            dealer.close()
        context.term()
    for first, again in replies:
        assert first == again and first["ok"] is True
    tickets = sorted(first["result"]["ticket"] for first, _ in replies)
    assert tickets == [f"A{n:03d}" for n in range(1, 21)]
    journal = Journal.open_read_only(path)
    try:
        assert len([e for e in journal.events() if e.type == "ticket_issued"]) == 20
    finally:
        journal.close()


def test_the_broker_settles_its_heap_before_it_answers(broker: tuple[str, Path]) -> None:
    """Once replayed and bound, the broker's start-up objects are frozen out of the
    collector's full passes (``foundation.heap``; the fixture undoes it after the test)."""
    import gc

    assert gc.get_freeze_count() > 0
