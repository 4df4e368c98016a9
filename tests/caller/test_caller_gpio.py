"""Real gpiozero Button/LED objects on a MockFactory drive the caller.

The broker side is a recording send() (the worker's dependency, not the
thing under test); the end-to-end file uses a real broker.
"""

from __future__ import annotations

import threading
from typing import Any, Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from caller.app import CounterCaller, Devices
from config.caller_node import CallerNode
from hw.gpio import ButtonBank, open_buzzer, open_led
from protocol.errors import CommandRefused
from protocol.view import PublicView
from tests.conftest import small_hall

PINS = {"call_next": 17, "recall": 27, "no_show": 22, "pause": 23, "transfer": 24,
        "finish": 25, "start": 4, "hold": 14}
RATE_PINS = (16, 20, 21)
RATE_LEDS = (12, 7, 8)
RATE_PINS_5 = (16, 20, 21, 9, 10)
RATE_LEDS_5 = (12, 7, 8, 11, 26)
STATUS, FAULT, WAITING, BUZZER = 5, 6, 13, 19


class Harness:
    """A CounterCaller wired to mock pins, a controllable view/link and a fake clock."""

    def __init__(self, factory: MockFactory, scale: int = 3, **node: Any) -> None:
        self.factory = factory
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.refuse: dict[str, str] = {}
        self.now = [1000.0]
        self.broker_offset: list[float | None] = [None]  # broker time - fake monotonic time
        self.link = [True]
        self.view: PublicView = view_of()
        settings: dict[str, Any] = {
            "id": "caller-3", "counters": [3], "gpio": "mock", "buttons": PINS,
            "transfer": {"services": ["reimburse"]},
            "leds": {"status": STATUS, "fault": FAULT, "waiting": WAITING, "buzzer": BUZZER},
            "rating": ({"buttons": list(RATE_PINS), "leds": list(RATE_LEDS)} if scale == 3
                       else {"buttons": list(RATE_PINS_5), "leds": list(RATE_LEDS_5)}),
        }
        settings.update(node)
        self.node = CallerNode.model_validate(settings)
        self.devices = Devices(status=open_led(STATUS, factory), fault=open_led(FAULT, factory),
                               waiting=open_led(WAITING, factory),
                               buzzer=open_buzzer(BUZZER, factory),
                               rating_leds=tuple(open_led(p, factory)
                                                 for p in self.node.rating.leds))
        self.caller = CounterCaller(small_hall(rating_window_seconds=60, rating_scale=scale),
                                    self.node, 3,
                                    send=self.send, view=lambda: self.view,
                                    link_ok=lambda: self.link[0], broker_now=self.broker_now,
                                    devices=self.devices,
                                    monotonic=lambda: self.now[0])
        pins = dict(self.node.buttons.fitted())
        pins.update({f"rate{i}": p for i, p in enumerate(self.node.rating.buttons)})
        self.bank = ButtonBank(pins, factory, self.caller.edge)
        self.caller.start()

    def broker_now(self) -> float | None:
        offset = self.broker_offset[0]
        return None if offset is None else self.now[0] + offset

    def send(self, op: str, args: dict[str, Any]) -> dict[str, Any]:
        self.sent.append((op, args))
        if op in self.refuse:
            raise CommandRefused(self.refuse[op], "refused by the test", "rid")
        return {}

    def press(self, pin: int, hold: float = 0.05) -> None:
        self.factory.pin(pin).drive_low()
        self.now[0] += hold
        self.factory.pin(pin).drive_high()
        # The next press is a deliberate one (past the 0.4 s guard), yet well inside
        # the worker's 1 s staleness limit on the same fake clock.
        self.now[0] += 0.45

    def settle(self) -> None:
        assert self.caller.worker.wait_idle(5)

    def close(self) -> None:
        self.caller.stop()
        self.bank.close()
        for device in (self.devices.status, self.devices.fault, self.devices.waiting,
                       self.devices.buzzer, *self.devices.rating_leds):
            device.close()


def view_of(serving: str | None = None, mode: str = "open", waiting: int = 0,
            last: str | None = None, last_at: float | None = None) -> PublicView:
    """A view as the broker publishes it (its rating windows for a 60 s window)."""
    rating = ([{"ticket": last, "until": last_at + 60.0}] if last and last_at is not None
              else []) + ([{"ticket": serving, "until": None}] if serving else [])
    return PublicView.parse({
        "clock": 0.0,
        "counters": {"3": {"number": 3, "mode": mode, "serving": serving,
                           "last_finished": last, "last_finished_at": last_at,
                           "services": ["general"], "held": [], "rating": rating}},
        "services": {"general": {"id": "general", "waiting": waiting}}})


