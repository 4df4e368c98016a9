"""Building blocks shared by every part of the hall configuration."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from foundation.errors import CallnextError


class ConfigModel(BaseModel):
    """Base of every config table: frozen, and a misspelt key is an error, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


MAX_TEXT_ZH = 200
"""Longest Chinese text (a notice on the display's ticker): about three screen widths."""
MAX_TEXT_EN = 400
"""Longest English text; English needs about twice the characters for the same words."""


class Bilingual(ConfigModel):
    """A text a person reads or hears, in Chinese and English.

    Bounded so that a display, a ticket or the voice can always carry it; names
    have tighter bounds still (``config.schema.Name``).
    """

    zh: Annotated[str, Field(min_length=1, max_length=MAX_TEXT_ZH)]
    en: Annotated[str, Field(min_length=1, max_length=MAX_TEXT_EN)]


Word = Annotated[str, Field(max_length=255)]
"""A short machine-facing setting: a host name, a voice, a device or profile name."""

PathText = Annotated[str, Field(max_length=4096)]
"""A file or folder path (Linux's PATH_MAX)."""

NodeId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
"""A node's id as used on the wire and in key names, e.g. ``display-1``."""


Loc = tuple[str | int, ...]
"""A key path into the hall, as pydantic writes it: ``("services", 2, "prefix")``."""


class InconsistentHallError(CallnextError, ValueError):
    """Cross-reference problems in a hall, each kept with its own key path.

    ``str()`` is the problems joined with "; " (what pydantic shows); the
    loader reads ``problems`` instead, because the messages themselves contain
    "; " and each one belongs to a different key.

    Args:
        problems: ``(loc, message)`` pairs; a message may end in "; <hint>".
    """

    def __init__(self, problems: Sequence[tuple[Loc, str]]) -> None:
        self.problems: tuple[tuple[Loc, str], ...] = tuple(problems)
        super().__init__("; ".join(message for _, message in self.problems))
