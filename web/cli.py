"""Subcommands of the web node, registered into the ``callnext`` command."""

from __future__ import annotations

import argparse

from runtime.security import add_security_args


def _web(args: argparse.Namespace) -> int:
    # uvicorn, starlette and zmq load only when this command runs.
    from web.run import run_web

    return run_web(args.config, keys=args.keys, insecure=args.insecure, bind=args.bind,
                   port=args.port, node_id=args.node)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``callnext web``.

    Args:
        subparsers: the ``callnext`` subcommand set.
    """
    web = subparsers.add_parser(
        "web", help="run the staff console: counter pages and the hall manager's page (控制台)")
    web.add_argument("--config", default="/etc/callnext/hall.toml", help="hall TOML file")
    web.add_argument("--bind", help="address to listen on (default from the hall file: web.bind)")
    web.add_argument("--port", type=int, help="port (default from the hall file: web.port, 8080)")
    web.add_argument("--node", default="web",
                     help="the node id and key name (default: web; web-N for a second console)")
    add_security_args(web)
    web.set_defaults(run=_web)
