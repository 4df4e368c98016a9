"""The one exception base every callnext error derives from."""

from __future__ import annotations


class CallnextError(Exception):
    """Base of every error callnext raises on purpose.

    Catching it at a process boundary (the CLI, a node's main loop) separates
    errors we explain to the operator from genuine bugs.
    """
