"""An accepted journal rollback: ticket numbering continues above what was handed out.

When the broker's journal went back in time (deleted, restored from an older
copy, rebuilt shorter after damage) and the operator decided to serve it anyway
(``callnext broker --accept-journal-rollback``), the broker runs the internal
``journal_rollback`` command with the numbers its anchor remembers. The event it
journals raises each service's counter for the day, so no visitor's number is
handed out twice, and replaying the journal later raises it again.
"""

from __future__ import annotations

from typing import Any, Mapping, Protocol

from broker.rules.model import Event, HallState


class _Emitter(Protocol):
    state: HallState

    def emit(self, type_: str, **data: Any) -> Event: ...


def journal_rollback(tx: _Emitter, args: Mapping[str, Any]) -> dict[str, Any]:
    """Decide the ``journal_rolled_back`` event: the anchor's numbers, if they are today's.

    Args:
        tx: the command in progress (the day has already been rolled to today).
        args: ``day`` and ``numbers`` from the anchor, and the facts to record
            (``journal_seq``, ``anchor_seq``, ``epoch``, ``previous_epoch``, ``forgotten``).
    """
    today = tx.state.day
    numbers = {str(s): int(n) for s, n in dict(args.get("numbers") or {}).items()}
    raised = {s: n for s, n in numbers.items()
              if args.get("day") == today and n > tx.state.next_number.get(s, 0)}
    tx.emit("journal_rolled_back", day=today, numbers=raised,
            journal_seq=int(args["journal_seq"]), anchor_seq=int(args["anchor_seq"]),
            epoch=str(args["epoch"]), previous_epoch=str(args["previous_epoch"]),
            forgotten=int(args.get("forgotten", 0)))
    return {"numbers": raised}


def journal_rolled_back(state: HallState, event: Event) -> None:
    """Raise each service's last number to at least the one the anchor remembered."""
    for service, number in dict(event.data.get("numbers") or {}).items():
        state.next_number[str(service)] = max(state.next_number.get(str(service), 0), int(number))
