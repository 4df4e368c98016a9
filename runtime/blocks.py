"""This node's block of the hall file: one lookup for ``[[kiosks]]``, ``[[displays]]``, ``[[callers]]``.

What a block may name (services, counters) is checked once, when the hall file
is loaded (``config.schema.Hall``); a node only has to find its own block.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from config.caller_node import CallerNode
from config.display_node import DisplayNode
from config.kiosk_node import KioskNode
from config.schema import Hall
from foundation.errors import CallnextError

WIRE_ID_MAX = 32
"""The longest node id the wire accepts."""


class NodeSetupError(CallnextError, ValueError):
    """This node's block cannot be chosen from the hall file; the message says how to fix it."""


class _Block(Protocol):
    @property
    def id(self) -> str: ...  # noqa: D102


B = TypeVar("B", bound=_Block)


def select_block(blocks: Sequence[B], node_id: str | None, *, table: str,
                 fitting: Sequence[B] | None = None, default: B | None = None,
                 missing: str = "add one (see config/hall.example.toml)") -> B:
    """This node's block of ``[[table]]``: the one named ``node_id``, else the only one that fits.

    Args:
        blocks: every block of the table.
        node_id: the id given on the command line (``--node``), or None to choose by fit.
        table: the table's name in the hall file, for messages.
        fitting: the blocks that fit this node when no id is given (default: all of them).
        default: used when no id is given and no block fits (None: that is an error).
        missing: what to do when no block fits, said in the error.

    Raises:
        NodeSetupError: no block has that id; none fits and there is no default;
            several fit.
    """
    ids = ", ".join(block.id for block in blocks) or "none"
    if node_id is not None:
        for block in blocks:
            if block.id == node_id:
                return block
        raise NodeSetupError(f"no [[{table}]] block has id {node_id!r} in the hall file "
                             f"(ids: {ids}); fix --node")
    candidates = list(blocks if fitting is None else fitting)
    if len(candidates) == 1:
        return candidates[0]
    if candidates:
        raise NodeSetupError(f"several [[{table}]] blocks fit this node; choose one with "
                             f"--node ({', '.join(block.id for block in candidates)})")
    if default is not None:
        return default
    raise NodeSetupError(f"the hall file has no [[{table}]] block for this node; {missing}")


def kiosk_block(hall: Hall, node_id: str | None) -> KioskNode:
    """The ``[[kiosks]]`` block of this node (the only one when ``node_id`` is None).

    Raises:
        NodeSetupError: as ``select_block``.
    """
    return select_block(hall.kiosks, node_id, table="kiosks")


def display_block(hall: Hall, node_id: str | None) -> DisplayNode:
    """The ``[[displays]]`` block of this node; built-in defaults (id ``display``) when the
    hall has none and no id is given.

    Raises:
        NodeSetupError: as ``select_block``.
    """
    return select_block(hall.displays, node_id, table="displays",
                        default=DisplayNode(id="display"))


def caller_block(hall: Hall, counter: int, node_id: str | None = None, *,
                 need_block: bool = True) -> tuple[CallerNode, str]:
    """The ``[[callers]]`` block for ``counter`` and the node id it uses on the wire.

    Without ``node_id``: the first block listing the counter, else the first
    listing none (a general block).

    Args:
        hall: the hall.
        counter: the counter number (must be configured in the hall).
        node_id: take the block with this id instead.
        need_block: False for keyboard mode, which works without any block.

    Returns:
        The block and the wire id: the block id, suffixed with the counter when
        the block serves several counters.

    Raises:
        NodeSetupError: the counter is unknown, or no block fits it.
    """
    numbers = [c.number for c in hall.counters]
    if counter not in numbers:
        raise NodeSetupError(f"counter {counter} is not configured in this hall (counters: "
                             f"{', '.join(map(str, numbers))}); fix --counter")
    listed = [b for b in hall.callers if counter in b.counters]
    general = [b for b in hall.callers if not b.counters]
    block = select_block(
        hall.callers, node_id, table="callers", fitting=(listed or general)[:1],
        default=None if need_block else CallerNode(id="caller", counters=(counter,)),
        missing=f"add one with counters = [{counter}] (or none) and its pins")
    if block.counters and counter not in block.counters:
        raise NodeSetupError(f"[[callers]] block {block.id!r} lists counters "
                             f"{list(block.counters)}, not {counter}")
    wire = block.id if len(block.counters) == 1 else f"{block.id}-{counter}"
    return block, wire[:WIRE_ID_MAX]
