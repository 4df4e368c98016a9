"""The caller's part of the quality loop, on real gpiozero devices (MockFactory): the
5-level pad asks for a reason after a negative level, and the red LED calls the clerk's
attention to an alert about this counter until a manager acknowledges it."""

from __future__ import annotations

from typing import Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from protocol.view import PublicView
from tests.caller.test_caller_gpio import FAULT, RATE_PINS_5, Harness, led_is_blinking, view_of


@pytest.fixture
def pad() -> Iterator[Harness]:
    factory = MockFactory()
    harness = Harness(factory, scale=5)
    yield harness
    harness.close()
    factory.reset()


def test_a_positive_level_is_sent_at_once(pad: Harness) -> None:
    pad.view = view_of(serving="A001")
    pad.press(RATE_PINS_5[1])  # 满意
    pad.settle()
    assert pad.sent == [("rate", {"counter": 3, "score": 4, "ticket": "A001"})]


def test_after_a_negative_level_the_next_press_names_the_reason(pad: Harness) -> None:
    pad.view = view_of(serving="A001")
    pad.press(RATE_PINS_5[4])  # 非常不满意
    pad.settle()
    assert pad.sent == []
    pad.caller.tick()
    assert all(led_is_blinking(pad.factory, pin) for pin in (12, 26))  # reasons offered
    pad.press(RATE_PINS_5[1])  # the second button: 效率
    pad.settle()
    assert pad.sent == [("rate", {"counter": 3, "score": 1, "ticket": "A001",
                                  "reason": "efficiency"})]


def test_without_a_reason_the_rating_still_counts(pad: Harness) -> None:
    pad.view = view_of(serving="A001")
    pad.press(RATE_PINS_5[3])  # 不满意
    pad.now[0] += pad.node.rating.reason_seconds - 1.0
    pad.caller.tick()
    pad.settle()
    assert pad.sent == []
    pad.now[0] += 2.0
    pad.caller.tick()
    pad.settle()
    assert pad.sent == [("rate", {"counter": 3, "score": 2, "ticket": "A001"})]


def _with_alert(counter: int, acknowledged: bool) -> PublicView:
    view = view_of(serving="A002")
    alert = {"key": "rating:20261125-A001", "kind": "negative_rating",
             "code": "negative_rating", "sticky": True, "counter": counter,
             "params": {"counter": counter, "ticket": "A001", "score": 1,
                        "case": "20261125-A001", "reason": None},
             "acknowledged_at": 1.0 if acknowledged else None}
    return view.merged({"alerts": {alert["key"]: alert}})


def test_the_red_led_asks_for_attention_while_its_counters_alert_is_unacknowledged(
        pad: Harness) -> None:
    pad.view = _with_alert(counter=2, acknowledged=False)  # another counter's
    pad.caller.tick()
    assert not led_is_blinking(pad.factory, FAULT)
    pad.view = _with_alert(counter=3, acknowledged=False)
    pad.caller.tick()
    assert led_is_blinking(pad.factory, FAULT)
    pad.view = _with_alert(counter=3, acknowledged=True)
    pad.caller.tick()
    assert not pad.devices.fault.is_lit


class Lines:
    """The caller's text output, kept."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def show(self, lines: list[str]) -> None:
        self.lines = list(lines)

    def close(self) -> None:
        """Nothing to release."""


def test_the_text_output_names_the_alert_until_it_is_acknowledged() -> None:
    from caller.app import CounterCaller
    from config.caller_node import CallerNode
    from tests.conftest import small_hall

    text = Lines()
    shown = [_with_alert(counter=3, acknowledged=False)]
    node = CallerNode.model_validate({"id": "caller-3", "counters": [3], "gpio": "mock",
                                      "lcd": {"kind": "terminal", "columns": 40, "rows": 3}})
    caller = CounterCaller(small_hall(), node, 3, send=lambda op, args: {},
                           view=lambda: shown[0], link_ok=lambda: True, text=text)
    caller.tick()
    assert "3 号窗口收到差评（A001）" in text.lines[-1]
    shown[0] = _with_alert(counter=3, acknowledged=True)
    caller.tick()
    assert "差评" not in " ".join(text.lines)


def test_the_keyboard_help_names_the_levels_and_the_reason_keys() -> None:
    from caller.keyboard import decode_key, help_text

    five = help_text(5)
    assert "5 = 非常满意 best, 1 = 非常不满意 worst" in five and "5 = 态度 attitude" in five
    assert "原因" not in help_text(3)
    # The key for 态度 is the pad's first button, as the reason prompt reads it.
    assert decode_key("5", 5) is not None and decode_key("5", 5).name == "rate0"
