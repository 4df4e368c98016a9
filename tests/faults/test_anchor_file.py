"""The anchor survives a write cut short: two slots, the torn one is ignored."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.anchor import (
    RECENT_PER_NODE,
    RECENT_TOTAL,
    SLOT_BYTES,
    Anchor,
    AnchorError,
    read_anchor,
    write_anchor,
)
from broker.anchor_keeper import AnchorKeeper
from broker.journal import Entry
from broker.rules import Event


def _ticket(number: int) -> Entry:
    return Entry(Event("ticket_issued", 0.0, {"service": "general", "seq_in_service": number}),
                 "2026-12-02")


def test_a_torn_slot_falls_back_to_the_previous_whole_one(tmp_path: Path) -> None:
    path = tmp_path / "journal.anchor"
    write_anchor(path, Anchor("hall", "epoch"))
    keeper = AnchorKeeper(path, Anchor("hall", "epoch"))
    for seq in range(1, 6):
        keeper.appended([seq], [_ticket(seq)], (f"r{seq}", "issue_ticket", "kiosk-1"))
        keeper.settle(lag_s=0)  # each state on disk in turn, so the two slots hold 4 and 5
    keeper.close()
    newest = read_anchor(path)
    assert newest is not None and newest.seq == 5 and newest.numbers == {"general": 5}
    assert [r[0] for r in newest.recent] == [f"r{i}" for i in range(6 - RECENT_PER_NODE, 6)]
    whole = path.read_bytes()
    survivors = []
    for slot in (0, SLOT_BYTES):  # a power cut tears whichever slot was being written
        torn = bytearray(whole)
        torn[slot + 40:slot + 60] = b"\xff" * 20
        path.write_bytes(bytes(torn))
        found = read_anchor(path)
        assert found is not None
        survivors.append(found.seq)
    assert sorted(survivors) == [4, 5], "a torn newest slot falls back to the one before"


def test_an_anchor_torn_in_both_slots_is_reported_not_ignored(tmp_path: Path) -> None:
    path = tmp_path / "journal.anchor"
    path.write_bytes(b"garbage" * 100)
    with pytest.raises(AnchorError, match="backup directory"):
        read_anchor(path)


def test_a_second_keeper_on_the_same_anchor_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.anchor"
    write_anchor(path, Anchor("hall", "epoch"))
    first = AnchorKeeper(path, Anchor("hall", "epoch"))
    try:
        with pytest.raises(AnchorError, match="already running"):
            AnchorKeeper(path, Anchor("hall", "epoch"))
    finally:
        first.close()


def _eager(recent: list[list[str]], request: list[str]) -> list[list[str]]:
    """The request ids as the anchor kept them before pruning moved to write time."""
    counts: dict[str, int] = {}
    kept = []
    for entry in reversed([r for r in recent if r[0] != request[0]] + [request]):
        seen = counts.get(entry[2], 0)
        if seen < RECENT_PER_NODE and len(kept) < RECENT_TOTAL:
            kept.append(entry)
            counts[entry[2]] = seen + 1
    return kept[::-1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 40)), max_size=600))
def test_request_ids_pruned_when_written_are_those_pruned_per_append(
        requests: list[tuple[int, int]]) -> None:
    anchor, eager = Anchor("hall", "epoch"), []
    for rid, node in requests:
        request = (f"r{rid}", "issue_ticket", f"node-{node}")
        anchor.record(1, None, {}, request)
        eager = _eager(eager, list(request))
        assert len(anchor.recent) <= 2 * RECENT_TOTAL + 1
    assert anchor.as_dict()["recent"] == eager