@pytest.fixture
def rig() -> Iterator[Harness]:
    factory = MockFactory()
    harness = Harness(factory)
    yield harness
    harness.close()
    factory.reset()


@pytest.mark.parametrize(("button", "op", "extra"), [
    ("call_next", "call_next", {}),
    ("recall", "recall", {}),
    ("no_show", "no_show", {}),
    ("pause", "pause", {}),
    ("transfer", "transfer", {"service": "reimburse"}),
    ("finish", "finish", {}),
    ("start", "start", {}),
    ("hold", "hold", {}),
])
def test_each_button_sends_exactly_one_command(rig: Harness, button: str, op: str,
                                               extra: dict[str, Any]) -> None:
    rig.press(PINS[button])
    rig.settle()
    assert rig.sent == [(op, {"counter": 3, **extra})]


def test_pause_resumes_a_paused_counter(rig: Harness) -> None:
    rig.view = view_of(mode="paused")
    rig.press(PINS["pause"])
    rig.settle()
    assert rig.sent == [("resume", {"counter": 3})]


def test_hammering_a_button_is_one_command(rig: Harness) -> None:
    pin = rig.factory.pin(PINS["call_next"])
    for _ in range(30):  # 60 edges within 6 ms of the fake clock
        pin.drive_low()
        rig.now[0] += 0.0001
        pin.drive_high()
        rig.now[0] += 0.0001
    rig.settle()
    assert rig.sent == [("call_next", {"counter": 3})]


def test_a_press_while_one_is_in_flight_is_a_no_op() -> None:
    factory = MockFactory()
    gate = threading.Event()
    rig = Harness(factory)
    plain = rig.send

    def slow(op: str, args: dict[str, Any]) -> dict[str, Any]:
        gate.wait(5)
        return plain(op, args)

    rig.caller.worker._send = slow  # the broker is slow to answer this time
    try:
        rig.press(PINS["call_next"])
        rig.press(PINS["call_next"])  # well after the guard time, but unanswered
        gate.set()
        rig.settle()
        assert rig.sent == [("call_next", {"counter": 3})]
    finally:
        gate.set()
        rig.close()
        factory.reset()


def test_long_press_sends_the_secondary_action_only() -> None:
    factory = MockFactory()
    rig = Harness(factory, long_press={"hold_seconds": 1.5, "actions": {"recall": "no_show"}})
    try:
        pin = factory.pin(PINS["recall"])
        pin.drive_low()
        rig.now[0] += 1.6
        rig.caller.tick()
        pin.drive_high()
        rig.settle()
        rig.now[0] += 1.0
        rig.press(PINS["recall"], hold=0.2)
        rig.settle()
        assert rig.sent == [("no_show", {"counter": 3}), ("recall", {"counter": 3})]
    finally:
        rig.close()
        factory.reset()


def test_holding_recall_by_default_asks_for_a_slow_repeat() -> None:
    factory = MockFactory()
    rig = Harness(factory)  # no long_press in the wiring: the default, 1.5 s
    try:
        assert rig.node.long_press.hold_seconds == 1.5
        pin = factory.pin(PINS["recall"])
        pin.drive_low()
        rig.now[0] += 1.0  # not held long enough yet
        rig.caller.tick()
        assert rig.caller.worker.wait_idle(5) and rig.sent == []
        rig.now[0] += 0.6  # now past the hold time: fired while still held
        rig.caller.tick()
        rig.settle()
        assert rig.sent == [("recall", {"counter": 3, "slow": True})]
        pin.drive_high()
        rig.now[0] += 1.0
        rig.press(PINS["recall"], hold=0.2)  # a short press stays a plain recall
        rig.settle()
        assert rig.sent[1:] == [("recall", {"counter": 3})]
    finally:
        rig.close()
        factory.reset()


def test_the_hold_time_is_the_wirings_own() -> None:
    factory = MockFactory()
    rig = Harness(factory, long_press={"hold_seconds": 3.0})
    try:
        pin = factory.pin(PINS["recall"])
        pin.drive_low()
        rig.now[0] += 2.0  # long for the default, short for this wiring
        rig.caller.tick()
        pin.drive_high()
        rig.settle()
        assert rig.sent == [("recall", {"counter": 3})]
    finally:
        rig.close()
        factory.reset()


