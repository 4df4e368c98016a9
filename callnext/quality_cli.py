"""``callnext alert ack`` and ``callnext case note|close``: the manager's side of the quality
loop from a terminal (the staff console does the same from the hall page).

The commands speak to the running broker with the admin key (``--keys DIR``, or
``--insecure`` on a test bench), like ``callnext staff``; ``callnext status`` lists the
alerts (with their keys) and the cases (with their ids) they name.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable

from foundation.errors import CallnextError
from runtime.security import add_security_args

ADMIN_NODE = "admin"
"""Acknowledging alerts and closing cases are the hall manager's: sent under the admin key."""

OUTCOMES: dict[str, str] = {"callback_made": "回访 the visitor was called back",
                            "fixed": "整改 the cause was fixed",
                            "withdrawn": "the visitor withdrew the rating"}


class QualityCommandError(CallnextError):
    """An alert or case command could not be carried out; the message says why."""


def _call(args: argparse.Namespace, op: str, op_args: dict[str, Any]) -> Any:
    """Send one manager op with the admin key; a refusal becomes words, Chinese and English."""
    from config.load import load_hall
    from protocol.client import RequestClient
    from protocol.errors import CommandRefused
    from runtime.messages import refusal_both
    from runtime.security import socket_setup_for

    hall = load_hall(args.config)
    with RequestClient(args.endpoint or hall.broker.command_endpoint(), ADMIN_NODE,
                       socket_setup=socket_setup_for(args, hall, ADMIN_NODE)) as client:
        try:
            return client.call(op, op_args)
        except CommandRefused as refused:
            zh, en = refusal_both(refused.code, refused.params)
            raise QualityCommandError(f"{zh} / {en} ({refused.code}); `callnext status` "
                                      "lists the alerts and cases") from None


def _ack(args: argparse.Namespace) -> int:
    done = _call(args, "acknowledge_alert", {"key": args.key, "note": args.note})
    print(f"acknowledged {done.key}: " + ("cleared 已清除" if done.cleared
                                          else "silenced until it clears 已确认"))
    return 0


def _note(args: argparse.Namespace) -> int:
    done = _call(args, "case_note", {"case": args.case, "note": args.note})
    print(f"case {done.case}: note added ({done.notes_count} so far)")
    return 0


def _close(args: argparse.Namespace) -> int:
    done = _call(args, "case_close", {"case": args.case, "outcome": args.outcome,
                                      "note": args.note})
    when = "in time 按时" if done.in_time else "late 超期"
    print(f"case {done.case} closed: {OUTCOMES[done.outcome]} ({when})")
    return 0


def _common(parser: argparse.ArgumentParser, run: Callable[[argparse.Namespace], int]) -> None:
    parser.add_argument("--config", required=True, help="hall TOML file")
    parser.add_argument("--endpoint", help="broker command endpoint (default from config)")
    add_security_args(parser)
    parser.set_defaults(run=run)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``callnext alert ack`` and ``callnext case note|close`` to ``callnext``."""
    alert = sub.add_parser("alert", help="acknowledge a staff alert (see `callnext status`)")
    ack = alert.add_subparsers(dest="alert_action", required=True).add_parser(
        "ack", help="acknowledge: a sticky alert (差评, time limit) clears, others are silenced")
    ack.add_argument("--key", required=True, help="the alert's key, e.g. rating:20261125-A002")
    ack.add_argument("--note", default="", help="what was done (optional)")
    _common(ack, _ack)
    case = sub.add_parser("case", help="follow up a 差评 case (see `callnext status`)")
    actions = case.add_subparsers(dest="case_action", required=True)
    note = actions.add_parser("note", help="record what was done on an open case")
    note.add_argument("--case", required=True, help="the case id, e.g. 20261125-A002")
    note.add_argument("--note", required=True, help="what was done")
    _common(note, _note)
    close = actions.add_parser("close", help="close a case with its outcome")
    close.add_argument("--case", required=True, help="the case id, e.g. 20261125-A002")
    close.add_argument("--outcome", required=True, choices=tuple(OUTCOMES),
                       help="callback_made (回访), fixed (整改) or withdrawn")
    close.add_argument("--note", default="", help="the closing note (optional)")
    _common(close, _close)
