"""The request envelope, and the one place nodes and broker import the wire codec from.

Requests (anyone -> broker) are checked strictly, unknown top-level keys
included, because the broker is the gatekeeper and a misspelt key (``"arg"``)
must be reported, not silently ignored. Replies (``protocol.replies``) and
events (``protocol.events``) tolerate unknown top-level keys, so a newer broker
may add fields without breaking nodes that have not been upgraded yet (Pis are
upgraded one at a time); their names are re-exported here so callers keep one
import for the whole wire format.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from protocol import errors
from protocol.codec import (
    MAX_NAME_CHARS,
    VERSION,
    check_version,
    dumps,
    envelope_error,
    json_type,
    loads_object,
)
from protocol.errors import ProtocolError
from protocol.events import (
    HEARTBEAT_TOPIC,
    HEARTBEAT_TYPE,
    Event,
    Heartbeat,
    decode_event,
    encode_event,
    encode_heartbeat,
)
from protocol.replies import decode_reply, error_reply, ok_reply
from protocol.registry import BULK_OPS

__all__ = [
    "HEARTBEAT_TOPIC", "HEARTBEAT_TYPE", "MAX_FRAME_BYTES", "MAX_ID_CHARS", "MAX_NAME_CHARS",
    "VERSION", "Event", "Heartbeat", "Request", "decode_event", "decode_reply", "decode_request",
    "decode_request_id", "encode_event", "encode_heartbeat", "encode_request", "error_reply",
    "new_request_id", "ok_reply",
]

logger = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024
"""Largest request frame the broker accepts. Replies and events are not capped."""

MAX_BULK_FRAME_BYTES = 960 * 1024
"""Largest frame of a bulk op (``BULK_OPS``): 5 000 bookings of the longest valid form
(about 800 KB) in one request, so an import stays one all-or-nothing command. Below the
broker socket's hard limit (1 MiB), so a larger frame still gets a ``too_large`` reply."""

def frame_limit(op: str) -> int:
    """The largest request frame accepted for ``op``."""
    return MAX_BULK_FRAME_BYTES if op in BULK_OPS else MAX_FRAME_BYTES

MAX_ID_CHARS = 128
"""Longest request id, in characters."""

_REQUEST_KEYS = ("v", "id", "op", "node", "args", "staff")

STAFF_PATTERN = re.compile(r"[0-9]{1,16}")
"""A staff id (工号): 1-16 ASCII digits (matched whole, so no trailing newline slips in)."""

# Cheap fallback to find an id in a frame we refuse to (or cannot) parse as JSON.
_ID_RE = re.compile(rb'"id"\s*:\s*"((?:[^"\\]|\\.){1,%d})"' % (MAX_ID_CHARS * 6))


@dataclass(frozen=True)
class Request:
    """One command from a node to the broker.

    Attributes:
        id: unique request id; retries of the same command reuse it.
        op: the op name (see ``protocol.ops.OPS``).
        node: the id of the node that sends it.
        args: the op's arguments, a JSON object.
        staff: the staff member (工号) the sending node acts for, or None. Only the staff
            console (role ``web``) and the admin may send it; the broker checks it.
    """

    id: str
    op: str
    node: str
    args: dict[str, Any] = field(default_factory=dict, hash=False)
    staff: str | None = None


def _text_problem(obj: dict[str, Any], key: str, limit: int) -> str | None:
    """Why ``obj[key]`` is not a non-empty string of at most ``limit`` chars, or None."""
    if key not in obj:
        return f"'{key}' is missing"
    value = obj[key]
    if not isinstance(value, str):
        return f"'{key}' must be a string, got {json_type(value)}"
    if not value:
        return f"'{key}' must not be empty"
    if len(value) > limit:
        return f"'{key}' must be at most {limit} characters, got {len(value)}"
    return None


def _request_problems(obj: dict[str, Any]) -> list[str]:
    """Every way a request object (version already checked) breaks the envelope."""
    problems: list[str] = []
    unknown = sorted(k for k in obj if k not in _REQUEST_KEYS)
    if unknown:
        problems.append("unknown key(s) " + ", ".join(repr(k) for k in unknown))
    for key, limit in (("id", MAX_ID_CHARS), ("op", MAX_NAME_CHARS), ("node", MAX_NAME_CHARS)):
        problem = _text_problem(obj, key, limit)
        if problem:
            problems.append(problem)
    if "args" not in obj:
        problems.append("'args' is missing (send {} when the op takes none)")
    elif not isinstance(obj["args"], dict):
        problems.append(f"'args' must be an object, got {json_type(obj['args'])}")
    if "staff" in obj:
        staff = obj["staff"]
        if not isinstance(staff, str) or STAFF_PATTERN.fullmatch(staff) is None:
            got = json_type(staff) if not isinstance(staff, str) else "another string"
            problems.append(f"'staff' must be a staff id of 1-16 ASCII digits, got {got}")
    return problems


