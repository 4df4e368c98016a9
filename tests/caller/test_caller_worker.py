"""The command worker: non-blocking submit, one in flight per button, no queuing offline."""

from __future__ import annotations

import threading
from typing import Any

from caller.worker import CommandWorker, Outcome, SubmitResult
from protocol.errors import BrokerUnreachable, CommandRefused


class Broker:
    """A scripted send(): blocks until released, then answers or raises."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.raise_next: Exception | None = None

    def __call__(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        self.sent.append((op, args))
        if not self.gate.wait(10):
            raise RuntimeError("test gate never opened")
        if self.raise_next is not None:
            err, self.raise_next = self.raise_next, None
            raise err
        return {"op": op}


def make(broker: Broker, link: list[bool], clock: list[float] | None = None,
         ) -> tuple[CommandWorker, list[Outcome]]:
    outcomes: list[Outcome] = []
    kwargs: dict[str, Any] = {}
    if clock is not None:
        kwargs["monotonic"] = lambda: clock[0]
    worker = CommandWorker(broker, link_ok=lambda: link[0], on_done=outcomes.append, **kwargs)
    return worker, outcomes


def test_presses_of_a_button_in_flight_are_no_ops_until_answered() -> None:
    broker = Broker()
    broker.gate.clear()
    worker, outcomes = make(broker, [True])
    worker.start()
    try:
        assert worker.submit("call_next", "call_next", {"counter": 3}) is SubmitResult.QUEUED
        for _ in range(5):
            assert worker.submit("call_next", "call_next", {"counter": 3}) is SubmitResult.IN_FLIGHT
        # Another button is not blocked by it.
        assert worker.submit("recall", "recall", {"counter": 3}) is SubmitResult.QUEUED
        broker.gate.set()
        assert worker.wait_idle(5)
        assert broker.sent == [("call_next", {"counter": 3}), ("recall", {"counter": 3})]
        assert [o.status for o in outcomes] == ["ok", "ok"]
        assert worker.submit("call_next", "call_next", {"counter": 3}) is SubmitResult.QUEUED
        assert worker.wait_idle(5)
    finally:
        worker.stop()
    assert len(broker.sent) == 3


def test_nothing_is_queued_while_the_broker_is_unreachable() -> None:
    broker = Broker()
    link = [False]
    worker, outcomes = make(broker, link)
    worker.start()
    try:
        assert worker.submit("call_next", "call_next", {"counter": 3}) is SubmitResult.OFFLINE
        link[0] = True
        assert worker.wait_idle(5)
        assert broker.sent == [] and outcomes == []
    finally:
        worker.stop()


def test_a_press_that_waited_too_long_is_dropped_not_sent_late() -> None:
    broker = Broker()
    clock = [100.0]
    worker, outcomes = make(broker, [True], clock)
    worker.submit("call_next", "call_next", {"counter": 3})
    clock[0] = 105.0  # the worker was busy; the press is 5 s old when it gets its turn
    worker.start()
    try:
        assert worker.wait_idle(5)
    finally:
        worker.stop()
    assert broker.sent == []
    assert [o.status for o in outcomes] == ["stale"]


def test_refusals_and_timeouts_become_outcomes() -> None:
    broker = Broker()
    worker, outcomes = make(broker, [True])
    worker.start()
    try:
        broker.raise_next = CommandRefused("nothing_waiting", "no ticket", "r1")
        worker.submit("call_next", "call_next", {"counter": 3})
        assert worker.wait_idle(5)
        broker.raise_next = BrokerUnreachable("tcp://127.0.0.1:1", "recall", "r2", 2, 800)
        worker.submit("recall", "recall", {"counter": 3})
        assert worker.wait_idle(5)
    finally:
        worker.stop()
    assert [(o.status, o.code) for o in outcomes] == [("refused", "nothing_waiting"),
                                                      ("unreachable", None)]


def test_submit_after_stop_is_refused() -> None:
    worker, _ = make(Broker(), [True])
    worker.start()
    worker.stop()
    assert worker.submit("call_next", "call_next", {}) is SubmitResult.STOPPED
