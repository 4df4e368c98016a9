"""Hall configuration: the typed schema and the TOML loader.

Names are resolved on first use, so ``import config`` (done by every node,
often only for ``config.schema``) stays cheap and does no work.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from config.load import (
        ConfigError,
        Problem,
        effective_toml,
        format_problems,
        load_hall,
        load_hall_text,
    )
    from config.schema import Hall

__all__ = [
    "ConfigError",
    "Hall",
    "Problem",
    "effective_toml",
    "format_problems",
    "load_hall",
    "load_hall_text",
]

_HOMES = {
    "Hall": "config.schema",
    "ConfigError": "config.load",
    "Problem": "config.load",
    "effective_toml": "config.load",
    "format_problems": "config.load",
    "load_hall": "config.load",
    "load_hall_text": "config.load",
}


def __getattr__(name: str) -> object:
    """Import a public name from its home module on first access (PEP 562)."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'config' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """Public names, for tab completion and ``dir()``."""
    return sorted(set(globals()) | set(__all__))
