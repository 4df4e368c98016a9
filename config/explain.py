"""Schema violations in a technician's words: each pydantic error becomes a ``Problem``.

The message says what is wrong with the value as written in the TOML, the hint how to fix
it (quotes to add or remove, the key or choice that was probably meant, the table to add).
"""

from __future__ import annotations

import re
import types
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import ErrorDetails

from config.problems import Problem, dotted, show
from config.schema import Bilingual, Hall, InconsistentHallError, Loc

__all__ = ["explain"]

# The schema's regular expressions, in words a technician can act on.
_PATTERN_WORDS = {
    r"^[A-Z]$": "must be one capital letter A-Z",
    r"^[a-z][a-z0-9_-]{0,31}$": (
        "must start with a lowercase letter and use only a-z, 0-9, '_' and '-' "
        "(at most 32 characters)"
    ),
}

_TYPE_ERRORS = frozenset({
    "string_type", "string_sub_type", "int_type", "int_parsing", "int_from_float",
    "float_type", "float_parsing", "bool_type", "bool_parsing", "model_type",
    "model_attributes_type", "dict_type", "tuple_type", "list_type",
})


def explain(detail: ErrorDetails, data: Mapping[str, Any], file: str) -> list[Problem]:
    """The problems one pydantic error stands for (none, one, or one per cross-reference).

    Args:
        detail: One entry of ``ValidationError.errors()``.
        data: The hall as tomllib read it, to show the offending value as written.
        file: The file name to report under.
    """
    kind = detail["type"]
    loc: Loc = tuple(detail["loc"])
    value: object = detail["input"]
    ctx: dict[str, Any] = dict(detail.get("ctx") or {})
    error = ctx.get("error")

    if isinstance(error, InconsistentHallError):
        # One validator found several problems; each belongs to its own key.
        problems: list[Problem] = []
        for sub_loc, text in error.problems:
            message, hint = _split_hint(text)
            full = loc + sub_loc
            problems.append(Problem(file, dotted(full), _lookup(data, full), message, hint))
        return problems

    if kind == "too_short" and _sized(value) and len(value) >= ctx.get("min_length", 0):
        # pydantic also reports "too short" when items failed validation and were
        # dropped; the item errors already say what is wrong.
        return []

    message, hint = _describe(kind, loc, value, ctx, detail["msg"])
    shown: object | None = value
    if kind == "missing" or (kind in ("value_error", "assertion_error") and isinstance(value, Mapping)):
        # The input is the enclosing table; the message names what matters.
        shown = None
    return [Problem(file, dotted(loc), _untuple(shown), message, hint)]


def _describe(
    kind: str, loc: Loc, value: object, ctx: Mapping[str, Any], pydantic_msg: str,
) -> tuple[str, str | None]:
    """Plain-words message and optional hint for one pydantic error."""
    expected = _annotation_at(loc)
    if kind == "extra_forbidden":
        allowed = _field_names(_annotation_at(loc[:-1]))
        name = str(loc[-1])
        import difflib  # only when a key is wrong: kept out of every node's memory (#17)

        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        if close:
            return f"unknown key {name!r}", f"did you mean {close[0]!r}?"
        return f"unknown key {name!r}", (f"known keys here: {', '.join(allowed)}" if allowed else None)
    if kind == "missing":
        words = _expected_words(expected, loc)
        return "missing required key", (f"expected {words}" if words else None)
    if kind in _TYPE_ERRORS:
        return _type_problem(loc, value, expected, pydantic_msg)
    if kind == "literal_error":
        choices = get_args(expected) if get_origin(expected) is Literal else ()
        if not choices:
            return f"must be {ctx.get('expected', pydantic_msg)}", None
        message = "must be one of " + ", ".join(show(choice) for choice in choices)
        return message, _did_you_mean(value, [c for c in choices if isinstance(c, str)])
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        message = _PATTERN_WORDS.get(pattern, f"must match the pattern {pattern}")
        return message, _pattern_fix(value, pattern)
    if kind == "string_too_short":
        least = int(ctx.get("min_length", 1))
        return ("must not be empty" if least == 1 else f"must have at least {least} characters"), None
    if kind == "string_too_long":
        length = f", not {len(value)}" if isinstance(value, str) else ""
        return (f"must have at most {ctx.get('max_length')} characters{length}",
                "shorten it: a screen, a ticket or the voice must be able to carry it whole")
    if kind == "too_short":
        least = int(ctx.get("min_length", 1))
        hint = f"add a [[{dotted(loc)}]] table" if _is_table_array(expected) else None
        return f"needs at least {least} entr{'y' if least == 1 else 'ies'}", hint
    if kind == "too_long":
        most = int(ctx.get("max_length", 0))
        return f"allows at most {most} entr{'y' if most == 1 else 'ies'}", None
    bounds = {
        "greater_than": ("gt", "must be greater than {}"),
        "greater_than_equal": ("ge", "must be at least {}"),
        "less_than": ("lt", "must be less than {}"),
        "less_than_equal": ("le", "must be at most {}"),
    }
    if kind in bounds:
        name, template = bounds[kind]
        return template.format(_number(ctx.get(name))), None
    if kind == "finite_number":
        return "must be a finite number", None
    if kind in ("value_error", "assertion_error"):
        text = str(ctx["error"]) if "error" in ctx else pydantic_msg
        return _split_hint(text)
    # A pydantic error we have no words for: its own text beats nothing.
    return pydantic_msg, None


