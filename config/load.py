"""Read a hall TOML file into a validated ``Hall``, reporting every problem at once.

A hall technician edits the TOML by hand, so a bad file must come back as one
readable list of *all* its problems (file, dotted key, offending value, what
is wrong, how to fix it), never as a pydantic traceback or the first error
only. Any problem is fatal: a node never starts on a half-understood config.
"""

from __future__ import annotations

import logging
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from config.explain import explain
from config.problems import ConfigError, Problem, format_problems
from config.schema import Hall, unserved_services

logger = logging.getLogger(__name__)

__all__ = [
    "ConfigError",
    "Problem",
    "effective_toml",
    "format_problems",
    "load_hall",
    "load_hall_text",
]

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
        hall = _parse(text, file)
    except RecursionError as err:
        # tomllib, pydantic and our walks all recurse: a file of thousands of nested
        # [ or { would otherwise end in a Python traceback.
        raise ConfigError(file, [Problem(
            file, "", None, "arrays or tables are nested too deeply to read",
            "a hall file nests at most a few levels; look for a long run of '[' or '{'",
        )]) from err
    for service_id in unserved_services(hall):
        logger.warning("%s: no counter serves service %r; its tickets could only wait. Add it "
                       "to a [[counters]] table or remove it", file, service_id)
    return hall


def _parse(text: str, file: str) -> Hall:
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
            for problem in explain(detail, data, file)
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
    import tomli_w  # show-config only: no node writes TOML (#17)

    return header + tomli_w.dumps(data)

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


def _as_tuples(value: object) -> object:
    if isinstance(value, Mapping):
        return {key: _as_tuples(item) for key, item in value.items()}
    if isinstance(value, list):
        return tuple(_as_tuples(item) for item in value)
    return value


def _drop_none(value: object) -> object:
    # TOML has no null: an unset optional key is simply left out.
    if isinstance(value, Mapping):
        return {key: _drop_none(item) for key, item in value.items() if item is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_none(item) for item in value]
    return value
