"""The ``--keys`` / ``--insecure`` flags every node shares, and the socket set-up they choose."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # the flags are added at parser-building time: keep that import-free
    import zmq

    from config.schema import Hall

log = logging.getLogger(__name__)

SocketSetup = Callable[["zmq.Socket"], None]


def add_security_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--keys DIR`` and ``--insecure`` to a node's subcommand."""
    parser.add_argument("--keys", metavar="DIR",
                        help="CURVE keys directory (default from the hall file: "
                             "security.keys_dir); made by `callnext keys init`")
    parser.add_argument("--insecure", action="store_true",
                        help="talk to a broker started with --insecure (no encryption, no "
                             "authentication; for a bench test only)")


def socket_setup_for(args: argparse.Namespace, hall: Hall, node: str) -> SocketSetup | None:
    """The CURVE set-up for ``node`` from ``--keys`` (or the hall file), None when insecure.

    Raises:
        CallnextError: the key files are missing; the message says to run `callnext keys init`.
    """
    if getattr(args, "insecure", False) or hall.security.insecure:
        log.warning("INSECURE MODE: %s talks to the broker without encryption or "
                    "authentication", node)
        return None
    from protocol.security import client_socket_setup

    keys = Path(args.keys) if getattr(args, "keys", None) else Path(hall.security.keys_dir)
    return client_socket_setup(keys, node)
