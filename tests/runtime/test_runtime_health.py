"""The one health reporter: only changes go out, undelivered ones go out again, nothing grows."""

from __future__ import annotations

import threading
import time
from typing import Any

from protocol.errors import BrokerUnreachable, CommandRefused
from runtime.health import HealthReporter
from tests.conftest import wait_for


class Broker:
    """Takes ``report_health`` commands; down while ``down`` is set."""

    def __init__(self) -> None:
        self.taken: list[tuple[str, str, str]] = []
        self.tries = 0
        self.down = False
        self.refuse = False
        self.arrived = threading.Event()

    def request(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        assert op == "report_health"
        self.tries += 1
        try:
            if self.down:
                raise BrokerUnreachable("tcp://127.0.0.1:9", op, "rid", 1, 100)
            if self.refuse:
                raise CommandRefused("forbidden", "not allowed", "rid")
            self.taken.append((args["component"], args["status"], args["message"]))
            return {}
        finally:
            self.arrived.set()


def test_only_changes_are_sent_per_component() -> None:
    broker = Broker()
    reporter = HealthReporter(broker.request)
    reporter.report("printer", "ok")
    reporter.report("printer", "ok")
    reporter.report("audio", "ok")
    reporter.report("printer", "fault", "out of paper")
    reporter.report("printer", "fault", "out of paper")
    assert broker.taken == [("printer", "ok", ""), ("audio", "ok", ""),
                            ("printer", "fault", "out of paper")]
    assert reporter.delivered("printer") == ("fault", "out of paper")


def test_an_undelivered_report_goes_out_with_the_next_call() -> None:
    broker = Broker()
    reporter = HealthReporter(broker.request)
    broker.down = True
    reporter.report("printer", "fault", "offline")
    assert broker.taken == [] and reporter.delivered("printer") is None
    broker.down = False
    reporter.report("printer", "fault", "offline")  # the next poll: same status, retried
    assert broker.taken == [("printer", "fault", "offline")]


def test_a_refused_report_is_not_repeated_until_it_changes() -> None:
    broker = Broker()
    broker.refuse = True
    reporter = HealthReporter(broker.request)
    reporter.report("audio", "fault", "no device")
    reporter.report("audio", "fault", "no device")
    assert broker.tries == 1


def test_started_it_never_blocks_and_retries_until_the_broker_is_back() -> None:
    broker = Broker()
    broker.down = True
    reporter = HealthReporter(broker.request, retry_s=0.05)
    reporter.start()
    try:
        reporter.report("audio", "fault", "device failure")  # returns at once
        assert wait_for(lambda: broker.tries >= 2)  # tried, waited, tried again
        broker.down = False
        assert wait_for(lambda: broker.taken == [("audio", "fault", "device failure")])
        reporter.report("audio", "ok")
        assert wait_for(lambda: broker.taken[-1] == ("audio", "ok", ""))
        tries = broker.tries
        time.sleep(0.2)
        assert broker.tries == tries  # all delivered: silence
    finally:
        reporter.stop()
