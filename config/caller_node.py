"""Settings of one caller node, as a ``[[callers]]`` table of the hall file."""

from __future__ import annotations

from config.base import ConfigModel, NodeId


class CallerNode(ConfigModel):
    """One caller node of the hall."""

    id: NodeId
