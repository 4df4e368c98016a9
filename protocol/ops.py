"""Checking a request's args against the op registry, with messages that say what is wrong.

The broker checks every request with ``validate_args`` before its rules see
it. The args models live in ``protocol.args`` and the table of ops (args,
result, roles, read-only) in ``protocol.registry``; the names below are kept
here for the modules that import them from ``protocol.ops`` (the args models
themselves: ``protocol.args``).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from protocol import errors
from protocol.args import (BOOKING_CODE_PATTERN, PIN_HASH_PATTERN, SERVICE_PATTERN,
                           STAFF_ID_PATTERN, TICKET_PATTERN, OpArgs)
from protocol.errors import ProtocolError
from protocol.registry import OPS, READ_ONLY_OPS

__all__ = ["BOOKING_CODE_PATTERN", "OPS", "READ_ONLY_OPS", "SERVICE_PATTERN", "TICKET_PATTERN",
           "OpArgs", "validate_args"]

_PATTERN_WORDS: dict[str, str] = {
    TICKET_PATTERN: "must be a ticket number like 'A012' (a capital letter and 3-5 digits)",
    SERVICE_PATTERN: ("must be a service id like 'general' (lower-case letters, digits, '_' "
                      "or '-', starting with a letter, at most 32 characters)"),
    BOOKING_CODE_PATTERN: "must be a booking code of 4-32 letters, digits or '-'",
    STAFF_ID_PATTERN: "must be a staff id (工号) of 1-16 digits",
    PIN_HASH_PATTERN: ("must be a PIN hash made by foundation.pins.hash_pin "
                       "(scrypt$N$r$p$salt$hash); never send the PIN itself"),
}

SECRET_ARGS: frozenset[str] = frozenset({"pin_hash"})
"""Args whose value an error message never repeats (it would reach the broker log)."""


class _Hidden:
    """Stands in for a secret arg's value in an error message."""

    def __repr__(self) -> str:
        return "(value not shown)"


def validate_args(op: str, args: Any) -> OpArgs:
    """Check an op's args against the catalogue.

    Args:
        op: the op name from the request.
        args: the request's ``args`` object.

    Returns:
        The validated, frozen args model (strings stripped where the op says so).
        ``model.model_dump()`` gives the normalised args as a plain dict.

    Raises:
        ProtocolError: ``unknown_op`` naming the known ops, or ``bad_args``
            listing every problem found, e.g. ``args.counter: missing``.
    """
    model = OPS.get(op)
    if model is None:
        import difflib  # an unknown op only: kept out of every node's memory (#17)

        close = difflib.get_close_matches(str(op), list(OPS), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ProtocolError(errors.UNKNOWN_OP,
                            f"unknown op {op!r}{hint}; known ops: {', '.join(OPS)}")
    if not isinstance(args, dict):
        raise ProtocolError(errors.BAD_ARGS,
                            f"{op}: args must be an object, got {_show(args)}")
    try:
        return model.model_validate(args)
    except ValidationError as err:
        problems = [_problem(model, detail) for detail in err.errors()]
        refused = ProtocolError(errors.BAD_ARGS, f"{op}: " + "; ".join(problems))
        if SECRET_ARGS & set(model.model_fields):
            # pydantic's own error repeats every input; a traceback must not carry a hash.
            raise refused from None
        raise refused from err


# --- messages --------------------------------------------------------------------------------

def _show(value: Any) -> str:
    """A short JSON-flavoured rendering of an offending value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_TYPE_WORDS: dict[str, str] = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "string_type": "a string",
    "bool_type": "true or false",
    "float_type": "a number",
}


def _problem(model: type[OpArgs], detail: Any) -> str:
    """One ``args.<field>: <what is wrong>`` line for one pydantic error."""
    loc = tuple(str(part) for part in detail.get("loc", ()))
    kind = detail.get("type", "")
    ctx = detail.get("ctx") or {}
    value = detail.get("input")
    if loc and loc[-1] in SECRET_ARGS:
        value = _Hidden()
    where = "args" + "".join(f".{part}" for part in loc)
    if kind == "missing":
        return f"{where}: missing"
    if kind == "extra_forbidden":
        known = list(model.model_fields)
        import difflib

        close = difflib.get_close_matches(loc[-1] if loc else "", known, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else (
            f"expected only: {', '.join(known)}" if known else "this op takes no args")
        return f"{where}: unknown argument ({hint})"
    if kind in _TYPE_WORDS:
        return f"{where}: must be {_TYPE_WORDS[kind]}, got {_show(value)}"
    if kind == "literal_error":
        return f"{where}: must be one of {ctx.get('expected', '?')}, got {_show(value)}"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        words = _PATTERN_WORDS.get(pattern, f"must match {pattern}")
        return f"{where}: {words}, got {_show(value)}"
    if kind == "string_too_short":
        least = ctx.get("min_length", 1)
        words = "must not be empty" if least == 1 else f"must have at least {least} characters"
        return f"{where}: {words}"
    if kind == "string_too_long":
        return f"{where}: must have at most {ctx.get('max_length')} characters"
    bounds = {"greater_than_equal": ("ge", "at least"), "less_than_equal": ("le", "at most"),
              "greater_than": ("gt", "greater than"), "less_than": ("lt", "less than")}
    if kind in bounds:
        key, words = bounds[kind]
        return f"{where}: must be {words} {ctx.get(key)}, got {_show(value)}"
    if kind == "value_error":
        text = str(ctx.get("error", detail.get("msg", "")))
        if not loc:
            # Cross-field checks raise "field: message" from a model validator.
            return f"args.{text}"
        return f"{where}: {text}, got {_show(value)}"
    return f"{where}: {detail.get('msg', 'invalid')}, got {_show(value)}"
