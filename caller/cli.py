"""Subcommands of the caller node, registered into the ``callnext`` command."""

from __future__ import annotations

import argparse

from runtime.security import add_security_args


def _caller(args: argparse.Namespace) -> int:
    # gpiozero, zmq and the node code load only when this command runs.
    from caller.run import run_caller

    return run_caller(args.config, args.counter, keyboard=args.keyboard, node_id=args.node,
                      keys=args.keys, insecure=args.insecure)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``callnext caller``.

    Args:
        subparsers: the ``callnext`` subcommand set.
    """
    caller = subparsers.add_parser(
        "caller", help="run a counter's caller buttons and rating pad (叫号器/评价器)")
    caller.add_argument("--config", default="/etc/callnext/hall.toml", help="hall TOML file")
    caller.add_argument("--counter", type=int, required=True, help="the counter number")
    caller.add_argument("--keyboard", action="store_true",
                        help="drive it from this keyboard instead of GPIO buttons")
    caller.add_argument("--node", help="the [[callers]] block id (default: by counter)")
    add_security_args(caller)
    caller.set_defaults(run=_caller)
