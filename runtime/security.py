"""Every node's security settings: the hall file's ``[security]`` table, ``--keys``/``--insecure``
on the command line over it, and the socket set-up they choose."""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the flags are added at parser-building time: keep that import-free
    from config.schema import Hall
    from protocol.client import SocketSetup

log = logging.getLogger(__name__)


def add_security_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--keys DIR`` and ``--insecure`` to a node's subcommand."""
    parser.add_argument("--keys", metavar="DIR",
                        help="CURVE keys directory (default from the hall file: "
                             "security.keys_dir); made by `callnext keys init`")
    parser.add_argument("--insecure", action="store_true",
                        help="talk to a broker started with --insecure (no encryption, no "
                             "authentication; for a bench test only; default from the hall "
                             "file: security.insecure)")


@dataclass(frozen=True)
class NodeSecurity:
    """How a node's sockets talk to the broker.

    Attributes:
        keys_dir: the CURVE keys directory (``NAME.key_secret`` and ``broker.key``).
        insecure: no CURVE at all (a closed test bench; the broker must match).
    """

    keys_dir: Path
    insecure: bool = False

    def socket_setup(self, node: str) -> SocketSetup | None:
        """The CURVE set-up for the sockets of ``node`` (its own key), None when insecure.

        Raises:
            KeysMissing: the key files are missing; the message says to run `callnext keys init`.
        """
        if self.insecure:
            return None
        from protocol.security import client_socket_setup

        return client_socket_setup(self.keys_dir, node)


def node_security(hall: Hall, *, keys: str | None = None, insecure: bool = False) -> NodeSecurity:
    """The hall file's ``[security]`` settings with the command line's over them.

    Args:
        hall: the hall (``security.keys_dir``, ``security.insecure``).
        keys: ``--keys``: another keys directory.
        insecure: ``--insecure``: no CURVE even if the hall file asks for it.
    """
    chosen = NodeSecurity(Path(keys) if keys else Path(hall.security.keys_dir),
                          insecure or hall.security.insecure)
    if chosen.insecure:
        log.warning("INSECURE MODE: this node talks to the broker without encryption or "
                    "authentication")
    return chosen


def security_from_args(args: argparse.Namespace, hall: Hall) -> NodeSecurity:
    """``node_security`` from a subcommand's ``--keys``/``--insecure`` (see ``add_security_args``)."""
    return node_security(hall, keys=getattr(args, "keys", None),
                         insecure=bool(getattr(args, "insecure", False)))


def socket_setup_for(args: argparse.Namespace, hall: Hall, node: str) -> SocketSetup | None:
    """The CURVE set-up for ``node`` from the command line over the hall file, None when insecure.

    Raises:
        KeysMissing: the key files are missing; the message says to run `callnext keys init`.
    """
    return security_from_args(args, hall).socket_setup(node)
