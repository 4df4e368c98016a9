"""``callnext staff`` against a real broker process on loopback: PINs from stdin, only
hashes sent, refusals in words, nothing printed that holds a PIN or hash."""

from __future__ import annotations

import io
import itertools
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pytest

from callnext.cli import main
from callnext.demo import start_broker, stop_broker
from callnext.staff_cli import StaffCommandError, read_pin
from foundation.pins import verify_pin
from protocol.client import RequestClient

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    process, endpoints = start_broker(CONFIG, tmp_path_factory.mktemp("broker"),
                                      clock_start="2026-11-25T09:00")
    try:
        yield endpoints["commands"]
    finally:
        stop_broker(process)


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def staff(endpoint: str, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """``callnext staff ...`` in this process (quick); stdin holds ``pin``."""
    def run(*argv: str, pin: str = "") -> Run:
        monkeypatch.setattr(sys, "stdin", io.StringIO(pin))
        code = main(["staff", *argv, "--config", CONFIG, "--endpoint", endpoint, "--insecure"])
        out = capsys.readouterr()
        return Run(code, out.out, out.err)
    return run


def credential(endpoint: str, staff_id: str) -> str:
    with RequestClient(endpoint, "web") as client:
        return str(client.request("staff_credential", {"id": staff_id})["pin_hash"])


def test_add_list_set_pin_disable_enable_through_the_broker(
        endpoint: str, staff: Callable[..., Run]) -> None:
    # Once as the real command, with the PIN piped into it.
    added = subprocess.run(
        [sys.executable, "-m", "callnext", "staff", "add", "--id", "1024", "--name", "张三",
         "--role", "clerk", "--config", CONFIG, "--endpoint", endpoint, "--insecure"],
        input="2580\n", capture_output=True, text=True, timeout=60, check=False)
    assert added.returncode == 0, added.stderr
    assert "工号 1024 张三 (clerk, enabled" in added.stdout
    first = credential(endpoint, "1024")
    assert verify_pin("2580", first)
    again = staff("add", "--id", "1024", "--name", "x", "--role", "clerk",
                  pin="1111\n")
    assert again.returncode == 2 and "工号 1024 已存在" in again.stderr
    assert "Staff ID 1024 exists already" in again.stderr
    assert staff("set-pin", "--id", "1024", pin="97531\n").returncode == 0
    assert verify_pin("97531", credential(endpoint, "1024"))
    assert "already" not in staff("disable", "--id", "1024").stdout
    listed = staff("list")
    assert listed.returncode == 0 and "1024" in listed.stdout and " no" in listed.stdout
    assert staff("enable", "--id", "1024").returncode == 0
    missing = staff("disable", "--id", "4096")
    assert missing.returncode == 2 and "工号 4096 不存在" in missing.stderr
    for run in (added, again, listed, missing):
        text = run.stdout + run.stderr
        assert "2580" not in text and first not in text and "scrypt$" not in text


def test_a_bad_pin_is_refused_before_anything_is_sent(staff: Callable[..., Run]) -> None:
    bad = staff("add", "--id", "77", "--name", "李四", "--role", "manager",
                pin="12ab\n")
    assert bad.returncode == 2 and "4 to 8 digits" in bad.stderr and "12ab" not in bad.stderr
    empty = staff("add", "--id", "77", "--name", "李四", "--role", "manager")
    assert empty.returncode == 2 and "standard input" in empty.stderr
    assert "77" not in staff("list").stdout.split()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_at_a_terminal_the_pin_is_asked_twice_until_both_match() -> None:
    answers = iter(["12", "2580", "2581", "2580", "2580"])
    assert read_pin(Terminal(), lambda _prompt: next(answers)) == "2580"
    differing = itertools.cycle(["1234", "5678"])
    with pytest.raises(StaffCommandError):
        read_pin(Terminal(), lambda _prompt: next(differing))
