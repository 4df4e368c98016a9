"""``callnext staff add|list|disable|enable|set-pin``: the staff records in the broker's journal.

The command speaks to the running broker with the admin key (``--keys DIR``, or
``--insecure`` on a test bench). A PIN is read from stdin when stdin is not a terminal
(one line), otherwise asked twice without echo; it must be 4-8 digits. The PIN is hashed
here (``foundation.pins.hash_pin``) and only the hash is sent: neither the PIN nor the hash
is ever printed or logged.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any, Callable, TextIO

from foundation.errors import CallnextError
from foundation.pins import check_pin, hash_pin
from foundation.text import pad, width
from runtime.security import add_security_args

ADMIN_NODE = "admin"
"""The staff records are the admin's: the command sends under the admin key."""

PIN_ATTEMPTS = 3
"""How often a person at a terminal may retype a PIN that did not match or had the wrong form."""


class StaffCommandError(CallnextError):
    """A staff command could not be carried out; the message says why and what to do."""


def read_pin(stdin: TextIO, ask: Callable[[str], str] = getpass.getpass) -> str:
    """The new PIN: one line of ``stdin`` when it is not a terminal, else asked twice.

    Raises:
        StaffCommandError: no PIN on stdin, or it is not 4-8 digits, or the two entries at a
            terminal did not match ``PIN_ATTEMPTS`` times.
    """
    if not stdin.isatty():
        pin = stdin.readline().strip()
        if not pin:
            raise StaffCommandError("no PIN on standard input; pipe one line of 4-8 digits, "
                                    "e.g. `printf '2580\\n' | callnext staff ...`")
        try:
            check_pin(pin)
        except CallnextError as err:
            raise StaffCommandError(f"{err} (read from standard input)") from err
        return pin
    for _ in range(PIN_ATTEMPTS):
        pin = ask("PIN (4-8 digits) / 密码: ")
        try:
            check_pin(pin)
        except CallnextError as err:
            print(f"{err}; try again", file=sys.stderr)
            continue
        if ask("PIN again / 再次输入: ") == pin:
            return pin
        print("the two PINs differ; try again / 两次输入不一致", file=sys.stderr)
    raise StaffCommandError(f"no PIN set after {PIN_ATTEMPTS} attempts; nothing was changed")


def staff_id(text: str) -> str:
    """An argparse type: a 工号 of 1-16 ASCII digits."""
    if not (text.isascii() and text.isdigit() and 1 <= len(text) <= 16):
        raise argparse.ArgumentTypeError(f"a staff id (工号) is 1-16 digits, got {text!r}")
    return text


def _client(args: argparse.Namespace) -> Any:
    from config.load import load_hall
    from protocol.client import RequestClient
    from runtime.security import socket_setup_for

    hall = load_hall(args.config)
    return RequestClient(args.endpoint or hall.broker.command_endpoint(), ADMIN_NODE,
                         socket_setup=socket_setup_for(args, hall, ADMIN_NODE))


def _call(args: argparse.Namespace, op: str, op_args: dict[str, Any]) -> Any:
    """Send one op with the admin key; a refusal becomes words, Chinese and English."""
    from protocol.errors import CommandRefused
    from runtime.messages import refusal_both

    with _client(args) as client:
        try:
            return client.call(op, op_args)
        except CommandRefused as refused:
            zh, en = refusal_both(refused.code, refused.params)
            raise StaffCommandError(f"{zh} / {en} ({refused.code})") from None


def _describe(member: Any) -> str:
    state = "enabled 启用" if member.enabled else "disabled 停用"
    where = f", signed in at counter {member.counter}" if member.counter is not None else ""
    return f"工号 {member.id} {member.name} ({member.role}, {state}{where})"


def _add(args: argparse.Namespace) -> int:
    pin_hash = hash_pin(read_pin(sys.stdin))
    added = _call(args, "staff_add", {"id": args.id, "name": args.name, "role": args.role,
                                      "pin_hash": pin_hash})
    print(f"added {_describe(added)}")
    return 0


def _set_pin(args: argparse.Namespace) -> int:
    pin_hash = hash_pin(read_pin(sys.stdin))
    changed = _call(args, "staff_set_pin", {"id": args.id, "pin_hash": pin_hash})
    print(f"new PIN set for {_describe(changed)}")
    return 0


def _switch(op: str, verb: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        changed = _call(args, op, {"id": args.id})
        print(f"{verb if changed.changed else 'already ' + verb}: {_describe(changed)}")
        return 0
    return run


def _list(args: argparse.Namespace) -> int:
    listed = _call(args, "staff_list", {})
    if not listed.staff:
        print("no staff yet / 尚无工作人员; add one with `callnext staff add`")
        return 0
    rows = [("工号 ID", "姓名 name", "role", "enabled", "counter")]
    rows += [(m.id, m.name, m.role, "yes" if m.enabled else "no",
              "-" if m.counter is None else str(m.counter)) for m in listed.staff]
    widths = [max(width(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``callnext staff add|list|disable|enable|set-pin`` to the ``callnext`` command."""
    staff = sub.add_parser("staff", help="add, list, disable or enable staff and set their PINs")
    actions = staff.add_subparsers(dest="staff_action", required=True)
    for name, help_text, run in (
            ("add", "add a staff member (the PIN from stdin, or asked twice)", _add),
            ("list", "list every staff member (never a PIN)", _list),
            ("disable", "disable a staff member (signs them out)",
             _switch("staff_disable", "disabled")),
            ("enable", "enable a disabled staff member", _switch("staff_enable", "enabled")),
            ("set-pin", "set a new PIN (from stdin, or asked twice)", _set_pin)):
        action = actions.add_parser(name, help=help_text)
        action.add_argument("--config", required=True, help="hall TOML file")
        action.add_argument("--endpoint", help="broker command endpoint (default from config)")
        if name != "list":
            action.add_argument("--id", required=True, type=staff_id,
                                help="the 工号: 1-16 digits")
        if name == "add":
            action.add_argument("--name", required=True, help="the member's name (not shown "
                                "to visitors, never published)")
            action.add_argument("--role", required=True, choices=("clerk", "manager"))
        add_security_args(action)
        action.set_defaults(run=run)
