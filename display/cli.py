"""Subcommands of the display node, registered into the ``callnext`` command."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this node's subcommands (none until the display issue lands)."""
