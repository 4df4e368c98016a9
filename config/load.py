"""Read a hall TOML file into a validated ``Hall``, reporting every problem at once.

A hall technician edits the TOML by hand, so a bad file must come back as one
readable list of *all* its problems (file, dotted key, offending value, what
is wrong, how to fix it), never as a pydantic traceback or the first error
only. Any problem is fatal: a node never starts on a half-understood config.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import tomli_w
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from foundation.errors import CallnextError
from foundation.text import width as text_width
from config.schema import Bilingual, Hall, InconsistentHallError, Loc

__all__ = [
    "ConfigError",
    "Problem",
    "effective_toml",
    "format_problems",
    "load_hall",
    "load_hall_text",
]

# Long values (a whole mistyped table) would push the message off screen.
_MAX_VALUE_WIDTH = 40
# Beyond this the "->" column is not aligned; one long key must not indent every line.
_MAX_LEFT_WIDTH = 48

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)$")

# tomllib's messages name the grammar rule; these say what a person usually did wrong.
_SYNTAX_HINTS = (
    ("Invalid value", 'text needs quotes, e.g. prefix = "A" or start = "08:30"'),
    ("Cannot overwrite a value", "a key or table is given twice; keep one of them"),
    ("Cannot declare", "a table is given twice; merge the two [tables]"),
    ("Expected '=' after a key", 'write key = value; keys with spaces need quotes'),
    ("Unclosed array", "an array [ ... ] is missing its closing ']'"),
    ("Unterminated string", 'a text value is missing its closing quote'),
)

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


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a hall file.

    Attributes:
        file: The file the problem is in, as the caller named it.
        key: Dotted key path such as ``services[2].prefx``; ``""`` for the file as a whole.
            Array indices count from 0, as in Python.
        value: The offending value as read from the TOML, or None when there is none
            (a missing key, a file that cannot be read).
        message: What is wrong.
        hint: How to fix it, when we can tell.
        line: 1-based line of a TOML syntax error, else None.
        column: 1-based column of a TOML syntax error, else None.
    """

    file: str
    key: str
    value: object | None
    message: str
    hint: str | None = None
    line: int | None = None
    column: int | None = None


class ConfigError(CallnextError, ValueError):
    """A hall file that cannot be used; ``str()`` is the full report.

    Args:
        file: The file, as the caller named it.
        problems: Every problem found, in file order where known.
    """

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        self.file = file
        self.problems: list[Problem] = list(problems)
        super().__init__(file, self.problems)

    def __str__(self) -> str:
        """The full report, as ``format_problems`` writes it."""
        return format_problems(self)


def load_hall(path: str | os.PathLike[str]) -> Hall:
    """Read and validate a hall TOML file.

    Args:
        path: The TOML file.

    Returns:
        The validated hall, every default filled in.

    Raises:
        ConfigError: The file is missing, unreadable, not UTF-8, not valid TOML,
            or breaks the schema; it lists every problem found.
    """
    file = os.fspath(path)
    try:
        raw = Path(file).read_bytes()
    except FileNotFoundError as err:
        raise _file_error(
            file, f"file not found: {os.path.abspath(file)}",
            "check the path; `callnext example-hall --out FILE` writes a starting point",
        ) from err
    except IsADirectoryError as err:
        raise _file_error(file, "is a directory, not a TOML file", None) from err
    except PermissionError as err:
        raise _file_error(
            file, "permission denied", "the user running callnext needs read access",
        ) from err
    except OSError as err:
        raise _file_error(file, f"cannot read the file: {err.strerror or err}", None) from err
    try:
        # utf-8-sig: Windows editors often save a BOM, which tomllib rejects.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        problem = Problem(
            file, "", None, "the file is not UTF-8 text", "save it as UTF-8",
            line=line, column=column,
        )
        raise ConfigError(file, [problem]) from err
    return load_hall_text(text, file)


