"""The codec: bytes on the wire <-> requests, replies and events.

This is the only module that knows the JSON envelope. Decoders never trust
their input: every malformed frame becomes a ``ProtocolError`` whose code is
one of ``protocol.errors.ERROR_CODES`` and whose message says what was wrong
and what is expected, so the broker can answer it instead of crashing.

Strictness differs by direction on purpose:

* requests (anyone -> broker) are checked strictly, unknown top-level keys
  included, because the broker is the gatekeeper and a misspelt key
  (``"arg"``) must be reported, not silently ignored;
* replies and events (broker -> nodes) tolerate unknown top-level keys, so a
  newer broker may add fields without breaking nodes that have not been
  upgraded yet (Pis are upgraded one at a time). Known keys are still checked.
"""

from __future__ import annotations

import json
import logging
import math
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from protocol import errors
from protocol.errors import ProtocolError

logger = logging.getLogger(__name__)

VERSION = 1
"""The protocol version every envelope carries as ``"v"``."""

MAX_FRAME_BYTES = 64 * 1024
"""Largest request frame the broker accepts. Replies and events are not capped."""

MAX_ID_CHARS = 128
"""Longest request id, in characters."""

MAX_NAME_CHARS = 64
"""Longest op name, node id or event type, in characters."""

HEARTBEAT_TOPIC = b"hb"
"""PUB topic of heartbeats; no event type may use it."""

HEARTBEAT_TYPE = "heartbeat"
"""The ``type`` field of a heartbeat body."""

_REQUEST_KEYS = ("v", "id", "op", "node", "args")
# Cheap fallback to find an id in a frame we refuse to (or cannot) parse as JSON.
_ID_RE = re.compile(rb'"id"\s*:\s*"((?:[^"\\]|\\.){1,%d})"' % (MAX_ID_CHARS * 6))
_EVENT_TYPE_RE = re.compile(r"^[a-z][a-z0-9_.]*$")


@dataclass(frozen=True)
class Request:
    """One command from a node to the broker.

    Attributes:
        id: unique request id; retries of the same command reuse it.
        op: the op name (see ``protocol.ops.OPS``).
        node: the id of the node that sends it.
        args: the op's arguments, a JSON object.
    """

    id: str
    op: str
    node: str
    args: dict[str, Any] = field(default_factory=dict, hash=False)


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


# --- helpers ---------------------------------------------------------------------------------

