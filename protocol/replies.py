"""Replies: the broker's answer to one request, success or refusal.

Nodes tolerate unknown top-level keys in replies, so a newer broker may add
fields without breaking nodes that have not been upgraded yet.
"""

from __future__ import annotations

from typing import Any

from protocol import errors
from protocol.codec import VERSION, check_version, dumps, envelope_error, json_type, loads_object
from protocol.errors import ProtocolError


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
    return dumps({"v": VERSION, "id": request_id, "ok": True, "result": result},
                  "reply result")


def error_reply(request_id: str | None, code: str, message: str,
                params: dict[str, Any] | None = None) -> bytes:
    """Encode a refusal reply.

    Args:
        request_id: the id of the refused request, or None when the frame had
            none (use ``decode_request_id`` to find it in a malformed frame).
        code: a stable code from ``protocol.errors.ERROR_CODES``.
        message: an English explanation for logs: what was wrong, what to do.
        params: the facts behind the refusal, JSON-ready (``{}`` when none); nodes
            word ``code`` and ``params`` for people.

    Returns:
        The UTF-8 JSON frame.

    Raises:
        ValueError: ``code`` is not in ``ERROR_CODES`` (a bug: codes are a public contract).
    """
    if code not in errors.ERROR_CODES:
        raise ValueError(f"error code {code!r} is not listed in protocol.errors.ERROR_CODES")
    return dumps({"v": VERSION, "id": request_id, "ok": False,
                  "error": {"code": code, "message": str(message), "params": dict(params or {})}},
                 "error reply")


def decode_reply(raw: bytes) -> dict[str, Any]:
    """Decode and check one reply frame (node side).

    Args:
        raw: the frame as received.

    Returns:
        ``{"v", "id", "ok": True, "result"}`` or ``{"v", "id", "ok": False,
        "error": {"code", "message", "params"}}``; unknown top-level keys are dropped.
        ``params`` is ``{}`` when a (pre-``params``) broker sent none.
        ``id`` is a string or None.

    Raises:
        ProtocolError: ``bad_json``, ``unsupported_version`` or ``bad_envelope``.
    """
    obj = loads_object(raw, "reply frame")
    check_version(obj, "reply")
    problems: list[str] = []
    reply_id = obj.get("id")
    if "id" not in obj:
        problems.append("'id' is missing")
    elif reply_id is not None and not isinstance(reply_id, str):
        problems.append(f"'id' must be a string or null, got {json_type(reply_id)}")
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
            if not isinstance(error.get("params", {}), dict):
                problems.append("'error.params' must be an object")
    if problems:
        raise envelope_error("reply", problems,
                              '{"v": 1, "id": ..., "ok": true, "result": {...}} or '
                              '{"v": 1, "id": ..., "ok": false, "error": {"code": ..., '
                              '"message": ...}}')
    if ok:
        return {"v": VERSION, "id": reply_id, "ok": True, "result": obj["result"]}
    return {"v": VERSION, "id": reply_id, "ok": False,
            "error": {"code": obj["error"]["code"], "message": obj["error"]["message"],
                      "params": obj["error"].get("params", {})}}
