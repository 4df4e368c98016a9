"""A settled heap: start-up garbage collected, start-up survivors out of the collector's passes
(their full passes stalled press -> display by 25-90 ms), later garbage still collected."""

from __future__ import annotations

import gc
import weakref

from foundation.heap import settle_heap
from runtime.kivy_setup import settle_after_start


class _Node:
    """A container the cyclic collector tracks, and a weakref can watch."""

    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> weakref.ref[_Node]:
    """A two-object reference cycle, unreachable once this returns (only gc frees it)."""
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def _walked(obj: object) -> bool:
    """Whether the collector's generations hold ``obj`` (frozen objects are in none)."""
    return any(o is obj for o in gc.get_objects())


def test_start_up_survivors_leave_the_collectors_passes() -> None:
    kept = [_Node()]
    assert _walked(kept)
    frozen = settle_heap()
    assert frozen == gc.get_freeze_count() > 0
    assert not _walked(kept)
    assert kept[0].other is None  # frozen, not gone


def test_start_up_garbage_is_collected_before_freezing() -> None:
    gc.disable()  # no automatic pass may free the cycle before settle_heap sees it
    try:
        gone = _cycle()
        settle_heap()
    finally:
        gc.enable()
    # Frozen while still uncollected, the cycle would never be freed.
    gc.collect()
    assert gone() is None


def test_garbage_made_after_settling_is_still_collected() -> None:
    settle_heap()
    later = _cycle()
    assert later() is not None
    gc.collect()
    assert later() is None


def test_the_screen_nodes_settling_freezes_what_they_keep() -> None:
    kept = [_Node()]
    settle_after_start()
    assert gc.get_freeze_count() > 0 and not _walked(kept)