def led_is_blinking(factory: MockFactory, pin: int) -> bool:
    # A blinking LED runs gpiozero's blink thread; its pin changes state on its own.
    states = factory.pin(pin).states
    before = len(states)
    for _ in range(70):  # a slow blink changes within ~1 s; a steady LED never does
        if len(factory.pin(pin).states) > before:
            return True
        threading.Event().wait(0.02)
    return False


def test_leds_show_serving_paused_and_lost(rig: Harness) -> None:
    rig.caller.tick()
    assert not rig.devices.status.is_lit and not rig.devices.fault.is_lit
    rig.view = view_of(serving="A001", waiting=2)
    rig.caller.tick()
    assert rig.devices.status.is_lit and rig.factory.pin(STATUS).state
    assert rig.devices.waiting.is_lit
    assert not led_is_blinking(rig.factory, STATUS)
    rig.view = view_of(mode="paused")
    rig.caller.tick()
    assert led_is_blinking(rig.factory, STATUS)
    rig.link[0] = False
    rig.caller.tick()
    assert led_is_blinking(rig.factory, FAULT)
    assert not rig.devices.status.is_lit


def test_a_press_while_lost_is_not_queued_and_the_red_led_says_so(rig: Harness) -> None:
    rig.link[0] = False
    rig.press(PINS["call_next"])
    rig.link[0] = True
    rig.caller.tick()
    rig.settle()
    assert rig.sent == []
    assert led_is_blinking(rig.factory, FAULT)


def test_a_refused_command_blinks_red_for_a_while(rig: Harness) -> None:
    rig.refuse["call_next"] = "counter_paused"
    rig.press(PINS["call_next"])
    rig.settle()
    rig.caller.tick()
    assert led_is_blinking(rig.factory, FAULT)
    rig.now[0] += rig.node.leds.fault_seconds + 0.1
    rig.caller.tick()
    assert not rig.devices.fault.is_lit


def test_buzzer_beeps_when_the_queue_goes_from_empty_to_non_empty(rig: Harness) -> None:
    buzzer = rig.factory.pin(BUZZER)

    def beeps() -> int:
        return sum(1 for s in buzzer.states if s.state)

    rig.view = view_of(waiting=3)
    rig.caller.tick()  # the first look only sets the baseline: no beep at start-up
    rig.view = view_of(waiting=0)
    rig.caller.tick()
    assert beeps() == 0
    rig.view = view_of(waiting=1)
    rig.caller.tick()
    for _ in range(200):
        if beeps() == 1 and not buzzer.state:
            break
        threading.Event().wait(0.01)
    assert beeps() == 1 and not buzzer.state
    rig.view = view_of(waiting=2)
    rig.caller.tick()
    assert beeps() == 1


def test_rating_buttons_count_only_in_the_window(rig: Harness) -> None:
    rig.broker_offset[0] = 5000.0 - rig.now[0]  # the broker's clock reads 5000 now
    rig.press(RATE_PINS[0])  # nobody served yet
    rig.settle()
    assert rig.sent == []
    rig.caller.tick()
    assert not any(led.is_lit for led in rig.devices.rating_leds)
    rig.view = view_of(serving="A001")
    rig.caller.tick()
    assert all(led.is_lit for led in rig.devices.rating_leds)
    rig.view = view_of(last="A001", last_at=5000.0)
    rig.now[0] += 61.0
    rig.caller.tick()
    assert not any(led.is_lit for led in rig.devices.rating_leds)
    rig.press(RATE_PINS[1])
    rig.settle()
    assert rig.sent == []


def test_one_rating_per_ticket(rig: Harness) -> None:
    rig.view = view_of(serving="A001")
    rig.press(RATE_PINS[2])
    rig.settle()
    rig.press(RATE_PINS[0])
    rig.settle()
    assert rig.sent == [("rate", {"counter": 3, "score": 1, "ticket": "A001"})]
    rig.view = view_of(serving="A002")
    rig.press(RATE_PINS[0])
    rig.settle()
    assert rig.sent[-1] == ("rate", {"counter": 3, "score": 3, "ticket": "A002"})


def test_a_rating_the_broker_refused_as_already_rated_stays_refused(rig: Harness) -> None:
    rig.refuse["rate"] = "already_rated"
    rig.view = view_of(serving="A001")
    rig.press(RATE_PINS[0])
    rig.settle()
    del rig.refuse["rate"]
    rig.press(RATE_PINS[0])
    rig.settle()
    assert rig.sent == [("rate", {"counter": 3, "score": 3, "ticket": "A001"})]
