"""The caller's config block, key map, text output and CLI registration."""

from __future__ import annotations

import gc
import io
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError

from caller.keyboard import KeyPress, decode_key
from caller.lcd import TerminalText, caller_lines
from protocol.view import PublicView
from caller.run import run_caller
from callnext.cli import build_parser
from config.caller_node import CallerNode
from hw.gpio import GpioError, make_pin_factory
from protocol.security import KeysMissing
from runtime.blocks import NodeSetupError, caller_block
from tests.conftest import small_hall


def test_a_pin_used_twice_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="GPIO17 is used by both"):
        CallerNode.model_validate({"id": "c", "buttons": {"call_next": 17},
                                   "leds": {"status": 17}})


def test_transfer_button_needs_targets_and_long_press_needs_its_button() -> None:
    with pytest.raises(ValidationError, match="transfer.services is empty"):
        CallerNode.model_validate({"id": "c", "buttons": {"transfer": 5}})
    with pytest.raises(ValidationError, match="no 'recall' button"):
        CallerNode.model_validate({"id": "c", "long_press": {"actions": {"recall": "no_show"}}})


def test_block_selection_by_counter_and_unknown_counter() -> None:
    hall = small_hall().model_copy(update={"callers": (
        CallerNode(id="caller-2", counters=(2,)), CallerNode(id="caller"))})
    assert caller_block(hall, 2) == (hall.callers[0], "caller-2")
    assert caller_block(hall, 1) == (hall.callers[1], "caller-1")
    with pytest.raises(NodeSetupError, match="counter 9 is not configured"):
        caller_block(hall, 9)
    with pytest.raises(NodeSetupError, match=r"add one with\s+counters = \[1\]"):
        caller_block(small_hall(), 1)


def test_unknown_gpio_backend_is_a_start_up_error_not_a_fallback() -> None:
    with pytest.raises(GpioError, match="unknown GPIO backend"):
        make_pin_factory("fake")


def test_keys_map_to_the_same_buttons() -> None:
    assert decode_key("n", 3) == KeyPress("call_next")
    assert decode_key("R", 3) == KeyPress("recall", long=True)
    assert decode_key("3", 3) == KeyPress("rate0")  # 3 = 满意, the best button
    assert decode_key("1", 3) == KeyPress("rate2")
    assert decode_key("5", 3) is None
    assert decode_key("5", 5) == KeyPress("rate0")
    assert decode_key("q", 3) == KeyPress("quit")


def test_text_lines_fit_and_say_what_matters() -> None:
    view = PublicView.parse({"counters": {"3": {"number": 3, "serving": "A012", "mode": "open"}}})
    assert caller_lines(view, 3, link_ok=True, waiting=4, columns=16, rows=2,
                        ascii_only=True) == ["3 NOW A012", "WAIT 4"]
    assert caller_lines(view, 3, link_ok=False, waiting=4, columns=16, rows=2,
                        ascii_only=True) == ["NO LINK", "press again late"]
    lines = caller_lines(view, 3, link_ok=True, waiting=0, columns=20, rows=2,
                         ascii_only=False, note="转移 -> 报销 reimburse")
    assert lines == ["3号 当前 A012", "转移 -> 报销 reimburse"]
    out = io.StringIO()
    term = TerminalText(out)
    term.show(["a", "b"])
    term.show(["a", "b"])
    assert out.getvalue() == "a | b\n"


def test_caller_subcommand_is_registered() -> None:
    args = build_parser().parse_args(["caller", "--config", "x.toml", "--counter", "3",
                                      "--keyboard"])
    assert (args.command, args.counter, args.keyboard) == ("caller", 3, True)


def test_the_caller_takes_its_security_from_the_hall_file(tmp_path: Path) -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "hall.example.toml"
    keys = tmp_path / "keys-of-the-hall-file"
    hall = tmp_path / "hall.toml"
    hall.write_text(example.read_text(encoding="utf-8")
                    + f'\n[security]\nkeys_dir = "{keys.as_posix()}"\n', encoding="utf-8")
    with pytest.raises(KeysMissing, match="keys-of-the-hall-file"):
        run_caller(hall, 1, keyboard=True, stdin=io.StringIO("q"))
    bench = tmp_path / "bench.toml"
    bench.write_text(example.read_text(encoding="utf-8") + "\n[security]\ninsecure = true\n",
                     encoding="utf-8")
    # No --keys, no --insecure: the hall file says this is a test bench. (Off the main
    # thread, so the caller leaves pytest's signal handlers alone.)
    assert gc.get_freeze_count() == 0
    result: list[int] = []
    worker = threading.Thread(target=lambda: result.append(
        run_caller(bench, 1, keyboard=True, stdin=io.StringIO("q"))))
    worker.start()
    worker.join(15)
    assert result == [0]
    # Once started, what it built is out of the collector's full passes (foundation.heap).
    assert gc.get_freeze_count() > 0
