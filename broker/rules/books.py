"""The state's alerts and 差评 cases as mappings that keep an index of what the rules ask
after every command, so no command walks everything the day (or the month) left behind.

Sticky alerts (a negative rating, a time limit) and open cases pile up until a manager
deals with them: a busy day leaves thousands. After every command the rules asked which
raised alerts might clear (``alerts.alert_events``) and which open cases fell due
(``cases.overdue_events``), each by walking them all. ``AlertBook`` keeps the keys of the
alerts that can clear, in the order of the book; ``CaseBook`` keeps the open cases by due
time. Each index is updated on every write, whoever writes (``evolve``, a test), so it
always equals the scan it replaces (a property test holds it so).

Every command decides on a copy of the state; copying thousands of alerts and cases for
each would again cost in proportion to them. A copy shares the items and the index with
its original, and whichever of the two is written first takes a copy of its own then (a
command that raises or clears nothing copies nothing).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import TYPE_CHECKING, Any, Generic, Iterator, Mapping, MutableMapping, Self, TypeVar

if TYPE_CHECKING:  # the model imports this module: only the types are needed here
    from broker.rules.model import Alert, Case

V = TypeVar("V")

EXTERNAL_PREFIXES: tuple[str, ...] = ("node:", "clock:")
"""Keys of alerts raised and cleared by reports (nodes' health, the broker's clock), not by
the queue's state: re-evaluation and a new day leave them alone."""


class IndexedBook(MutableMapping[str, V], Generic[V]):
    """A dict whose subclasses keep an index of its items through ``_moved``."""

    __slots__ = ("_items", "_shared")

    def __init__(self, items: Mapping[str, V] | None = None) -> None:
        """A book holding ``items`` (copied), its index built from them."""
        self._items: dict[str, V] = dict(items or {})
        self._shared = False
        self._build_index()

    def _build_index(self) -> None:
        """Build the index from the items (once, not item by item: a checkpoint's thousands)."""

    def _moved(self, key: str, old: V | None, new: V | None) -> None:
        """The item ``key`` changed from ``old`` to ``new`` (None: absent)."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (in checkpoints) as its items; the index is rebuilt on loading.
        return (type(self), (dict(self._items),))

    def __getitem__(self, key: str) -> V:
        return self._items[key]

    def get(self, key: str, default: Any = None) -> Any:
        """The item ``key``, or ``default``."""
        return self._items.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __setitem__(self, key: str, value: V) -> None:
        self._unshare()
        old = self._items.get(key)
        self._items[key] = value
        self._moved(key, old, value)

    def __delitem__(self, key: str) -> None:
        self._unshare()
        old = self._items.pop(key)
        self._moved(key, old, None)

    def _unshare(self) -> None:
        """Before a write: take copies of the items and index a copy still shares."""
        if self._shared:
            self._items = dict(self._items)
            self._copy_index(self)
            self._shared = False

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def values(self) -> Any:
        """The items' values, in the book's order (a dict's view: fast)."""
        return self._items.values()

    def items(self) -> Any:
        """The items, in the book's order (a dict's view: fast)."""
        return self._items.items()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._items!r})"

    def copy(self) -> Self:
        """A book that may change without touching this one."""
        twin = type(self).__new__(type(self))
        twin._items = self._items
        twin._copy_index(self)
        # Both share the items now: whichever is written first copies them (``_unshare``).
        self._shared = twin._shared = True
        return twin

    def _copy_index(self, other: Any) -> None:
        """Take ``other``'s index (the same class, possibly this book itself), copying any
        part that is changed in place."""


def can_clear(key: str, alert: Alert) -> bool:
    """An alert its condition clears: not sticky, not raised by reports (nodes, the clock)."""
    return not alert.sticky and not key.startswith(EXTERNAL_PREFIXES)


class AlertBook(IndexedBook["Alert"]):
    """The raised alerts by key, in the order they were raised, with the keys of those
    that can clear (``can_clear``) in the same order."""

    __slots__ = ("_clearable",)

    def _build_index(self) -> None:
        self._clearable: dict[str, None] = {
            k: None for k, a in self._items.items() if can_clear(k, a)}

    def _copy_index(self, other: AlertBook) -> None:
        self._clearable = dict(other._clearable)

    def _moved(self, key: str, old: Alert | None, new: Alert | None) -> None:
        was = old is not None and can_clear(key, old)
        now = new is not None and can_clear(key, new)
        if was == now:
            return
        if not now:
            del self._clearable[key]
        elif old is None:
            self._clearable[key] = None  # a new key: last in the book and in the index
        else:
            # Rare: an alert raised again under its key, now clearable; its place in the
            # book is its first raise, so the index is rebuilt in the book's order.
            self._build_index()

    def clearable(self) -> list[str]:
        """The keys of the alerts that can clear, in the book's order."""
        return list(self._clearable)


Due = tuple[float, str]
"""An open case in the due index: ``(due_at, id)``."""


class CaseBook(IndexedBook["Case"]):
    """差评 cases by id, with the open ones ordered by when they fall due."""

    __slots__ = ("_due",)

    def _build_index(self) -> None:
        self._due: tuple[Due, ...] = tuple(sorted(
            (c.due_at, k) for k, c in self._items.items() if c.state == "open"))

    def _copy_index(self, other: CaseBook) -> None:
        self._due = other._due  # a tuple: replaced, never changed, on a write

    def _moved(self, key: str, old: Case | None, new: Case | None) -> None:
        was = (old.due_at, key) if old is not None and old.state == "open" else None
        now = (new.due_at, key) if new is not None and new.state == "open" else None
        if was == now:
            return
        due = self._due
        if was is not None:
            at = bisect_left(due, was)
            due = due[:at] + due[at + 1:]
        if now is not None:
            at = bisect_left(due, now)
            due = due[:at] + (now,) + due[at:]
        self._due = due

    def open_due_by(self, now: float) -> list[Case]:
        """The open cases whose ``due_at`` is at or before ``now``, by id."""
        until = bisect_right(self._due, (now, "\U0010ffff"))
        return sorted((self._items[key] for _, key in self._due[:until]), key=lambda c: c.id)