def _type_problem(
    loc: Loc, value: object, expected: object, pydantic_msg: str,
) -> tuple[str, str | None]:
    words = _expected_words(expected, loc)
    message = f"must be {words}, not {_kind_of(value)}" if words else pydantic_msg
    hint: str | None = None
    last = str(loc[-1]) if loc and isinstance(loc[-1], str) else "key"
    if isinstance(value, (time, date)) and expected is str:
        hint = f'put times in quotes: {last} = "08:30"'
    elif isinstance(value, str) and expected in (int, float) and _is_number(value):
        hint = f"remove the quotes: {last} = {value.strip()}"
    elif isinstance(value, str) and expected is bool and value.strip().lower() in ("true", "false"):
        hint = f"remove the quotes: {last} = {value.strip().lower()}"
    elif isinstance(expected, type) and issubclass(expected, Bilingual):
        hint = f'give both languages: {last} = {{ zh = "…", en = "…" }}'
    elif _is_table_array(expected) and isinstance(value, Mapping):
        hint = f"write each entry as its own [[{dotted(loc)}]] table"
    return message, hint


def _expected_words(expected: object, loc: Loc) -> str | None:
    """What a value at ``loc`` should be, in words; None when unknown."""
    if expected is None:
        return None
    if expected is str:
        return "text in quotes"
    if expected is bool:
        return "true or false"
    if expected is int:
        return "a whole number"
    if expected is float:
        return "a number"
    if get_origin(expected) is Literal:
        return "one of " + ", ".join(show(choice) for choice in get_args(expected))
    if isinstance(expected, type) and issubclass(expected, BaseModel):
        return f"a table with keys {', '.join(expected.model_fields)}"
    if get_origin(expected) in (tuple, list):
        if _is_table_array(expected):
            return f"an array of tables ([[{dotted(loc)}]])" if _no_index(loc) else "an array of tables"
        item = _expected_words(_item_type(expected), ())
        return f"an array of {item}" if item else "an array [ ... ]"
    return None


def _kind_of(value: object) -> str:
    """The TOML kind of a value a person wrote, in words."""
    # bool before int: bool is an int subclass.
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime):
        return "a date-time"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, time):
        return "a time"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (list, tuple)):
        return "an array"
    return type(value).__name__


def _did_you_mean(value: object, choices: Sequence[str]) -> str | None:
    if not isinstance(value, str) or not choices:
        return None
    lowered = {choice.lower(): choice for choice in choices}
    if value.strip().lower() in lowered:
        return f"did you mean {lowered[value.strip().lower()]!r}?"
    import difflib

    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _pattern_fix(value: object, pattern: str) -> str | None:
    """Suggest the obvious repair (case, spaces) when it would match."""
    if not isinstance(value, str) or not pattern:
        return None
    stripped = value.strip()
    for candidate in (stripped, stripped.upper(), stripped.lower(),
                      re.sub(r"\s+", "_", stripped.lower())):
        if candidate != value and re.fullmatch(pattern, candidate):
            return f"did you mean {candidate!r}?"
    return None


def _split_hint(text: str) -> tuple[str, str | None]:
    """Split a validator message "what is wrong; how to fix it" in two."""
    message, sep, hint = text.partition("; ")
    return (message, hint) if sep and hint else (text, None)


# --- walking the schema and the data -------------------------------------------


def _annotation_at(loc: Loc) -> Any:
    """The schema type expected at ``loc`` in a Hall, or None if it leads nowhere."""
    current: Any = Hall
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            if get_origin(current) not in (tuple, list):
                return None
            current = _item_type(current, part)
        elif isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(part)
            if field is None:
                return None
            current = field.annotation
        else:
            return None
        if current is None:
            return None
    return _unwrap(current)


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and Optional so only the real type remains."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            members = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _item_type(sequence_type: Any, index: int = 0) -> Any:
    args = get_args(sequence_type)
    if len(args) == 2 and args[1] is Ellipsis:
        return _unwrap(args[0])
    if get_origin(sequence_type) is list and args:
        return _unwrap(args[0])
    return _unwrap(args[index]) if 0 <= index < len(args) else None


def _is_table_array(annotation: Any) -> bool:
    if get_origin(annotation) not in (tuple, list):
        return False
    item = _item_type(annotation)
    return isinstance(item, type) and issubclass(item, BaseModel)


def _field_names(annotation: Any) -> list[str]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return list(annotation.model_fields)
    return []


def _lookup(data: object, loc: Loc) -> object | None:
    """The raw value at ``loc``, or None where the file does not set it."""
    current = data
    for part in loc:
        if isinstance(part, int) and isinstance(current, (list, tuple)) and 0 <= part < len(current):
            current = current[part]
        elif isinstance(part, str) and isinstance(current, Mapping) and part in current:
            current = current[part]
        else:
            return None
    return current


def _untuple(value: object) -> object:
    """Undo ``_as_tuples`` so a Problem holds what tomllib read."""
    if isinstance(value, Mapping):
        return {key: _untuple(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_untuple(item) for item in value]
    return value


def _no_index(loc: Loc) -> bool:
    return not any(isinstance(part, int) for part in loc)


def _sized(value: object) -> bool:
    return isinstance(value, (list, tuple, str, Mapping))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number(value: object) -> str:
    # pydantic hands float bounds over as 0.0; "greater than 0" reads better.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return show(value)
