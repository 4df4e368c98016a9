"""What is wrong with a hall file, one ``Problem`` each, and the report a technician reads.

``config.load`` finds file and TOML syntax problems, ``config.explain`` turns schema
violations into problems; every one of them is written out here, in one aligned list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from config.schema import Loc
from foundation.errors import CallnextError
from foundation.text import width as text_width

__all__ = ["ConfigError", "Problem", "dotted", "format_problems", "show"]

# Long values (a whole mistyped table) would push the message off screen.
_MAX_VALUE_WIDTH = 40
# Beyond this the "->" column is not aligned; one long key must not indent every line.
_MAX_LEFT_WIDTH = 48


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


def dotted(loc: Loc) -> str:
    """A key path as the technician writes it: ``services[2].prefix``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if re.fullmatch(r"[A-Za-z0-9_-]+", part) else f'"{part}"'
            text += f".{name}" if text else name
    return text


def show(value: object) -> str:
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
        return problem.key if problem.value is None else f"{problem.key} = {show(problem.value)}"
    if problem.line is not None:
        return f"line {problem.line}, column {problem.column}"
    return "(file)"
