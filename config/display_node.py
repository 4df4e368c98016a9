"""Settings of one display node, as a ``[[displays]]`` table of the hall file."""

from __future__ import annotations

from config.base import ConfigModel, NodeId


class DisplayNode(ConfigModel):
    """One display node of the hall."""

    id: NodeId
