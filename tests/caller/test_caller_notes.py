"""The caller's note line words refusals and result notes from the message catalogue."""

from __future__ import annotations

from caller.lcd import caller_lines, note_words, refusal_note
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
    lines = caller_lines({}, 1, link_ok=True, waiting=0, columns=20, rows=2, ascii_only=True,
                         note=note)
    assert lines[-1] == note[:20] and lines[-1].isascii()
