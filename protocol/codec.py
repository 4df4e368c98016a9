"""JSON on the wire: the encoding rules every frame shares (requests, replies, events).

Decoders never trust their input: every malformed frame becomes a
``ProtocolError`` whose code is one of ``protocol.errors.ERROR_CODES`` and
whose message says what was wrong and what is expected.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from protocol import errors
from protocol.errors import ProtocolError

VERSION = 1
"""The protocol version every envelope carries as ``"v"``."""

MAX_NAME_CHARS = 64
"""Longest op name, node id or event type, in characters."""


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
"""The one compact encoder: ``json.dumps`` with options builds a new one on every call."""


def dumps(obj: Any, what: str) -> bytes:
    """Compact UTF-8 JSON; NaN/Infinity are refused because they are not JSON."""
    try:
        text = _ENCODER.encode(obj)
        return text.encode("utf-8")
    except (TypeError, ValueError) as err:
        # UnicodeEncodeError (lone surrogates) is a ValueError too.
        raise ProtocolError(errors.BAD_ARGS,
                            f"{what} cannot be encoded as JSON: {err}") from err


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
"""The one strict decoder: ``json.loads`` with options builds (and compiles the scanner of)
a new one on every call, a third of decoding a short request."""


def loads_object(raw: bytes, what: str) -> dict[str, Any]:
    """Parse ``raw`` as one UTF-8 JSON object or raise ``ProtocolError(bad_json)``."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise ProtocolError(errors.BAD_JSON,
                            f"{what} must be bytes, got {type(raw).__name__}")
    data = bytes(raw)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ProtocolError(
            errors.BAD_JSON,
            f"{what} is not valid UTF-8 (byte 0x{data[err.start]:02x} at offset "
            f"{err.start}); expected one UTF-8 encoded JSON object") from err
    try:
        obj = _DECODER.decode(text)
    except ValueError as err:
        raise ProtocolError(errors.BAD_JSON,
                            f"{what} is not valid JSON ({err}); expected one JSON object") from err
    except RecursionError as err:
        raise ProtocolError(errors.BAD_JSON,
                            f"{what} nests too deeply; expected a flat JSON object") from err
    try:
        lone = may_hold_surrogate(data) and has_lone_surrogate(obj)
    except RecursionError as err:
        raise ProtocolError(errors.BAD_JSON,
                            f"{what} nests too deeply; expected a flat JSON object") from err
    if lone:
        # "\ud800" is valid JSON but not text: it cannot be encoded back to UTF-8.
        raise ProtocolError(errors.BAD_JSON,
                            f"{what} holds a lone UTF-16 surrogate escape; send real characters")
    if not isinstance(obj, dict):
        raise ProtocolError(errors.BAD_JSON,
                            f"{what} must be a JSON object, got {json_type(obj)}")
    return obj


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
"""A JSON escape of a UTF-16 surrogate (``\\ud800`` to ``\\udfff``), or what looks like one."""


def may_hold_surrogate(raw: bytes) -> bool:
    """False when a UTF-8 JSON frame cannot decode to a lone surrogate: the cheap check first.

    Valid UTF-8 never encodes a surrogate, so one can only come from a ``\\uD8xx``-style
    escape; a frame without one (nearly all) needs no walk through its decoded values.
    A match may be a false alarm (an escaped backslash before ``ud8``): then walk.
    """
    return _SURROGATE_ESCAPE.search(raw) is not None


def has_lone_surrogate(value: Any) -> bool:
    """True when a decoded value holds a string that cannot be encoded as UTF-8, at any depth.

    Encoded once by the C encoder rather than walked in Python: no depth limit to slip
    under, and nothing to do twice (replies, journal rows and events are encoded so too).
    """
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def json_type(value: Any) -> str:
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


def is_int(value: Any) -> bool:
    """An integer on the wire (booleans are not)."""
    # bool is an int subclass in Python but not a number on the wire.
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A finite JSON number."""
    return (is_int(value) or isinstance(value, float)) and math.isfinite(value)


def check_version(obj: dict[str, Any], what: str) -> None:
    """Check ``v`` first: a frame of another version may have another shape entirely."""
    if "v" not in obj:
        raise ProtocolError(errors.BAD_ENVELOPE,
                            f"{what} has no 'v'; expected \"v\": {VERSION}")
    version = obj["v"]
    if not is_int(version):
        raise ProtocolError(errors.BAD_ENVELOPE,
                            f"{what} 'v' must be the integer {VERSION}, got "
                            f"{json_type(version)} {version!r}")
    if version != VERSION:
        raise ProtocolError(errors.UNSUPPORTED_VERSION,
                            f"protocol version {version} is not supported; "
                            f"this side speaks version {VERSION}")


def envelope_error(what: str, problems: list[str], expected: str) -> ProtocolError:
    """A ``bad_envelope`` error naming every problem and the shape expected."""
    return ProtocolError(errors.BAD_ENVELOPE,
                         f"{what}: " + "; ".join(problems) + f". Expected {expected}")
