"""Opening the journal against its anchor: a journal that went back in time is not served.

``open_journal`` compares the journal with the anchor beside it (``broker.anchor``).
A journal behind its anchor (deleted, emptied, restored from an older copy,
rebuilt shorter after damage) or of another history (another hall id or epoch)
stops the broker with a message naming both seqs. The operator's decision,
``--accept-journal-rollback``, gives the journal a new epoch, marks the requests
the anchor remembers but the journal does not as forgotten (a retry is refused
with ``journal_rolled_back``), and returns a ``Rollback`` that the service
journals as an event raising the ticket numbers above the anchor's.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from broker.anchor import ANCHOR_NAME, Anchor, read_anchor, write_anchor
from broker.anchor_keeper import AnchorKeeper
from broker.journal import JOURNAL_NAME, Journal, JournalError, JournalUnavailable
from broker.storage import describe
from protocol import envelope, errors

log = logging.getLogger(__name__)

ACCEPT_FLAG = "--accept-journal-rollback"
"""The operator's decision to serve a journal behind its anchor."""


class JournalBehind(JournalError):
    """The journal is behind its anchor (or of another history); nothing was changed.

    Restarting cannot help until the operator decides (``--accept-journal-rollback``), so it
    ends the broker with its own exit status, on which the unit stops restarting.
    """

    exit_status = 3


@dataclass(frozen=True)
class Rollback:
    """An accepted rollback, for the service to journal (``journal_rollback`` command)."""

    journal_seq: int
    anchor_seq: int
    previous_epoch: str
    epoch: str
    day: str | None
    numbers: dict[str, int] = field(default_factory=dict)
    forgotten: int = 0

    def args(self) -> dict[str, object]:
        """The internal command's arguments."""
        return {"journal_seq": self.journal_seq, "anchor_seq": self.anchor_seq,
                "previous_epoch": self.previous_epoch, "epoch": self.epoch, "day": self.day,
                "numbers": dict(self.numbers), "forgotten": self.forgotten}


def _latest_numbers(journal: Journal) -> tuple[str | None, dict[str, int]]:
    """The journal's latest day and the highest ticket number per service on it."""
    days = journal.days()
    if not days:
        return None, {}
    numbers: dict[str, int] = {}
    for stored in journal.events(day=days[-1]):
        if stored.type == "ticket_issued":
            service = str(stored.data["service"])
            numbers[service] = max(numbers.get(service, 0), int(stored.data["seq_in_service"]))
    return days[-1], numbers


def _shown(anchor: Anchor) -> str:
    tickets = ", ".join(f"{service} up to {number}" for service, number in
                        sorted(anchor.numbers.items()))
    return f" (tickets on {anchor.day}: {tickets})" if tickets else ""


def behind_message(journal_path: Path, journal_seq: int | None, journal_epoch: str | None,
                   anchor_path: Path, anchor: Anchor) -> str:
    """What the operator reads when the journal is behind its anchor, and what to do."""
    where = ("is missing" if journal_seq is None else
             f"ends at seq {journal_seq} (epoch {journal_epoch})")
    return (
        f"the journal {journal_path} {where}, but its anchor {anchor_path} says the hall had "
        f"reached seq {anchor.seq} (epoch {anchor.epoch}){_shown(anchor)}. The journal was "
        f"deleted, emptied, restored from an older copy or rebuilt after damage; serving it "
        f"would hand out numbers that visitors already hold. Nothing was changed. If a newer "
        f"journal exists (a later backup, another disk), put it back (`callnext journal "
        f"restore`) and start again. Otherwise start the broker once with {ACCEPT_FLAG}: "
        f"numbering continues above the anchor's numbers and retried requests the journal "
        f"has forgotten are refused.")


def open_journal(data_dir: Path, *, accept_rollback: bool = False,
                 clock: float | None = None) -> tuple[Journal, Rollback | None]:
    """Open the journal in ``data_dir``, checked against its anchor, and keep the anchor.

    Args:
        data_dir: the broker's data directory.
        accept_rollback: the operator's decision to serve a journal behind its anchor.
        clock: the time recorded for forgotten requests (default: now).

    Returns:
        The open journal (its anchor is updated on every durable append from now on)
        and the accepted rollback, if there was one, for the service to journal.

    Raises:
        JournalBehind: the journal is behind its anchor and no decision was given.
        JournalUnavailable: the data directory's filesystem cannot be used.
        AnchorError: the anchor file is unreadable.
    """
    path, anchor_path = Path(data_dir) / JOURNAL_NAME, Path(data_dir) / ANCHOR_NAME
    anchor = read_anchor(anchor_path)
    if anchor is not None and anchor.seq > 0 and not path.exists() and not accept_rollback:
        raise JournalBehind(behind_message(path, None, None, anchor_path, anchor))
    keeper = _lock(anchor_path, anchor)
    try:
        journal = Journal(path)
    except BaseException:
        keeper.close()
        raise
    try:
        rollback = _reconcile(journal, anchor, keeper, accept_rollback,
                              time.time() if clock is None else clock)
    except BaseException:
        keeper.close()
        journal.close()
        raise
    journal.anchor = keeper
    return journal, rollback


