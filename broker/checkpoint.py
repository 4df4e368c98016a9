"""State checkpoints in the journal: start from the last one plus the events after it.

Replaying a busy day event by event takes seconds (a million events: a minute).
Every ``CHECKPOINT_EVERY`` events the broker stores a snapshot of its state in the
journal, in the same transaction as the events it follows (``Journal.append_many``),
so a checkpoint is never ahead of or behind the events it sums up. On start the
newest checkpoint is loaded and only the events after it are replayed.

A checkpoint is used only when all of these hold, otherwise the whole journal is
replayed (a damaged one with a warning):

* its CRC-32 matches (a damaged page is never trusted);
* it was written by code with the same state format (``state_format()``: the state's
  record fields), so an upgrade that changes the state never loads an old one;
* it was written under the same hall configuration, as far as folding events reads it
  (``hall_digest``): a new day opens the counters the configuration names, so after
  such a change a full replay under the new configuration is the truth.

The snapshot is a pickle of the state's fields (the configuration excluded): exact
for floats, tuples and order, and written only by the broker into its own journal.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import pickle
import zlib
from dataclasses import dataclass
from typing import Any

from broker.journal_rows import Checkpoint
from broker.rules import HallState, evolve, replay
from broker.rules import model
from config.schema import Hall

log = logging.getLogger(__name__)

CHECKPOINT_EVERY = 5000
"""Events between two checkpoints: at most this many are replayed after the last one."""


def _state_format() -> str:
    """The field names of the state and its records: a checkpoint loads only into the same."""
    parts = []
    # Every record class of the state (staff, cases and notices included): a field added to
    # any of them must make an older checkpoint unusable, not load it half-filled.
    records = sorted((c for c in vars(model).values()
                      if dataclasses.is_dataclass(c) and isinstance(c, type)
                      and c.__module__ == model.__name__), key=lambda c: c.__name__)
    for cls in records:
        parts.append(cls.__name__ + ":" + ",".join(f.name for f in dataclasses.fields(cls)))
    return hashlib.sha256(";".join(parts).encode()).hexdigest()[:16]



def hall_digest(hall: Hall) -> str:
    """A digest of what folding events reads of the configuration (``evolve``,
    ``initial_state``): services, counters and their opening modes, the service-time
    window. When it changed, a full replay is the truth; other settings (hours,
    alert thresholds) leave replay alone and keep the checkpoint usable. Extend it
    when ``evolve`` comes to read more of the hall."""
    read = {"services": [s.id for s in hall.services],
            "counters": [[c.number, c.opens] for c in hall.counters],
            "service_time_window": hall.policies.service_time_window}
    return hashlib.sha256(json.dumps(read).encode("utf-8")).hexdigest()[:16]


_FORMAT: list[str] = []


def state_format() -> str:
    """The current code's state format (computed once)."""
    if not _FORMAT:
        _FORMAT.append(_state_format())
    return _FORMAT[0]


def snapshot(state: HallState) -> Checkpoint:
    """The checkpoint of ``state`` (its seq is given when the journal stores it)."""
    fields = {f.name: getattr(state, f.name) for f in dataclasses.fields(state)
              if f.name != "hall"}
    data = pickle.dumps(fields, protocol=pickle.HIGHEST_PROTOCOL)
    return Checkpoint(0, state_format(), hall_digest(state.hall), zlib.crc32(data), data)


def _load(hall: Hall, found: Checkpoint) -> HallState | None:
    """The state in ``found``, or None (with the reason logged) when it may not be used."""
    if found.format != state_format():
        log.info("the journal's checkpoint at seq %d was written by another version; "
                 "replaying the whole journal", found.seq)
        return None
    if found.hall != hall_digest(hall):
        log.info("the hall configuration changed since the checkpoint at seq %d; "
                 "replaying the whole journal", found.seq)
        return None
    if zlib.crc32(found.data) != found.crc:
        log.warning("the journal's checkpoint at seq %d is damaged (checksum mismatch); "
                    "replaying the whole journal instead", found.seq)
        return None
    try:
        fields: dict[str, Any] = pickle.loads(found.data)  # noqa: S301 - our own journal
        return HallState(hall=hall, **fields)
    except Exception as err:  # noqa: BLE001 - any failure to load means: replay it all
        log.warning("the journal's checkpoint at seq %d cannot be loaded (%s); replaying the "
                    "whole journal instead", found.seq, err)
        return None


@dataclass(frozen=True)
class Started:
    """The state a broker starts from, and how it got there."""

    state: HallState
    checkpoint: int
    """The seq of the checkpoint used (0: the whole journal was replayed)."""
    replayed: int
    """Events replayed (after the checkpoint, or all of them)."""


def start_state(hall: Hall, journal: Any) -> Started:
    """The state after every event of ``journal``: from its newest usable checkpoint plus
    the events after it, or a replay of the whole journal.

    Args:
        hall: the hall's configuration.
        journal: a ``broker.journal.Journal``.
    """
    found: Checkpoint | None = journal.last_checkpoint()
    state = None if found is None else _load(hall, found)
    if state is None or found is None:
        counted = _Counted(journal.events())
        return Started(replay(hall, counted), 0, counted.count)
    replayed = 0
    for stored in journal.events(after=found.seq):
        evolve(state, stored.event())
        replayed += 1
    return Started(state, found.seq, replayed)


class _Counted:
    """The events of a journal, counted as they are replayed."""

    def __init__(self, stored: Any) -> None:
        self._stored = stored
        self.count = 0

    def __iter__(self) -> Any:
        for event in self._stored:
            self.count += 1
            yield event.event()


__all__ = ["CHECKPOINT_EVERY", "Checkpoint", "Started", "hall_digest", "snapshot", "start_state",
           "state_format"]
