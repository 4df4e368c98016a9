"""The concurrent burst runs each client in a process of its own, started together."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import pytest

from bench.burst import BurstError, run_burst, shares


def _note_pid(folder: str, index: int, share: int, start: Callable[[], None]) -> None:
    """A client's work: say which process did how much (the 'endpoint' is a folder here)."""
    start()
    (Path(folder) / f"{index}").write_text(f"{os.getpid()} {share}", encoding="ascii")


def _fail_one(folder: str, index: int, share: int, start: Callable[[], None]) -> None:
    if index == 1:
        raise ValueError("the broker refused client 1")
    start()


def _die(folder: str, index: int, share: int, start: Callable[[], None]) -> None:
    if index == 0:
        os._exit(3)  # killed, say, by the OOM killer: no report at all
    start()


def test_every_client_is_its_own_process_and_the_work_is_shared_out(tmp_path: Path) -> None:
    began, ended = run_burst(str(tmp_path), 11, 4, _note_pid, timeout_s=60.0)
    assert began <= ended
    notes = [(tmp_path / f"{i}").read_text(encoding="ascii").split() for i in range(4)]
    pids = {int(pid) for pid, _ in notes}
    assert len(pids) == 4 and os.getpid() not in pids
    assert sorted(int(share) for _, share in notes) == [2, 3, 3, 3] == sorted(shares(11, 4))


def test_a_failing_client_fails_the_burst_with_its_reason(tmp_path: Path) -> None:
    with pytest.raises(BurstError, match="client 1 failed: ValueError: the broker refused"):
        run_burst(str(tmp_path), 6, 3, _fail_one, timeout_s=60.0)


def test_a_client_that_dies_without_a_word_fails_the_burst(tmp_path: Path) -> None:
    with pytest.raises(BurstError, match="bench-client-0 died .exit status 3"):
        run_burst(str(tmp_path), 4, 2, _die, timeout_s=60.0)