def _lock(anchor_path: Path, anchor: Anchor | None) -> AnchorKeeper:
    """The anchor's keeper, holding its lock before the journal is touched.

    A missing anchor (a new hall, or the first start of this version) is created
    empty first: seq 0 means "no history" and is replaced from the journal below.
    """
    try:
        if anchor is None:
            anchor_path.parent.mkdir(parents=True, exist_ok=True)
            write_anchor(anchor_path, Anchor("", ""))
        return AnchorKeeper(anchor_path, anchor or Anchor("", ""))
    except OSError as err:
        raise JournalUnavailable(
            f"cannot write the journal's anchor {anchor_path}: "
            f"{describe(anchor_path.parent, err)}. Nothing was moved or changed. Start the "
            f"broker again once that is fixed.") from err


def _reconcile(journal: Journal, anchor: Anchor | None, keeper: AnchorKeeper,
               accept_rollback: bool, now: float) -> Rollback | None:
    seq = journal.last_seq()
    same = anchor is not None and (anchor.hall_id, anchor.epoch) == (journal.hall_id,
                                                                     journal.epoch)
    if anchor is None or anchor.seq == 0 or (same and seq >= anchor.seq):
        day, numbers = _latest_numbers(journal)
        fresh = Anchor(journal.hall_id, journal.epoch, seq)
        fresh.record(seq, day, numbers, None)
        if anchor is not None and same:
            fresh.recent = anchor.recent
            fresh.record(seq, anchor.day, anchor.numbers, None)
        keeper.anchor = fresh
        try:
            keeper.flush()
        except OSError as err:
            raise JournalUnavailable(
                f"cannot write the journal's anchor {keeper.path}: "
                f"{describe(keeper.path.parent, err)}. Nothing was moved or changed.") from err
        if accept_rollback:
            log.warning("%s given, but the journal is not behind its anchor: nothing to "
                        "accept. Remove the option.", ACCEPT_FLAG)
        return None
    if not accept_rollback:
        raise JournalBehind(behind_message(journal.path, seq, journal.epoch, keeper.path,
                                           anchor))
    return _accept(journal, anchor, keeper, seq, now)


def _accept(journal: Journal, anchor: Anchor, keeper: AnchorKeeper, seq: int,
            now: float) -> Rollback:
    """The operator's decision: a new epoch, forgotten requests refused, numbers kept."""
    forgotten = [
        (rid, op, node, envelope.error_reply(
            rid, errors.JOURNAL_ROLLED_BACK,
            f"this request was answered before the broker's journal was rolled back "
            f"(seq {anchor.seq} to {seq}); its effect may be lost. Check the hall's state "
            f"and send the command again as a new request."))
        for rid, op, node in anchor.recent if journal.request(rid) is None]
    previous = journal.epoch
    epoch = journal.start_epoch(anchor.hall_id, forgotten, now)
    day, numbers = _latest_numbers(journal)
    kept = Anchor(anchor.hall_id, epoch, seq)
    kept.record(seq, day, numbers, None)
    kept.record(seq, anchor.day, anchor.numbers, None)
    # Written by the rollback event's append: until then the old anchor stands, so a
    # crash before the event is journaled asks for the decision again.
    keeper.anchor = kept
    log.warning("journal rollback accepted by the operator: the journal ends at seq %d, the "
                "anchor was at seq %d; new epoch %s; %d forgotten request id(s) will be "
                "refused; numbering continues above %s", seq, anchor.seq, epoch,
                len(forgotten), anchor.numbers or "nothing")
    return Rollback(journal_seq=seq, anchor_seq=anchor.seq, previous_epoch=previous,
                    epoch=epoch, day=anchor.day, numbers=dict(anchor.numbers),
                    forgotten=len(forgotten))
