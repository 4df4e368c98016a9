"""Events and heartbeats: the numbered facts the broker publishes, as PUB frames.

Nodes tolerate unknown top-level keys in event bodies, so a newer broker may
add fields without breaking nodes that have not been upgraded yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from protocol import errors
from protocol.codec import (
    MAX_NAME_CHARS,
    VERSION,
    check_version,
    dumps,
    envelope_error,
    is_int,
    is_number,
    json_type,
    loads_object,
)
from protocol.errors import ProtocolError

HEARTBEAT_TOPIC = b"hb"
"""PUB topic of heartbeats; no event type may use it."""

HEARTBEAT_TYPE = "heartbeat"
"""The ``type`` field of a heartbeat body."""

_EVENT_TYPE_RE = re.compile(r"^[a-z][a-z0-9_.]*$")


@dataclass(frozen=True)
class Event:
    """One numbered fact published by the broker.

    Attributes:
        seq: position in the broker's event stream, strictly increasing and gap-free.
        type: the event type, also the PUB topic (e.g. ``"called"``).
        at: when it happened, epoch seconds.
        data: the facts of the event.
        view: the parts of the public view it changed (merged one level deep).
    """

    seq: int
    type: str
    at: float
    data: dict[str, Any] = field(default_factory=dict, hash=False)
    view: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Heartbeat:
    """The broker's periodic sign of life.

    Attributes:
        seq: the seq of the last event published (not incremented by the heartbeat).
        at: when it was sent, epoch seconds.
        hall: the hall id of the broker's journal (None from brokers before it was added).
        epoch: the journal's epoch; a new one means a new history: resynchronise.
    """

    seq: int
    at: float
    hall: str | None = None
    epoch: str | None = None


def _event_type_problem(type_: Any) -> str | None:
    if not isinstance(type_, str):
        return f"'type' must be a string, got {json_type(type_)}"
    if not _EVENT_TYPE_RE.match(type_) or len(type_) > MAX_NAME_CHARS:
        return (f"'type' must be lower-case ASCII letters, digits, '_' or '.', starting with "
                f"a letter, at most {MAX_NAME_CHARS} characters; got {type_!r}")
    if type_.encode("ascii") == HEARTBEAT_TOPIC or type_ == HEARTBEAT_TYPE:
        return f"'type' {type_!r} is reserved for heartbeats"
    return None


def encode_event(event: Event) -> list[bytes]:
    """Encode an event as PUB frames ``[topic, body]``; the topic is the type in ASCII.

    Args:
        event: the event; ``seq`` >= 1.

    Returns:
        The two frames.

    Raises:
        ProtocolError: ``bad_envelope`` for a bad type/seq/at, ``bad_args`` when
            data or view cannot be encoded as JSON.
    """
    problems: list[str] = []
    type_problem = _event_type_problem(event.type)
    if type_problem:
        problems.append(type_problem)
    if not is_int(event.seq) or event.seq < 1:
        problems.append(f"'seq' must be an integer >= 1, got {event.seq!r}")
    if not is_number(event.at):
        problems.append(f"'at' must be a finite number, got {event.at!r}")
    if not isinstance(event.data, dict) or not isinstance(event.view, dict):
        problems.append("'data' and 'view' must be dicts")
    if problems:
        raise envelope_error("event", problems, "a valid Event")
    body = dumps({"v": VERSION, "seq": event.seq, "type": event.type, "at": event.at,
                   "data": event.data, "view": event.view}, f"event {event.type!r}")
    return [event.type.encode("ascii"), body]


def encode_heartbeat(seq: int, at: float, *, hall: str | None = None,
                     epoch: str | None = None) -> list[bytes]:
    """Encode a heartbeat as PUB frames ``[b"hb", body]``.

    Args:
        seq: the seq of the last event published (0 before the first event).
        at: the current time, epoch seconds.
        hall: the hall id of the broker's journal, sent as ``"hall"`` when given.
        epoch: the journal's epoch, sent as ``"epoch"`` when given.

    Returns:
        The two frames.

    Raises:
        ProtocolError: ``bad_envelope`` for a negative/non-integer seq or a non-finite time.
    """
    if not is_int(seq) or seq < 0:
        raise ProtocolError(errors.BAD_ENVELOPE,
                            f"heartbeat 'seq' must be an integer >= 0, got {seq!r}")
    if not is_number(at):
        raise ProtocolError(errors.BAD_ENVELOPE,
                            f"heartbeat 'at' must be a finite number, got {at!r}")
    obj: dict[str, Any] = {"v": VERSION, "seq": seq, "type": HEARTBEAT_TYPE, "at": at}
    obj.update({k: v for k, v in (("hall", hall), ("epoch", epoch)) if v is not None})
    return [HEARTBEAT_TOPIC, dumps(obj, "heartbeat")]


def decode_event(frames: list[bytes]) -> Event | Heartbeat:
    """Decode PUB frames into an event or a heartbeat (node side).

    Args:
        frames: the frames of one message as received by a SUB socket.

    Returns:
        ``Heartbeat`` for topic ``b"hb"``, else ``Event``.

    Raises:
        ProtocolError: ``bad_envelope``, ``bad_json`` or ``unsupported_version``
            for anything that is not a well-formed event or heartbeat.
    """
    if not isinstance(frames, (list, tuple)) or len(frames) != 2:
        count = len(frames) if isinstance(frames, (list, tuple)) else type(frames).__name__
        raise ProtocolError(errors.BAD_ENVELOPE,
                            f"an event message has exactly 2 frames [topic, body], got {count}")
    topic, raw = frames
    if not isinstance(topic, (bytes, bytearray, memoryview)):
        raise ProtocolError(errors.BAD_ENVELOPE,
                            f"an event topic must be bytes, got {type(topic).__name__}")
    obj = loads_object(raw, "event body")
    check_version(obj, "event")
    problems: list[str] = []
    seq = obj.get("seq")
    if not is_int(seq) or seq < 0:
        problems.append(f"'seq' must be an integer >= 0, got {seq!r}")
    at = obj.get("at")
    if not is_number(at):
        problems.append(f"'at' must be a finite number, got {at!r}")
    type_ = obj.get("type")
    if bytes(topic) == HEARTBEAT_TOPIC:
        if type_ != HEARTBEAT_TYPE:
            problems.append(f"a b'hb' message must have type 'heartbeat', got {type_!r}")
        if problems:
            raise envelope_error("heartbeat", problems,
                                  '{"v": 1, "seq": N, "type": "heartbeat", "at": T}')
        identity = [obj.get(k) if isinstance(obj.get(k), str) else None for k in ("hall", "epoch")]
        return Heartbeat(seq=seq, at=float(at), hall=identity[0], epoch=identity[1])
    type_problem = _event_type_problem(type_)
    if type_problem:
        problems.append(type_problem)
    elif bytes(topic) != type_.encode("ascii"):
        problems.append(f"topic {bytes(topic)!r} does not match type {type_!r}")
    if is_int(seq) and seq == 0:
        problems.append("event 'seq' starts at 1")
    for key in ("data", "view"):
        if not isinstance(obj.get(key), dict):
            problems.append(f"'{key}' must be an object, got {json_type(obj.get(key))}")
    if problems:
        raise envelope_error("event", problems,
                              '{"v": 1, "seq": N, "type": "<topic>", "at": T, "data": {...}, '
                              '"view": {...}}')
    return Event(seq=seq, type=type_, at=float(at), data=obj["data"], view=obj["view"])
