"""Settings of one kiosk node, as a ``[[kiosks]]`` table of the hall file."""

from __future__ import annotations

from config.base import ConfigModel, NodeId


class KioskNode(ConfigModel):
    """One kiosk node of the hall."""

    id: NodeId
