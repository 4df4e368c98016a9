"""``callnext journal verify|backup|restore``: the technician's tools for the broker's journal.

* ``verify``: read a journal (the live one or a backup) and say whether it is whole,
  how far it goes, and how it compares with the anchor beside the live journal.
* ``backup``: take a verified backup now (the broker may keep running).
* ``restore``: put a backup in place of the journal (the broker must be stopped).
  The journal it replaces is kept beside it. A backup older than the anchor is a
  rollback: the broker then refuses to start until the operator decides
  (``callnext broker ... --accept-journal-rollback``).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from foundation.errors import CallnextError

DEFAULT_DATA = "/var/lib/callnext"


class RestoreRefused(CallnextError):
    """The restore was not done; the journal is as it was."""


def _describe(verified: Any) -> str:
    days = "no days" if verified.days is None else f"days {verified.days[0]} to {verified.days[1]}"
    return (f"{verified.path}: {'OK' if verified.ok else 'DAMAGED'}, {verified.events} events "
            f"(seq {verified.seq}), {days}, hall {verified.hall_id or '-'}, "
            f"epoch {verified.epoch or '-'}")


def _anchor_line(data: Path, seq: int, epoch: str | None) -> str:
    from broker.anchor import ANCHOR_NAME, read_anchor

    anchor = read_anchor(data / ANCHOR_NAME)
    if anchor is None:
        return "anchor: none (it is written when the broker starts)"
    if anchor.seq > seq or (anchor.epoch != epoch and anchor.seq > 0):
        return (f"anchor: the hall had reached seq {anchor.seq} (epoch {anchor.epoch}); this "
                f"journal is BEHIND it. The broker will refuse to start until you decide: "
                f"see docs/install.md, 'Restoring the journal'.")
    return f"anchor: seq {anchor.seq}, epoch {anchor.epoch}: the journal is not behind it"


def _verify(args: argparse.Namespace) -> int:
    from broker.backup import verify_journal
    from broker.journal import JOURNAL_NAME

    path = Path(args.file) if args.file else Path(args.data) / JOURNAL_NAME
    verified = verify_journal(path)
    print(_describe(verified))
    for problem in verified.problems:
        print(f"  problem: {problem}")
    if not args.file:
        print(_anchor_line(Path(args.data), verified.seq, verified.epoch))
    return 0 if verified.ok else 1


def _backup_dir(args: argparse.Namespace) -> Path:
    if args.to:
        return Path(args.to)
    if args.config:
        from config.load import load_hall

        configured = load_hall(args.config).journal.backup_dir
        if configured:
            return Path(configured)
    raise RestoreRefused("say where to put the backup: --to DIR, or --config with "
                         "[journal] backup_dir in the hall file")


def _backup(args: argparse.Namespace) -> int:
    from broker.anchor import ANCHOR_NAME
    from broker.backup import backup_journal
    from broker.journal import JOURNAL_NAME

    data = Path(args.data)
    if not (data / JOURNAL_NAME).is_file():
        raise RestoreRefused(f"there is no journal in {data}; pass the broker's --data")
    done = backup_journal(data / JOURNAL_NAME, data / ANCHOR_NAME, _backup_dir(args))
    print(f"backed up and verified: {_describe(done)}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    from broker.anchor import ANCHOR_NAME, in_use, read_anchor, write_anchor
    from broker.backup import copy_durably, verify_journal
    from broker.journal import JOURNAL_NAME

    source, data = Path(args.backup), Path(args.data)
    verified = verify_journal(source)
    if not verified.ok:
        raise RestoreRefused(f"{source} is not a whole journal ({'; '.join(verified.problems)});"
                             f" nothing was changed. Pick another backup "
                             f"(`callnext journal verify --file ...`).")
    if in_use(data / ANCHOR_NAME):
        raise RestoreRefused(f"the broker is running on {data}; nothing was changed. Stop it "
                             f"first: `sudo systemctl stop callnext-broker`.")
    data.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for suffix in ("", "-wal", "-shm"):
        current = data / f"{JOURNAL_NAME}{suffix}"
        if current.exists():
            current.replace(data / f"{JOURNAL_NAME}.before-restore-{stamp}{suffix}")
    copy_durably(source, data / JOURNAL_NAME)
    backup_anchor = read_anchor(source.with_suffix(".anchor"))
    if read_anchor(data / ANCHOR_NAME) is None and backup_anchor is not None:
        write_anchor(data / ANCHOR_NAME, backup_anchor)  # a new card: the backup's anchor
    print(f"restored {source} into {data / JOURNAL_NAME}; the journal it replaced is kept as "
          f"{JOURNAL_NAME}.before-restore-{stamp}")
    print(_describe(verify_journal(data / JOURNAL_NAME)))
    print(_anchor_line(data, verified.seq, verified.epoch))
    return 0


def register(sub: Any) -> None:
    """Add ``callnext journal verify|backup|restore`` to the ``callnext`` command."""
    journal = sub.add_parser("journal", help="verify, back up or restore the broker's journal")
    actions = journal.add_subparsers(dest="journal_action", required=True)
    verify = actions.add_parser("verify", help="check a journal (read only)")
    verify.add_argument("--data", default=DEFAULT_DATA, help="the broker's data directory")
    verify.add_argument("--file", help="a journal file to check instead (e.g. a backup)")
    verify.set_defaults(run=_verify)
    backup = actions.add_parser("backup", help="take a verified backup now")
    backup.add_argument("--data", default=DEFAULT_DATA, help="the broker's data directory")
    backup.add_argument("--to", help="backup directory (default: [journal] backup_dir)")
    backup.add_argument("--config", help="hall TOML file, for [journal] backup_dir")
    backup.set_defaults(run=_backup)
    restore = actions.add_parser("restore", help="replace the journal by a backup "
                                                 "(broker stopped)")
    restore.add_argument("backup", help="the backup file (journal-...sqlite3)")
    restore.add_argument("--data", default=DEFAULT_DATA, help="the broker's data directory")
    restore.set_defaults(run=_restore)