def _dumps(obj: Any, what: str) -> bytes:
    """Compact UTF-8 JSON; NaN/Infinity are refused because they are not JSON."""
    try:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        return text.encode("utf-8")
    except (TypeError, ValueError) as err:
        # UnicodeEncodeError (lone surrogates) is a ValueError too.
        raise ProtocolError(errors.BAD_ARGS,
                            f"{what} cannot be encoded as JSON: {err}") from err


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _loads_object(raw: bytes, what: str) -> dict[str, Any]:
    """Parse ``raw`` as one UTF-8 JSON object or raise ``ProtocolError(bad_json)``."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise ProtocolError(errors.BAD_JSON,
                            f"{what} must be bytes, got {type(raw).__name__}")
    try:
        text = bytes(raw).decode("utf-8")
    except UnicodeDecodeError as err:
        raise ProtocolError(
            errors.BAD_JSON,
            f"{what} is not valid UTF-8 (byte 0x{bytes(raw)[err.start]:02x} at offset "
            f"{err.start}); expected one UTF-8 encoded JSON object") from err
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except ValueError as err:
        raise ProtocolError(errors.BAD_JSON,
                            f"{what} is not valid JSON ({err}); expected one JSON object") from err
    except RecursionError as err:
        raise ProtocolError(errors.BAD_JSON,
                            f"{what} nests too deeply; expected a flat JSON object") from err
    if _has_lone_surrogate(obj):
        # "\ud800" is valid JSON but not text: it cannot be encoded back to UTF-8.
        raise ProtocolError(errors.BAD_JSON,
                            f"{what} holds a lone UTF-16 surrogate escape; send real characters")
    if not isinstance(obj, dict):
        raise ProtocolError(errors.BAD_JSON,
                            f"{what} must be a JSON object, got {_json_type(obj)}")
    return obj


def _has_lone_surrogate(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if depth > 64:
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k, depth + 1) or _has_lone_surrogate(v, depth + 1)
                   for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v, depth + 1) for v in value)
    return False


def _json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _is_int(value: Any) -> bool:
    # bool is an int subclass in Python but not a number on the wire.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


def _check_version(obj: dict[str, Any], what: str) -> None:
    """Check ``v`` first: a frame of another version may have another shape entirely."""
    if "v" not in obj:
        raise ProtocolError(errors.BAD_ENVELOPE,
                            f"{what} has no 'v'; expected \"v\": {VERSION}")
    version = obj["v"]
    if not _is_int(version):
        raise ProtocolError(errors.BAD_ENVELOPE,
                            f"{what} 'v' must be the integer {VERSION}, got "
                            f"{_json_type(version)} {version!r}")
    if version != VERSION:
        raise ProtocolError(errors.UNSUPPORTED_VERSION,
                            f"protocol version {version} is not supported; "
                            f"this side speaks version {VERSION}")


def _text_problem(obj: dict[str, Any], key: str, limit: int) -> str | None:
    """Why ``obj[key]`` is not a non-empty string of at most ``limit`` chars, or None."""
    if key not in obj:
        return f"'{key}' is missing"
    value = obj[key]
    if not isinstance(value, str):
        return f"'{key}' must be a string, got {_json_type(value)}"
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
        problems.append(f"'args' must be an object, got {_json_type(obj['args'])}")
    return problems


def _envelope_error(what: str, problems: list[str], expected: str) -> ProtocolError:
    return ProtocolError(errors.BAD_ENVELOPE,
                         f"{what}: " + "; ".join(problems) + f". Expected {expected}")


_REQUEST_SHAPE = ('{"v": 1, "id": "<1-128 chars>", "op": "<op>", "node": "<node id>", '
                  '"args": {...}} and no other keys')


# --- requests --------------------------------------------------------------------------------

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
    obj = {"v": VERSION, "id": req.id, "op": req.op, "node": req.node, "args": req.args}
    problems = _request_problems(obj)
    if problems:
        raise _envelope_error("request", problems, _REQUEST_SHAPE)
    raw = _dumps(obj, f"args of {req.op!r}")
    if len(raw) > MAX_FRAME_BYTES:
        raise ProtocolError(errors.TOO_LARGE,
                            f"request {req.op!r} is {len(raw)} bytes; the broker accepts at most "
                            f"{MAX_FRAME_BYTES} bytes per request")
    return raw


def decode_request(raw: bytes) -> Request:
    """Decode and check one request frame (broker side).

    Checks, in this order: size, UTF-8, JSON object, version, envelope keys.
    Whether the op exists and its args are right is ``protocol.ops.validate_args``'s job.

    Args:
        raw: the frame as received.

    Returns:
        The request.

    Raises:
        ProtocolError: ``too_large``, ``bad_json``, ``unsupported_version`` or
            ``bad_envelope``; the message names every problem found.
    """
    if len(raw) > MAX_FRAME_BYTES:
        raise ProtocolError(errors.TOO_LARGE,
                            f"request frame is {len(raw)} bytes; at most {MAX_FRAME_BYTES} "
                            f"bytes are accepted")
    obj = _loads_object(raw, "request frame")
    _check_version(obj, "request")
    problems = _request_problems(obj)
    if problems:
        raise _envelope_error("request", problems, _REQUEST_SHAPE)
    return Request(id=obj["id"], op=obj["op"], node=obj["node"], args=obj["args"])


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


# --- replies ---------------------------------------------------------------------------------

def ok_reply(request_id: str, result: dict[str, Any]) -> bytes:
    """Encode a success reply.

    Args:
        request_id: the id of the request being answered.
        result: the op's result, a JSON object.

    Returns:
        The UTF-8 JSON frame.

    Raises:
        ProtocolError: ``bad_args`` when ``result`` is not a JSON-encodable object.
    """
    if not isinstance(result, dict):
        raise ProtocolError(errors.BAD_ARGS,
                            f"a reply result must be a dict, got {type(result).__name__}")
    return _dumps({"v": VERSION, "id": request_id, "ok": True, "result": result},
                  "reply result")


def error_reply(request_id: str | None, code: str, message: str) -> bytes:
    """Encode a refusal reply.

    Args:
        request_id: the id of the refused request, or None when the frame had
            none (use ``decode_request_id`` to find it in a malformed frame).
        code: a stable code from ``protocol.errors.ERROR_CODES``.
        message: a human-readable explanation: what was wrong, what to do.

    Returns:
        The UTF-8 JSON frame.

    Raises:
        ValueError: ``code`` is not in ``ERROR_CODES`` (a bug: codes are a public contract).
    """
    if code not in errors.ERROR_CODES:
        raise ValueError(f"error code {code!r} is not listed in protocol.errors.ERROR_CODES")
    return _dumps({"v": VERSION, "id": request_id, "ok": False,
                   "error": {"code": code, "message": str(message)}}, "error reply")


def decode_reply(raw: bytes) -> dict[str, Any]:
    """Decode and check one reply frame (node side).

    Args:
        raw: the frame as received.

    Returns:
        ``{"v", "id", "ok": True, "result"}`` or ``{"v", "id", "ok": False,
        "error": {"code", "message"}}``; unknown top-level keys are dropped.
        ``id`` is a string or None.

    Raises:
        ProtocolError: ``bad_json``, ``unsupported_version`` or ``bad_envelope``.
    """
    obj = _loads_object(raw, "reply frame")
    _check_version(obj, "reply")
    problems: list[str] = []
    reply_id = obj.get("id")
    if "id" not in obj:
        problems.append("'id' is missing")
    elif reply_id is not None and not isinstance(reply_id, str):
        problems.append(f"'id' must be a string or null, got {_json_type(reply_id)}")
    ok = obj.get("ok")
    if not isinstance(ok, bool):
        problems.append("'ok' must be true or false" if "ok" in obj else "'ok' is missing")
    elif ok:
        if not isinstance(obj.get("result"), dict):
            problems.append("'result' must be an object when ok is true")
    else:
        error = obj.get("error")
        if not isinstance(error, dict):
            problems.append("'error' must be an object when ok is false")
        else:
            if not isinstance(error.get("code"), str) or not error.get("code"):
                problems.append("'error.code' must be a non-empty string")
            if not isinstance(error.get("message"), str):
                problems.append("'error.message' must be a string")
    if problems:
        raise _envelope_error("reply", problems,
                              '{"v": 1, "id": ..., "ok": true, "result": {...}} or '
                              '{"v": 1, "id": ..., "ok": false, "error": {"code": ..., '
                              '"message": ...}}')
    if ok:
        return {"v": VERSION, "id": reply_id, "ok": True, "result": obj["result"]}
    return {"v": VERSION, "id": reply_id, "ok": False,
            "error": {"code": obj["error"]["code"], "message": obj["error"]["message"]}}


# --- events ----------------------------------------------------------------------------------

def _event_type_problem(type_: Any) -> str | None:
    if not isinstance(type_, str):
        return f"'type' must be a string, got {_json_type(type_)}"
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
    if not _is_int(event.seq) or event.seq < 1:
        problems.append(f"'seq' must be an integer >= 1, got {event.seq!r}")
    if not _is_number(event.at):
        problems.append(f"'at' must be a finite number, got {event.at!r}")
    if not isinstance(event.data, dict) or not isinstance(event.view, dict):
        problems.append("'data' and 'view' must be dicts")
    if problems:
        raise _envelope_error("event", problems, "a valid Event")
    body = _dumps({"v": VERSION, "seq": event.seq, "type": event.type, "at": event.at,
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
    if not _is_int(seq) or seq < 0:
        raise ProtocolError(errors.BAD_ENVELOPE,
                            f"heartbeat 'seq' must be an integer >= 0, got {seq!r}")
    if not _is_number(at):
        raise ProtocolError(errors.BAD_ENVELOPE,
                            f"heartbeat 'at' must be a finite number, got {at!r}")
    obj: dict[str, Any] = {"v": VERSION, "seq": seq, "type": HEARTBEAT_TYPE, "at": at}
    obj.update({k: v for k, v in (("hall", hall), ("epoch", epoch)) if v is not None})
    return [HEARTBEAT_TOPIC, _dumps(obj, "heartbeat")]


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
    obj = _loads_object(raw, "event body")
    _check_version(obj, "event")
    problems: list[str] = []
    seq = obj.get("seq")
    if not _is_int(seq) or seq < 0:
        problems.append(f"'seq' must be an integer >= 0, got {seq!r}")
    at = obj.get("at")
    if not _is_number(at):
        problems.append(f"'at' must be a finite number, got {at!r}")
    type_ = obj.get("type")
    if bytes(topic) == HEARTBEAT_TOPIC:
        if type_ != HEARTBEAT_TYPE:
            problems.append(f"a b'hb' message must have type 'heartbeat', got {type_!r}")
        if problems:
            raise _envelope_error("heartbeat", problems,
                                  '{"v": 1, "seq": N, "type": "heartbeat", "at": T}')
        identity = [obj.get(k) if isinstance(obj.get(k), str) else None for k in ("hall", "epoch")]
        return Heartbeat(seq=seq, at=float(at), hall=identity[0], epoch=identity[1])
    type_problem = _event_type_problem(type_)
    if type_problem:
        problems.append(type_problem)
    elif bytes(topic) != type_.encode("ascii"):
        problems.append(f"topic {bytes(topic)!r} does not match type {type_!r}")
    if _is_int(seq) and seq == 0:
        problems.append("event 'seq' starts at 1")
    for key in ("data", "view"):
        if not isinstance(obj.get(key), dict):
            problems.append(f"'{key}' must be an object, got {_json_type(obj.get(key))}")
    if problems:
        raise _envelope_error("event", problems,
                              '{"v": 1, "seq": N, "type": "<topic>", "at": T, "data": {...}, '
                              '"view": {...}}')
    return Event(seq=seq, type=type_, at=float(at), data=obj["data"], view=obj["view"])
