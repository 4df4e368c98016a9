"""Duplicate-press suppression and long presses, on an injected clock."""

from __future__ import annotations

from caller.presses import PressFilter
from caller.transfer import TransferChoice


def test_a_clean_press_fires_once_on_the_press_edge() -> None:
    f = PressFilter(guard_s=0.4)
    assert f.pressed("call_next", 10.0) == "call_next"
    assert f.released("call_next", 10.08) is None


def test_bounce_and_phantom_edges_within_the_guard_are_one_press() -> None:
    f = PressFilter(guard_s=0.4)
    taken = []
    t = 10.0
    for _ in range(20):  # 40 edges in 20 ms
        taken.append(f.pressed("call_next", t))
        t += 0.0005
        taken.append(f.released("call_next", t))
        t += 0.0005
    assert [a for a in taken if a] == ["call_next"]


def test_a_second_press_edge_without_release_is_ignored() -> None:
    f = PressFilter(guard_s=0.0)
    assert f.pressed("recall", 1.0) == "recall"
    assert f.pressed("recall", 2.0) is None


def test_a_deliberate_second_press_after_the_guard_counts() -> None:
    f = PressFilter(guard_s=0.4)
    assert f.pressed("call_next", 1.0) == "call_next"
    f.released("call_next", 1.1)
    assert f.pressed("call_next", 1.5) == "call_next"


def test_buttons_are_independent() -> None:
    f = PressFilter(guard_s=0.4)
    assert f.pressed("call_next", 1.0) == "call_next"
    assert f.pressed("recall", 1.01) == "recall"


def test_short_press_of_a_long_press_button_fires_on_release_only() -> None:
    f = PressFilter(long_actions={"recall": "no_show"}, guard_s=0.4, hold_s=1.5)
    assert f.pressed("recall", 1.0) is None
    assert f.tick(1.2) == []
    assert f.released("recall", 1.3) == "recall"


def test_long_press_fires_the_long_action_once_and_never_the_short_one() -> None:
    f = PressFilter(long_actions={"recall": "no_show"}, guard_s=0.4, hold_s=1.5)
    assert f.pressed("recall", 1.0) is None
    assert f.tick(2.4) == []
    assert f.tick(2.5) == ["no_show"]
    assert f.tick(2.6) == []
    assert f.released("recall", 3.0) is None


def test_long_press_released_between_ticks_still_counts_as_long() -> None:
    f = PressFilter(long_actions={"recall": "no_show"}, hold_s=1.5)
    f.pressed("recall", 1.0)
    assert f.released("recall", 2.6) == "no_show"


def test_a_press_inside_the_guard_stays_silent_even_when_released() -> None:
    f = PressFilter(long_actions={"recall": "no_show"}, guard_s=0.4, hold_s=1.5)
    f.pressed("recall", 1.0)
    assert f.released("recall", 1.1) == "recall"
    f.pressed("recall", 1.2)
    assert f.tick(5.0) == []
    assert f.released("recall", 5.0) is None


def test_transfer_with_one_target_goes_at_once() -> None:
    choice = TransferChoice(("reimburse",))
    assert choice.press(1.0) == "reimburse"


def test_transfer_with_several_targets_cycles_then_settles() -> None:
    choice = TransferChoice(("reimburse", "enrol", "general"), settle_s=2.0)
    assert choice.press(1.0) is None and choice.shown == "reimburse"
    assert choice.press(1.5) is None and choice.shown == "enrol"
    assert choice.due(3.0) is None
    assert choice.press(3.2) is None and choice.shown == "general"
    assert choice.press(3.4) is None and choice.shown == "reimburse"
    assert choice.due(5.3) is None
    assert choice.due(5.4) == "reimburse"
    assert choice.due(9.0) is None
