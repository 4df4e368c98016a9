"""The caller's note line words refusals and result notes from the message catalogue."""

from __future__ import annotations

import io
from typing import Any

from caller.app import CounterCaller
from caller.lcd import TerminalText, caller_lines, note_words, refusal_note
from config.caller_node import CallerNode
from tests.conftest import small_hall


def test_a_refusal_note_names_the_case_in_the_lcds_language() -> None:
    params = {"reason": "counter_paused", "counter": 2}
    assert refusal_note("call_next", "counter_paused", params, "refused", ascii_only=True) == (
        "call_next: Counter 2 is paused; resume it first")
    assert refusal_note("call_next", "counter_paused", params, "refused", ascii_only=False) == (
        "call_next: 2 号窗口已暂停，请先恢复")


def test_a_transfer_into_the_same_service_names_it() -> None:
    params = {"reason": "already_in_service", "ticket": "A003", "service": "general"}
    note = refusal_note("transfer", "invalid_state", params, "refused", ascii_only=False,
                        hall=small_hall())
    assert note == "transfer: A003 已在综合业务排队"


def test_no_reply_and_result_notes() -> None:
    assert refusal_note("recall", None, None, "unreachable", ascii_only=True) == (
        "recall: broker unreachable, press again")
    assert refusal_note("recall", None, None, "stale", ascii_only=True) == "recall: stale"
    assert note_words("note.nobody_waiting", ascii_only=False) == "无人等候"


def test_an_english_note_fits_an_ascii_lcd() -> None:
    note = refusal_note("call_next", "counter_closed", {"reason": "counter_closed", "counter": 1},
                        "refused", ascii_only=True)
    lines = caller_lines(None, 1, link_ok=True, waiting=0, columns=20, rows=2, ascii_only=True,
                         note=note)
    assert lines[-1] == note[:20] and lines[-1].isascii()


def _caller_showing(result: dict[str, Any], lcd: dict[str, Any]) -> list[str]:
    """Press CALL NEXT on a caller whose broker answers ``result``; the text lines shown."""
    stream = io.StringIO()
    node = CallerNode.model_validate({"id": "caller-1", "counters": [1], "gpio": "mock",
                                      "lcd": lcd})
    caller = CounterCaller(small_hall(), node, 1, send=lambda op, args: result,
                           view=lambda: None, link_ok=lambda: True,
                           text=TerminalText(stream))
    caller.start()
    try:
        caller.act("call_next")
        assert caller.worker.wait_idle(5)
        caller.tick()
    finally:
        caller.stop()
    return stream.getvalue().splitlines()


def test_nobody_waiting_is_worded_on_the_callers_text_output() -> None:
    result = {"ticket": None, "finished": None, "waiting": 0, "note": "nobody_waiting"}
    lines = _caller_showing(result, {"kind": "terminal", "columns": 20, "rows": 3})
    assert lines and lines[-1].endswith("| 无人等候")
