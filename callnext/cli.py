"""The ``callnext`` command: one entry point, one subcommand per node or staff task.

Subcommands import their modules only when chosen, so ``callnext broker`` on a
bare Pi never loads Kivy and ``--help`` stays instant.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path
from typing import Callable, Sequence

from config.plugins import skip_plugin_discovery
from foundation.errors import CallnextError
from runtime.security import add_security_args

log = logging.getLogger("callnext")

COMMAND_MODULES = ("callnext.keys", "callnext.journal_cli", "display.cli", "display.voice_cli",
                   "kiosk.cli", "caller.cli", "callnext.simulate", "callnext.staff_cli",
                   "callnext.quality_cli", "callnext.report_cli", "uplink.cli", "web.cli")
"""Modules that add their own subcommands through ``register(subparsers)``."""

BUILT_IN_COMMANDS = ("broker", "status", "check-config", "show-config", "example-hall", "demo")
"""Subcommands defined in this module (``build_parser``'s ``_add_*``): they need no command
module."""

COMMAND_OWNERS = {"keys": "callnext.keys", "journal": "callnext.journal_cli",
                  "display": "display.cli", "announce": "display.cli",
                  "voice": "display.voice_cli", "kiosk": "kiosk.cli",
                  "ticket-preview": "kiosk.cli", "appointments": "kiosk.cli",
                  "caller": "caller.cli", "simulate": "callnext.simulate",
                  "staff": "callnext.staff_cli", "alert": "callnext.quality_cli",
                  "case": "callnext.quality_cli", "report": "callnext.report_cli",
                  "uplink": "uplink.cli", "central-schema": "uplink.cli", "web": "web.cli"}
"""Which of ``COMMAND_MODULES`` registers each subcommand (a test holds it to what they
register). A node's process then imports only its own command module: registering all
of them loaded the broker's rules, the report and the simulator into every Kivy node
(about 2.6 MiB of the display, 1.3 MiB of the broker; issue #17)."""


def keep_openssl_hashes_out() -> None:
    """Make ``hashlib`` and ``hmac`` use CPython's built-in hashes in this process.

    For the broker: it hashes a few short digests (``broker.checkpoint``) and speaks no
    TLS (CURVE is libsodium), yet pydantic imports ``secrets`` -> ``hmac`` ->
    ``_hashlib``, which maps OpenSSL's libcrypto: 3.4 MiB of the broker's 40 MiB
    (issue #17). Called before anything imports ``hashlib``; afterwards it changes
    nothing. ``ssl`` is not affected (it links OpenSSL itself). ``hashlib.scrypt`` is
    then missing: the broker never sees a PIN (``foundation.pins`` runs in the web node).
    """
    sys.modules.setdefault("_hashlib", None)  # type: ignore[arg-type]


def _broker(args: argparse.Namespace) -> int:
    keep_openssl_hashes_out()
    import json

    from broker.clock import accelerated_clock, hall_clock
    from broker.server import Endpoints, serve
    from config.load import load_hall

    hall = load_hall(args.config)
    clock = (accelerated_clock(args.clock_start, args.clock_speed, hall)
             if args.clock_start else hall_clock(hall))

    def ready(endpoints: Endpoints) -> None:
        # One machine-readable line on stdout: demos and tests learn the ports from it.
        print(json.dumps({"ready": {"commands": endpoints.commands, "events": endpoints.events}}),
              flush=True)

    return serve(hall, Path(args.data), bind=args.bind, command_port=args.command_port,
                 event_port=args.event_port, clock=clock, on_ready=ready,
                 keys_dir=Path(args.keys) if args.keys else None, insecure=args.insecure,
                 accept_rollback=args.accept_journal_rollback)


def _status(args: argparse.Namespace) -> int:
    from callnext.status import print_status
    from config.load import load_hall
    from runtime.security import socket_setup_for

    setup = socket_setup_for(args, load_hall(args.config), "admin")
    return print_status(args.config, endpoint=args.endpoint, as_json=args.json,
                        socket_setup=setup)


def _check_config(args: argparse.Namespace) -> int:
    from config.cli import EXIT_CONFIG_INVALID, check_config
    from config.load import ConfigError
    from display.voice_cli import unspeakable_languages
    from hw.clips import PackError

    try:
        # Can every display say every language it is set to speak?
        problems = unspeakable_languages(args.file)
    except ConfigError:
        problems = []  # check_config reports the file's own problems
    except PackError as err:
        problems = [str(err)]
    for problem in problems:
        print(problem, file=sys.stderr)
    return EXIT_CONFIG_INVALID if problems else check_config(args.file)


def _show_config(args: argparse.Namespace) -> int:
    from config.cli import show_config

    return show_config(args.file)


def _demo(args: argparse.Namespace) -> int:
    from callnext.demo import choose_mode, run_demo
    from config.example import example_path

    windowed, message = choose_mode(args.headless, args.windowed)
    print(message, flush=True)
    out = Path(args.out) if args.out else None
    config = args.config or str(example_path())
    if windowed:
        from callnext.hall_demo import run_hall_demo

        return run_hall_demo(config, out=out)
    return run_demo(config, minutes=args.minutes, speed=args.speed, seed=args.seed, out=out)


def _example_hall(args: argparse.Namespace) -> int:
    from config.example import example_path, write_example

    kind = "minimal" if args.minimal else "full"
    if args.out is None:
        sys.stdout.write(example_path(kind).read_text(encoding="utf-8"))
        return 0
    written = write_example(args.out, kind, force=args.force)
    print(f"wrote {written}; edit it, then run: callnext check-config {written}")
    return 0


def _global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-level", default="INFO",
                        choices=["DEBUG", "INFO", "WARNING", "ERROR"])


def command_modules(argv: Sequence[str] | None) -> tuple[str, ...]:
    """The command modules whose subcommands ``argv`` needs: the chosen subcommand's module
    alone, none for a built-in one, all of them for ``--help``, no or an unknown subcommand
    (so argparse lists every choice). ``argv=None``: all of them."""
    if argv is None:
        return COMMAND_MODULES
    first = argparse.ArgumentParser(add_help=False)
    _global_options(first)
    try:
        _, rest = first.parse_known_args(list(argv))
    except SystemExit:  # a bad --log-level: the full parser reports it
        return COMMAND_MODULES
    if not rest or rest[0].startswith("-"):
        return COMMAND_MODULES
    if rest[0] in BUILT_IN_COMMANDS:
        return ()
    owner = COMMAND_OWNERS.get(rest[0])
    return (owner,) if owner in COMMAND_MODULES else COMMAND_MODULES


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser of the subcommands ``argv`` needs (``command_modules``);
    without ``argv``, of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="callnext", description="Queue-calling system for service halls (叫号系统).")
    _global_options(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in (_add_broker, _add_status, _add_config_commands, _add_demo):
        add(sub)
    for module in command_modules(argv):
        importlib.import_module(module).register(sub)
    return parser


def _add_broker(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    broker = sub.add_parser("broker", help="run the queue broker (the single writer)")
    broker.add_argument("--config", required=True, help="hall TOML file")
    broker.add_argument("--data", required=True, help="directory for the journal")
    broker.add_argument("--bind", help="interface to bind (default from config)")
    broker.add_argument("--command-port", type=int, help="ROUTER port, 0 = any free port")
    broker.add_argument("--event-port", type=int, help="PUB port, 0 = any free port")
    broker.add_argument("--keys", help="CURVE keys directory (default from config: "
                        "security.keys_dir); made by `callnext keys init`")
    broker.add_argument("--insecure", action="store_true",
                        help="no CURVE: any device may act as any node (closed test networks)")
    broker.add_argument("--accept-journal-rollback", action="store_true", help="serve a journal "
                        "behind its anchor once, numbering above it (docs/install.md)")
    broker.add_argument("--clock-start", help=argparse.SUPPRESS)
    broker.add_argument("--clock-speed", type=float, default=1.0, help=argparse.SUPPRESS)
    broker.set_defaults(run=_broker)


def _add_status(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    status = sub.add_parser("status", help="show the live hall from a running broker")
    status.add_argument("--config", required=True, help="hall TOML file")
    status.add_argument("--endpoint", help="broker command endpoint (default from config)")
    status.add_argument("--json", action="store_true", help="print the raw snapshot as JSON")
    add_security_args(status)
    status.set_defaults(run=_status)


def _add_config_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    check = sub.add_parser("check-config", help="validate a hall TOML file")
    check.add_argument("file")
    check.set_defaults(run=_check_config)
    show = sub.add_parser("show-config", help="print the effective configuration")
    show.add_argument("file")
    show.set_defaults(run=_show_config)
    example = sub.add_parser(
        "example-hall", help="the example hall file shipped with callnext, a starting point",
        description="Print the commented example hall (a municipal medical insurance hall), "
                    "or write it to --out; edit it, then run callnext check-config.")
    example.add_argument("--out", help="write it to this file (an existing file is kept "
                         "unless --force); default: print it")
    example.add_argument("--minimal", action="store_true",
                         help="the smallest valid hall instead: one service, one counter")
    example.add_argument("--force", action="store_true", help="replace an existing --out file")
    example.set_defaults(run=_example_hall)


def _add_demo(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = sub.add_parser("demo", help="the whole hall on this machine: windows for the display, "
                          "kiosk and counters; --headless: a scripted day in the terminal")
    demo.add_argument("--config", help="hall TOML file (default: the example hall shipped with "
                      "callnext, see `callnext example-hall`)")
    mode = demo.add_mutually_exclusive_group()
    mode.add_argument("--headless", action="store_true",
                      help="no windows: play a scripted, accelerated hall day and print its report "
                           "(also chosen when there is no screen)")
    mode.add_argument("--windowed", action="store_true",
                      help="open the windows even where no screen was detected")
    demo.add_argument("--minutes", type=float, default=240.0,
                      help="headless: simulated minutes of hall time")
    demo.add_argument("--speed", type=float, default=120.0,
                      help="headless: simulated seconds per real second")
    demo.add_argument("--seed", type=int, default=7, help="headless: seed of the scripted day")
    demo.add_argument("--out", help="keep the journal (and, with windows, printed tickets and "
                      "speech) in this folder (default: a temporary one)")
    demo.set_defaults(run=_demo)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``callnext`` command; returns the process exit status."""
    argv = sys.argv[1:] if argv is None else argv
    skip_plugin_discovery()  # before any subcommand builds a pydantic model
    args = build_parser(argv).parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except CallnextError as err:
        print(f"callnext {args.command}: {err}", file=sys.stderr)
        return err.exit_status
    except KeyboardInterrupt:
        return 130
    except OSError as err:
        print(f"callnext {args.command}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
