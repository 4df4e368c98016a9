"""The one exception base every callnext error derives from."""

from __future__ import annotations


class CallnextError(Exception):
    """Base of every error callnext raises on purpose.

    Catching it at a process boundary (the CLI, a node's main loop) separates
    errors we explain to the operator from genuine bugs.

    Attributes:
        exit_status: the command's exit status when this error ends it. 2 for most; an error
            that needs a person's decision before a restart can help has its own (systemd's
            ``RestartPreventExitStatus=`` stops restarting on it).
    """

    exit_status: int = 2
