"""``callnext keys init``: CURVE keypairs for the broker and every node, in zmq.auth's format.

Each name gets ``NAME.key`` (public, mode 0644) and ``NAME.key_secret`` (public
and secret, mode 0600), the files ``zmq.auth.create_certificates`` writes.
The broker trusts every ``*.key`` in its keys directory and knows the node by
the file's name, so the name is the node's identity (``caller-3`` acts for
counter 3). Existing keypairs are kept: running ``init`` again after adding a
counter only creates the missing keys; ``--force`` replaces the named ones
(a stolen or lost Pi).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from foundation.errors import CallnextError
from config.security import derived_grant

BROKER = "broker"
ADMIN = "admin"
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-")


class KeysError(CallnextError):
    """Keys could not be created (bad name, existing secret, unwritable directory)."""


@dataclass(frozen=True)
class KeysResult:
    """What ``init_keys`` did: names whose keys were written and names kept as they were."""

    created: tuple[str, ...]
    kept: tuple[str, ...]


def check_name(name: str) -> str:
    """Return ``name`` if it can be a node's key name (lowercase, digits, '-', ≤ 32).

    Raises:
        KeysError: the name would not be a valid node id.
    """
    if not (1 <= len(name) <= 32 and name[0].isascii() and name[0].isalpha()
            and name[0].islower() and set(name) <= _NAME_CHARS):
        raise KeysError(f"{name!r} is not a node name: use a lowercase letter first, then a-z, "
                        "0-9 or '-' (at most 32 characters), e.g. kiosk-1 or caller-3")
    return name


def default_names(*, hall_path: str | None = None, kiosks: int | None = None,
                  displays: int | None = None,
                  callers: Sequence[int] | None = None) -> list[str]:
    """The broker, the admin, the staff console (``web``) and one name per node.

    Without a hall file: ``kiosk-1..N``, ``display-1..N`` and ``caller-N`` for
    the listed counters (one kiosk, one display, counter 1 by default). With a
    hall file: its ``[[kiosks]]`` and ``[[displays]]`` ids (``kiosk-1``/``display-1``
    when it lists none), ``caller-N`` for every counter, and every name in
    ``[security.roles]``. Explicit counts win.
    """
    # The staff console (web) is one node per hall by default.
    names = [BROKER, ADMIN, "web"]
    node_names: list[str] = []
    if hall_path is not None:
        from config.load import load_hall

        hall = load_hall(hall_path)
        if kiosks is None:
            node_names += [k.id for k in hall.kiosks] or ["kiosk-1"]
        if displays is None:
            node_names += [d.id for d in hall.displays] or ["display-1"]
        if callers is None:
            # A caller's identity is its counter (caller-N); [[callers]] blocks are
            # wiring shared by several counters, not nodes.
            node_names += [f"caller-{c.number}" for c in hall.counters]
        node_names += list(hall.security.roles)
    if kiosks is not None or hall_path is None:
        node_names += [f"kiosk-{i}" for i in range(1, (1 if kiosks is None else kiosks) + 1)]
    if displays is not None or hall_path is None:
        node_names += [f"display-{i}"
                       for i in range(1, (1 if displays is None else displays) + 1)]
    if callers is not None or hall_path is None:
        node_names += [f"caller-{n}" for n in (callers if callers is not None else [1])]
    for name in node_names:
        if name not in names:
            names.append(check_name(name))
    return names


def init_keys(directory: Path, names: Iterable[str], *, force: bool = False) -> KeysResult:
    """Create a keypair per name in ``directory``; existing ones are kept unless ``force``.

    Each pair is made in a private (0700) temporary folder inside ``directory``
    and moved into place, so a secret is never readable by others, not even
    for a moment, and a crash never leaves half a keypair.

    Raises:
        KeysError: a name is invalid or the directory cannot be written.
    """
    import zmq.auth

    wanted = [check_name(name) for name in dict.fromkeys(names)]
    created: list[str] = []
    kept: list[str] = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name in wanted:
            public, secret = directory / f"{name}.key", directory / f"{name}.key_secret"
            if secret.exists() and not force:
                kept.append(name)
                continue
            staging = Path(tempfile.mkdtemp(prefix=".keys-", dir=directory))
            try:
                new_public, new_secret = zmq.auth.create_certificates(staging, name)
                os.chmod(new_secret, 0o600)
                os.chmod(new_public, 0o644)
                os.replace(new_secret, secret)
                os.replace(new_public, public)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
            created.append(name)
    except OSError as err:
        raise KeysError(f"cannot write keys to {directory}: {err}. Choose a directory this "
                        "user may write (e.g. run as root for /etc/callnext/keys).") from err
    return KeysResult(tuple(created), tuple(kept))


def _counters(text: str) -> list[int]:
    try:
        numbers = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected counter numbers like 1,2,3, got {text!r}") \
            from err
    if any(not 1 <= n <= 999 for n in numbers):
        raise argparse.ArgumentTypeError(f"counter numbers go from 1 to 999, got {text!r}")
    return numbers


def _describe(name: str) -> str:
    """`` (caller of counter 3)`` and the like, for the list ``init`` prints."""
    if name == BROKER:
        return " (the broker)"
    grant = derived_grant(name)
    if grant is None:
        return " (its name implies no role: give it one in [security.roles])"
    if grant.counter is not None:
        return f" ({grant.role} of counter {grant.counter})"
    return f" ({grant.role})"


def _init(args: argparse.Namespace) -> int:
    if args.nodes:
        names = [BROKER] if args.with_broker else []
        names += [name.strip() for name in args.nodes.split(",") if name.strip()]
    else:
        names = default_names(hall_path=args.config, kiosks=args.kiosks,
                              displays=args.displays, callers=args.callers)
    result = init_keys(Path(args.dir), names, force=args.force)
    directory = Path(args.dir)
    for name in result.created:
        print(f"created {directory / (name + '.key_secret')}{_describe(name)}")
    for name in result.kept:
        print(f"kept    {directory / (name + '.key_secret')} (exists; --force replaces it)")
    print("Copy NAME.key_secret and broker.key to each node's keys directory; the broker "
          "needs broker.key_secret and every NAME.key. Restart the broker after adding keys.",
          file=sys.stderr)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``callnext keys init`` to the ``callnext`` command."""
    keys = subparsers.add_parser("keys", help="create the CURVE keys of the broker and nodes")
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    init = actions.add_parser(
        "init", help="create missing keypairs (broker, admin, one per node)",
        description="Create a keypair per node; existing keypairs are kept unless --force.")
    init.add_argument("--dir", required=True, help="keys directory, e.g. /etc/callnext/keys")
    init.add_argument("--config", help="hall TOML file: one key per node and counter in it")
    init.add_argument("--kiosks", type=int, help="number of kiosks (kiosk-1..N)")
    init.add_argument("--displays", type=int, help="number of displays (display-1..N)")
    init.add_argument("--callers", type=_counters, help="counters with a caller, e.g. 1,2,3")
    init.add_argument("--nodes", help="only these names, comma-separated (e.g. caller-3)")
    init.add_argument("--with-broker", action="store_true",
                      help="with --nodes: also the broker's own keypair")
    init.add_argument("--force", action="store_true",
                      help="replace existing keypairs of the chosen names (old keys stop working)")
    init.set_defaults(run=_init)
