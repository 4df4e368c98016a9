"""Building blocks shared by every part of the hall configuration."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


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
