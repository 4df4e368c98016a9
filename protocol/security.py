"""Node side of CURVE: load this node's keypair and the broker's public key, apply them to sockets.

Wiring a node is one line::

    setup = client_socket_setup(keys_dir, "kiosk-1")   # or None with --insecure
    client = RequestClient(endpoint, "kiosk-1", socket_setup=setup)
    mirror = StateMirror(commands, events, "kiosk-1", socket_setup=setup)

The node's name must be the name of its key: the broker checks that the
envelope's ``node`` is the name the key was issued to.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import zmq

from foundation.errors import CallnextError

BROKER_KEY_NAME = "broker"


class KeysMissing(CallnextError):
    """A node's keypair or the broker's public key is missing or unreadable."""


def _load(path: Path, *, secret: bool, node: str) -> tuple[bytes, bytes | None]:
    import zmq.auth

    if not path.is_file():
        raise KeysMissing(
            f"{path} is missing. Create the keys with `callnext keys init --dir {path.parent}` "
            f"on the broker and copy {node}.key_secret and broker.key to this node, "
            "or start the node with --insecure on a closed test network.")
    try:
        public, secret_key = zmq.auth.load_certificate(path)
    except (OSError, ValueError) as err:
        raise KeysMissing(f"cannot read the key file {path}: {err}. Recreate it with "
                          "`callnext keys init --force --nodes NAME`.") from err
    if secret and secret_key is None:
        raise KeysMissing(f"{path} holds no secret key; copy the node's NAME.key_secret "
                          "file made by `callnext keys init`, not NAME.key")
    return public, secret_key


def client_socket_setup(keys_dir: str | Path, node_name: str) -> Callable[[zmq.Socket], None]:
    """A ``socket_setup`` that makes every socket a CURVE client of the broker.

    The keys are read once, now, so a missing file fails the node's start
    with a clear message instead of failing every connection later.

    Args:
        keys_dir: the node's keys directory (``NAME.key_secret`` and ``broker.key``).
        node_name: this node's name, the name its key was made for.

    Returns:
        A callable for ``RequestClient(socket_setup=...)`` and ``StateMirror(socket_setup=...)``.

    Raises:
        KeysMissing: a file is missing or unreadable; the message says how to create it.
    """
    directory = Path(keys_dir)
    public, secret = _load(directory / f"{node_name}.key_secret", secret=True, node=node_name)
    server_public, _ = _load(directory / f"{BROKER_KEY_NAME}.key", secret=False, node=node_name)

    def setup(socket: zmq.Socket) -> None:
        socket.curve_publickey = public
        socket.curve_secretkey = secret
        socket.curve_serverkey = server_public

    return setup
