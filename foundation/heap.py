"""Keep Python's cyclic garbage collector off a long-running process's start-up objects.

A node holds tens of thousands of objects it made while starting (modules, classes,
pydantic validators, config, Kivy's widgets) and keeps them all day. CPython's full
(generation 2) collection walks every one of them, holding the GIL: in the caller and
display of the chain bench that was a 25-90 ms pause, 3 to 38 times per 300 presses, and
most of the tail of press -> display (the mirror's thread waited for it).
``gc.freeze`` moves the survivors to a generation the collector never walks; later garbage
(events, views) is still collected as before. Standard library only.
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)


def settle_heap() -> int:
    """Collect start-up garbage, then exempt every surviving object from later collections.

    Call once a process has finished starting (and again after a big one-time build, such
    as a window): each call freezes what is alive then. Frozen objects are still freed when
    their last reference goes; only a reference cycle among them would outlive its use, so
    call it on objects meant to stay, not in the middle of a workload.

    Returns:
        How many objects are frozen now.
    """
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    logger.debug("heap settled: %d start-up objects left out of later collections", frozen)
    return frozen
