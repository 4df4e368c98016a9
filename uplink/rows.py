"""One journal event as a central row: personal secrets stripped, content hashed, chained.

Each row carries ``digest``, the SHA-256 of the event's canonical content (seq, day,
type, time and data, after stripping), and ``chain``, the SHA-256 of the previous
row's chain and this digest. The digest at the resume point tells whether the local
journal still holds the history the central store has (a journal restored to an
older copy and written on holds different events at the same seq); the chain lets
anyone check later that the central rows of a hall form one unbroken history.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from broker.journal import StoredEvent
from broker.rules.staff_state import public_data

SECRET_KEYS = frozenset({"pin_hash"})
"""Keys never shipped, at any depth of an event's data (staff PIN hashes)."""

GENESIS = bytes(32)
"""The chain value before a hall's first row."""


def strip_secrets(value: Any) -> Any:
    """``value`` with every dict key in ``SECRET_KEYS`` removed, at any depth (a copy)."""
    if isinstance(value, dict):
        return {key: strip_secrets(item) for key, item in value.items()
                if key not in SECRET_KEYS}
    if isinstance(value, list):
        return [strip_secrets(item) for item in value]
    return value


@dataclass(frozen=True)
class CentralRow:
    """One row of ``callnext_events`` (``hall`` is added when written)."""

    seq: int
    day: date
    type: str
    at: datetime
    data: dict[str, Any]
    data_json: str
    epoch: str
    digest: bytes
    chain: bytes


def shipped_data(data: dict[str, Any]) -> dict[str, Any]:
    """An event's data as it leaves the hall: as the broker publishes it (``public_data``:
    without a staff member's ``name``, a PIN hash or a manager's ``note`` on a 差评 case,
    which may name the visitor), and without any ``pin_hash`` nested deeper. The 工号
    (``staff``) is shipped, so the city can report per clerk without knowing who it is."""
    return public_data(strip_secrets(data))


def digest_of(stored: StoredEvent) -> tuple[dict[str, Any], str, bytes]:
    """The shipped data, its JSON text and the event's content digest."""
    data = shipped_data(stored.data)
    data_json = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    # repr() of a float is exact and stable across Python versions.
    canonical = f"{stored.seq}\n{stored.day}\n{stored.type}\n{stored.at!r}\n{data_json}"
    return data, data_json, hashlib.sha256(canonical.encode("utf-8")).digest()


def to_row(stored: StoredEvent, previous_chain: bytes, epoch: str) -> CentralRow:
    """The central row of ``stored``, chained after ``previous_chain``."""
    data, data_json, digest = digest_of(stored)
    return CentralRow(
        seq=stored.seq, day=date.fromisoformat(stored.day), type=stored.type,
        at=datetime.fromtimestamp(stored.at, tz=timezone.utc), data=data, data_json=data_json,
        epoch=epoch, digest=digest, chain=hashlib.sha256(previous_chain + digest).digest())