_REQUEST_SHAPE = ('{"v": 1, "id": "<1-128 chars>", "op": "<op>", "node": "<node id>", '
                  '"args": {...}}, optionally "staff": "<1-16 digits>", and no other keys')


def new_request_id() -> str:
    """A fresh random request id (32 hex digits).

    Returns:
        An id unique for all practical purposes, to be reused on every retry.
    """
    return uuid.uuid4().hex


def encode_request(req: Request) -> bytes:
    """Encode a request as one JSON frame.

    The same envelope rules as ``decode_request`` apply, so a node finds out
    about a bad request before it is sent.

    Args:
        req: the request.

    Returns:
        The UTF-8 JSON frame.

    Raises:
        ProtocolError: ``bad_envelope``, ``bad_args`` (not JSON-encodable) or
            ``too_large`` (the frame would exceed ``MAX_FRAME_BYTES``).
    """
    obj: dict[str, Any] = {"v": VERSION, "id": req.id, "op": req.op, "node": req.node,
                           "args": req.args}
    if req.staff is not None:
        obj["staff"] = req.staff
    problems = _request_problems(obj)
    if problems:
        raise envelope_error("request", problems, _REQUEST_SHAPE)
    raw = dumps(obj, f"args of {req.op!r}")
    if len(raw) > frame_limit(req.op):
        raise ProtocolError(errors.TOO_LARGE,
                            f"request {req.op!r} is {len(raw)} bytes; the broker accepts at most "
                            f"{frame_limit(req.op)} bytes per {req.op!r} request")
    return raw


def decode_request(raw: bytes, max_bytes: int = MAX_FRAME_BYTES) -> Request:
    """Decode and check one request frame (broker side).

    Checks, in this order: size, UTF-8, JSON object, size for the op, version, envelope
    keys. Whether the op exists and its args are right is ``protocol.ops.validate_args``'s job.

    Args:
        raw: the frame as received.
        max_bytes: the largest frame parsed at all; ``MAX_BULK_FRAME_BYTES`` only for a
            sender allowed bulk ops, so nobody else makes the broker parse large frames.

    Returns:
        The request.

    Raises:
        ProtocolError: ``too_large``, ``bad_json``, ``unsupported_version`` or
            ``bad_envelope``; the message names every problem found.
    """
    most = min(max_bytes, MAX_BULK_FRAME_BYTES)
    if len(raw) > most:
        raise ProtocolError(errors.TOO_LARGE,
                            f"request frame is {len(raw)} bytes; at most {most} bytes are "
                            "accepted from this sender")
    obj = loads_object(raw, "request frame")
    op = obj.get("op")
    most = frame_limit(op if isinstance(op, str) else "")
    if len(raw) > most:
        raise ProtocolError(errors.TOO_LARGE,
                            f"request frame is {len(raw)} bytes; at most {most} bytes are "
                            f"accepted for op {op!r}")
    check_version(obj, "request")
    problems = _request_problems(obj)
    if problems:
        raise envelope_error("request", problems, _REQUEST_SHAPE)
    return Request(id=obj["id"], op=obj["op"], node=obj["node"], args=obj["args"],
                   staff=obj.get("staff"))


def decode_request_id(raw: bytes) -> str | None:
    """Best-effort id of a frame that may be malformed, so an error reply can echo it.

    Never raises. A client discards replies that carry another id, so echoing
    the id is what lets it see why its request was refused.

    Args:
        raw: the frame as received.

    Returns:
        The request id, or None when none can be found.
    """
    try:
        if len(raw) <= MAX_FRAME_BYTES:
            try:
                obj = json.loads(bytes(raw).decode("utf-8"))
            except ValueError:
                obj = None
            if isinstance(obj, dict):
                value = obj.get("id")
                if isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS:
                    return value
                return None
        # Too large or not JSON: look for an "id" string near the start without
        # parsing the whole frame (a huge frame must not cost the broker much).
        match = _ID_RE.search(bytes(raw[:4096]))
        if match is None:
            return None
        value = json.loads(b'"' + match.group(1) + b'"')
        if isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS:
            return value
    except Exception:  # noqa: BLE001 - best effort by contract; garbage must not raise
        logger.debug("no request id found in a malformed frame", exc_info=True)
    return None
