"""The callnext wire protocol: envelope codec, op registry, typed view and results,
request client, state mirror.

The only package that knows the wire format. The broker uses the codec, the
registry and ``validate_args`` on its side; nodes use ``RequestClient`` for
commands and ``StateMirror`` to follow the broker's public view (as a dict, and
typed as ``PublicView``). Nodes never import ``broker``.

The names below are re-exported lazily: ``from protocol import errors`` (as
the pure queue rules do) must not drag in pyzmq or pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from protocol.client import RequestClient
    from protocol.envelope import (MAX_FRAME_BYTES, VERSION, Event, Heartbeat, Request,
                                   decode_event, decode_reply, decode_request,
                                   decode_request_id, encode_event, encode_heartbeat,
                                   encode_request, error_reply, new_request_id, ok_reply)
    from protocol.errors import ERROR_CODES, BrokerUnreachable, CommandRefused, ProtocolError
    from protocol.mirror import StateMirror
    from protocol.ops import validate_args
    from protocol.registry import (COUNTER_SCOPED_OPS, OPS, READ_ONLY_OPS, REGISTRY, OpSpec,
                                   ops_for_role)
    from protocol.results import OpResult
    from protocol.view import CounterView, PublicView, ServiceView, TicketingView, merge_view

_EXPORTS: dict[str, str] = {
    "RequestClient": "protocol.client",
    "MAX_FRAME_BYTES": "protocol.envelope",
    "VERSION": "protocol.envelope",
    "Event": "protocol.envelope",
    "Heartbeat": "protocol.envelope",
    "Request": "protocol.envelope",
    "decode_event": "protocol.envelope",
    "decode_reply": "protocol.envelope",
    "decode_request": "protocol.envelope",
    "decode_request_id": "protocol.envelope",
    "encode_event": "protocol.envelope",
    "encode_heartbeat": "protocol.envelope",
    "encode_request": "protocol.envelope",
    "error_reply": "protocol.envelope",
    "new_request_id": "protocol.envelope",
    "ok_reply": "protocol.envelope",
    "ERROR_CODES": "protocol.errors",
    "BrokerUnreachable": "protocol.errors",
    "CommandRefused": "protocol.errors",
    "ProtocolError": "protocol.errors",
    "StateMirror": "protocol.mirror",
    "validate_args": "protocol.ops",
    "COUNTER_SCOPED_OPS": "protocol.registry",
    "OPS": "protocol.registry",
    "READ_ONLY_OPS": "protocol.registry",
    "REGISTRY": "protocol.registry",
    "OpSpec": "protocol.registry",
    "ops_for_role": "protocol.registry",
    "OpResult": "protocol.results",
    "CounterView": "protocol.view",
    "PublicView": "protocol.view",
    "ServiceView": "protocol.view",
    "TicketingView": "protocol.view",
    "merge_view": "protocol.view",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'protocol' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