def load_hall_text(text: str, file: str = "<string>") -> Hall:
    """Validate a hall given as TOML text.

    Args:
        text: The TOML document.
        file: The name to report problems under.

    Returns:
        The validated hall, every default filled in.

    Raises:
        ConfigError: The text is not valid TOML or breaks the schema.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(file, [_syntax_problem(file, text, err)]) from err
    try:
        # strict: TOML values are typed, so a quoted "2" is a mistake to
        # report, not something to coerce. Strict tuples need real tuples.
        return Hall.model_validate(_as_tuples(data), strict=True)
    except ValidationError as err:
        problems = [
            problem
            for detail in err.errors(include_url=False)
            for problem in _explain(detail, data, file)
        ]
        raise ConfigError(file, problems) from err


def effective_toml(hall: Hall) -> str:
    """The hall as TOML with every default spelled out.

    Args:
        hall: A validated hall.

    Returns:
        TOML text that ``load_hall_text`` reads back to an equal hall.
    """
    data = _drop_none(hall.model_dump(mode="json"))
    header = "# Effective hall configuration: the file as loaded, every default filled in.\n\n"
    return header + tomli_w.dumps(data)


def format_problems(err: ConfigError) -> str:
    """A readable multi-line report of every problem in a ConfigError.

    Args:
        err: The error to describe.

    Returns:
        A header line naming the file and the problem count, then one indented
        line per problem: ``key = value -> message — hint``.
    """
    count = len(err.problems)
    lines = [f"{err.file} is invalid ({count} problem{'' if count == 1 else 's'}):"]
    lefts = [_left_side(problem) for problem in err.problems]
    width = min(max((text_width(left) for left in lefts), default=0), _MAX_LEFT_WIDTH)
    for left, problem in zip(lefts, err.problems, strict=True):
        padding = " " * max(width - text_width(left), 0)
        text = problem.message + (f" — {problem.hint}" if problem.hint else "")
        lines.append(f"  {left}{padding} -> {text}")
    return "\n".join(lines)


# --- file and syntax problems -------------------------------------------------


def _file_error(file: str, message: str, hint: str | None) -> ConfigError:
    return ConfigError(file, [Problem(file, "", None, message, hint)])


def _syntax_problem(file: str, text: str, err: tomllib.TOMLDecodeError) -> Problem:
    message = str(err)
    line: int | None = None
    column: int | None = None
    if found := _TOML_POSITION.search(message):
        line, column = int(found.group(1)), int(found.group(2))
        message = message[: found.start()]
    elif found := _TOML_AT_END.search(message):
        line = text.count("\n") + 1
        column = len(text) - (text.rfind("\n") + 1) + 1
        message = message[: found.start()]
    hint = next((h for needle, h in _SYNTAX_HINTS if message.startswith(needle)), None)
    return Problem(file, "", None, f"TOML syntax error: {message}", hint, line=line, column=column)


# --- validation problems -------------------------------------------------------


def _explain(detail: ErrorDetails, data: Mapping[str, Any], file: str) -> list[Problem]:
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
            problems.append(Problem(file, _dotted(full), _lookup(data, full), message, hint))
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
    return [Problem(file, _dotted(loc), _untuple(shown), message, hint)]


def _describe(
    kind: str, loc: Loc, value: object, ctx: Mapping[str, Any], pydantic_msg: str,
) -> tuple[str, str | None]:
    """Plain-words message and optional hint for one pydantic error."""
    expected = _annotation_at(loc)
    if kind == "extra_forbidden":
        allowed = _field_names(_annotation_at(loc[:-1]))
        name = str(loc[-1])
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
        message = "must be one of " + ", ".join(_show(choice) for choice in choices)
        return message, _did_you_mean(value, [c for c in choices if isinstance(c, str)])
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        message = _PATTERN_WORDS.get(pattern, f"must match the pattern {pattern}")
        return message, _pattern_fix(value, pattern)
    if kind == "string_too_short":
        least = int(ctx.get("min_length", 1))
        return ("must not be empty" if least == 1 else f"must have at least {least} characters"), None
    if kind == "string_too_long":
        return f"must have at most {ctx.get('max_length')} characters", None
    if kind == "too_short":
        least = int(ctx.get("min_length", 1))
        hint = f"add a [[{_dotted(loc)}]] table" if _is_table_array(expected) else None
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
        hint = f"write each entry as its own [[{_dotted(loc)}]] table"
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
        return "one of " + ", ".join(_show(choice) for choice in get_args(expected))
    if isinstance(expected, type) and issubclass(expected, BaseModel):
        return f"a table with keys {', '.join(expected.model_fields)}"
    if get_origin(expected) in (tuple, list):
        if _is_table_array(expected):
            return f"an array of tables ([[{_dotted(loc)}]])" if _no_index(loc) else "an array of tables"
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


def _as_tuples(value: object) -> object:
    if isinstance(value, Mapping):
        return {key: _as_tuples(item) for key, item in value.items()}
    if isinstance(value, list):
        return tuple(_as_tuples(item) for item in value)
    return value


def _untuple(value: object) -> object:
    """Undo ``_as_tuples`` so a Problem holds what tomllib read."""
    if isinstance(value, Mapping):
        return {key: _untuple(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return [_untuple(item) for item in value]
    return value


def _drop_none(value: object) -> object:
    # TOML has no null: an unset optional key is simply left out.
    if isinstance(value, Mapping):
        return {key: _drop_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_none(item) for item in value]
    return value


# --- rendering -----------------------------------------------------------------


def _dotted(loc: Loc) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'
            text += f".{name}" if text else name
    return text


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
    return _show(value)


def _show(value: object) -> str:
    """A value as a technician would write it in TOML, shortened to fit a line."""
    text = _render(value)
    if len(text) > _MAX_VALUE_WIDTH:
        text = text[: _MAX_VALUE_WIDTH - 1] + "…"
    return text


def _render(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{key} = {_render(item)}" for key, item in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_render(item) for item in value) + "]"
    return repr(value)


def _left_side(problem: Problem) -> str:
    if problem.key:
        return problem.key if problem.value is None else f"{problem.key} = {_show(problem.value)}"
    if problem.line is not None:
        return f"line {problem.line}, column {problem.column}"
    return "(file)"

