"""Building blocks shared by every part of the hall configuration."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class ConfigModel(BaseModel):
    """Base of every config table: frozen, and a misspelt key is an error, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Bilingual(ConfigModel):
    """A text a person reads or hears, in Chinese and English."""

    zh: Annotated[str, Field(min_length=1)]
    en: Annotated[str, Field(min_length=1)]


NodeId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
"""A node's id as used on the wire and in key names, e.g. ``display-1``."""
