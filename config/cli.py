"""``callnext check-config`` and ``callnext show-config``: a hall file, checked or expanded.

The lead wires these into the ``callnext`` command; each returns the process
exit status so the caller only has to ``sys.exit`` it.
"""

from __future__ import annotations

import os
import sys

from config.load import ConfigError, effective_toml, format_problems, load_hall
from config.web_node import public_url_warning

__all__ = ["EXIT_CONFIG_INVALID", "EXIT_OK", "check_config", "show_config"]

EXIT_OK = 0
# 2 like a usage error: the operator must fix the input; retrying cannot help.
EXIT_CONFIG_INVALID = 2


def check_config(path: str | os.PathLike[str]) -> int:
    """Validate a hall file and say so.

    Prints ``OK: <file> — <hall name>, N services, M counters`` to stdout, or
    the full problem report to stderr.

    Args:
        path: The hall TOML file.

    Returns:
        ``EXIT_OK`` (0) for a usable file, ``EXIT_CONFIG_INVALID`` (2) otherwise.
    """
    try:
        hall = load_hall(path)
    except ConfigError as err:
        print(format_problems(err), file=sys.stderr)
        return EXIT_CONFIG_INVALID
    services = _count(len(hall.services), "service")
    counters = _count(len(hall.counters), "counter")
    print(f"OK: {os.fspath(path)} — {hall.name.zh} / {hall.name.en}, {services}, {counters}")
    warning = public_url_warning(hall.web.public_url)
    if warning is not None:  # a warning: the hall runs, only the phones' QR path is lost
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_OK


def show_config(path: str | os.PathLike[str]) -> int:
    """Print a hall file's effective configuration, every default filled in.

    Args:
        path: The hall TOML file.

    Returns:
        ``EXIT_OK`` (0) after printing the TOML to stdout, or
        ``EXIT_CONFIG_INVALID`` (2) after printing the problems to stderr.
    """
    try:
        hall = load_hall(path)
    except ConfigError as err:
        print(format_problems(err), file=sys.stderr)
        return EXIT_CONFIG_INVALID
    # effective_toml ends with a newline already.
    sys.stdout.write(effective_toml(hall))
    return EXIT_OK


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
