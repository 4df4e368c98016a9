"""The codec: round trips, golden bytes, and the right code for every malformed frame."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from protocol import codec, errors
from protocol.envelope import (MAX_FRAME_BYTES, Event, Heartbeat, Request, decode_event,
                               decode_reply, decode_request, decode_request_id, encode_event,
                               encode_heartbeat, encode_request, error_reply, new_request_id,
                               ok_reply)
from protocol.codec import has_lone_surrogate, may_hold_surrogate
from protocol.errors import ProtocolError

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=12), json_values, max_size=5)
requests = st.builds(Request, id=st.text(min_size=1, max_size=128),
                     op=st.text(min_size=1, max_size=64), node=st.text(min_size=1, max_size=64),
                     args=json_objects)
event_types = st.from_regex(r"\A[a-z][a-z0-9_]{0,20}\Z").filter(lambda t: t != "hb")
events = st.builds(Event, seq=st.integers(min_value=1, max_value=2**53),
                   type=event_types,
                   at=st.floats(min_value=0, max_value=4e9, allow_nan=False),
                   data=json_objects, view=json_objects)


def request_frame(**overrides: Any) -> bytes:
    """A valid request frame with some keys replaced (or removed, with a value of ...)."""
    obj: dict[str, Any] = {"v": 1, "id": "r1", "op": "call_next", "node": "caller-3",
                           "args": {"counter": 3}}
    for key, value in overrides.items():
        if value is ...:
            obj.pop(key)
        else:
            obj[key] = value
    return json.dumps(obj).encode()


def code_of(raw: bytes) -> str:
    with pytest.raises(ProtocolError) as caught:
        decode_request(raw)
    return caught.value.code


# --- requests --------------------------------------------------------------------------------

@settings(deadline=None)
@given(requests)
def test_request_round_trip(req: Request) -> None:
    assert decode_request(encode_request(req)) == req


@settings(deadline=None)
@given(st.binary(max_size=300))
def test_decode_request_refuses_garbage_only_with_protocol_error(raw: bytes) -> None:
    try:
        decode_request(raw)
    except ProtocolError as err:
        assert err.code in errors.ERROR_CODES
    decode_request_id(raw)  # never raises


def test_golden_request_bytes_are_compact_utf8() -> None:
    raw = encode_request(Request(id="r1", op="issue_ticket", node="kiosk-1",
                                 args={"service": "general", "note": "综合"}))
    assert raw == ('{"v":1,"id":"r1","op":"issue_ticket","node":"kiosk-1",'
                   '"args":{"service":"general","note":"综合"}}').encode("utf-8")


@pytest.mark.parametrize(("raw", "code", "words"), [
    (b"\xff\xfe{}", errors.BAD_JSON, "UTF-8"),
    (b"{not json", errors.BAD_JSON, "not valid JSON"),
    (b"", errors.BAD_JSON, "not valid JSON"),
    (b'[1, 2]', errors.BAD_JSON, "got array"),
    (b'"text"', errors.BAD_JSON, "got string"),
    (b'{"v":1,"id":"a","op":"x","node":"n","args":{"f":NaN}}', errors.BAD_JSON, "NaN"),
    (request_frame(v=2), errors.UNSUPPORTED_VERSION, "version 2"),
    (request_frame(v=2, extra=1, id=...), errors.UNSUPPORTED_VERSION, "version 2"),
    (request_frame(v=...), errors.BAD_ENVELOPE, "no 'v'"),
    (request_frame(v="1"), errors.BAD_ENVELOPE, "'v' must be the integer 1"),
    (request_frame(v=True), errors.BAD_ENVELOPE, "'v' must be the integer 1"),
    (request_frame(id=...), errors.BAD_ENVELOPE, "'id' is missing"),
    (request_frame(id=7), errors.BAD_ENVELOPE, "'id' must be a string, got number"),
    (request_frame(id=""), errors.BAD_ENVELOPE, "'id' must not be empty"),
    (request_frame(id="x" * 129), errors.BAD_ENVELOPE, "at most 128 characters"),
    (request_frame(op=None), errors.BAD_ENVELOPE, "'op' must be a string, got null"),
    (request_frame(node=...), errors.BAD_ENVELOPE, "'node' is missing"),
    (request_frame(args=...), errors.BAD_ENVELOPE, "'args' is missing"),
    (request_frame(args=[3]), errors.BAD_ENVELOPE, "'args' must be an object, got array"),
    (request_frame(arg={}), errors.BAD_ENVELOPE, "unknown key(s) 'arg'"),
])
def test_malformed_request_gets_its_code_and_says_what_is_wrong(raw: bytes, code: str,
                                                                words: str) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_request(raw)
    assert caught.value.code == code
    assert words in caught.value.message


def test_bad_envelope_lists_every_problem_and_the_expected_shape() -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_request(request_frame(id=..., args=None, colour="red"))
    message = caught.value.message
    assert "unknown key(s) 'colour'" in message
    assert "'id' is missing" in message
    assert "'args' must be an object, got null" in message
    assert '"v": 1' in message


def test_oversized_frame_is_too_large_before_parsing() -> None:
    raw = request_frame(args={"pad": "x" * MAX_FRAME_BYTES})
    assert code_of(raw) == errors.TOO_LARGE
    assert code_of(b"\xff" * (MAX_FRAME_BYTES + 1)) == errors.TOO_LARGE


def test_frame_of_exactly_max_size_is_accepted() -> None:
    skeleton = request_frame(args={"pad": ""})
    raw = request_frame(args={"pad": "x" * (MAX_FRAME_BYTES - len(skeleton))})
    assert len(raw) == MAX_FRAME_BYTES
    assert decode_request(raw).args["pad"].startswith("x")


def test_encode_request_refuses_what_the_broker_would_refuse() -> None:
    with pytest.raises(ProtocolError) as too_big:
        encode_request(Request("r", "op", "n", {"pad": "x" * MAX_FRAME_BYTES}))
    assert too_big.value.code == errors.TOO_LARGE
    with pytest.raises(ProtocolError) as empty_id:
        encode_request(Request("", "op", "n", {}))
    assert empty_id.value.code == errors.BAD_ENVELOPE
    with pytest.raises(ProtocolError) as not_json:
        encode_request(Request("r", "op", "n", {"when": object()}))
    assert not_json.value.code == errors.BAD_ARGS
    with pytest.raises(ProtocolError) as nan:
        encode_request(Request("r", "op", "n", {"x": float("nan")}))
    assert nan.value.code == errors.BAD_ARGS


@pytest.mark.parametrize(("raw", "expected"), [
    (request_frame(id="abc"), "abc"),
    (request_frame(id="abc", v=9, extra=True), "abc"),
    (b'{"v":1,"id":"q-7","op": oops', "q-7"),
    (b'{"v":1,"id":"\\u4e2d1","op": oops', "\u4e2d1"),
    (request_frame(id="big", args={"pad": "x" * MAX_FRAME_BYTES}), "big"),
    (request_frame(id=5), None),
    (b"\xff\xfe", None),
    (b"[]", None),
])
def test_decode_request_id_is_best_effort(raw: bytes, expected: str | None) -> None:
    assert decode_request_id(raw) == expected


def test_new_request_ids_differ() -> None:
    ids = {new_request_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(0 < len(i) <= 128 for i in ids)


# --- replies ---------------------------------------------------------------------------------

def test_replies_round_trip() -> None:
    assert decode_reply(ok_reply("r1", {"ticket": "A001"})) == {
        "v": 1, "id": "r1", "ok": True, "result": {"ticket": "A001"}}
    assert decode_reply(error_reply("r1", errors.NOT_SERVING, "idle", {"counter": 2})) == {
        "v": 1, "id": "r1", "ok": False,
        "error": {"code": "not_serving", "message": "idle", "params": {"counter": 2}}}
    # A broker from before error params: the node sees empty params.
    older = b'{"v":1,"id":"r1","ok":false,"error":{"code":"not_serving","message":"idle"}}'
    assert decode_reply(older)["error"]["params"] == {}
    with pytest.raises(ProtocolError, match="params"):
        decode_reply(b'{"v":1,"id":"r1","ok":false,"error":{"code":"x","message":"","params":[]}}')
    assert json.loads(error_reply(None, errors.BAD_JSON, "x"))["id"] is None


def test_error_reply_only_takes_listed_codes() -> None:
    with pytest.raises(ValueError, match="not listed"):
        error_reply("r1", "made_up", "x")


def test_decode_reply_tolerates_unknown_keys_but_checks_known_ones() -> None:
    raw = b'{"v":1,"id":"r","ok":true,"result":{},"took_ms":3}'
    assert decode_reply(raw) == {"v": 1, "id": "r", "ok": True, "result": {}}
    for bad in (b'{"v":1,"id":"r","ok":"yes","result":{}}',
                b'{"v":1,"id":"r","ok":true,"result":[]}',
                b'{"v":1,"id":"r","ok":false,"error":{"code":1,"message":"m"}}',
                b'{"v":1,"ok":true,"result":{}}'):
        with pytest.raises(ProtocolError) as caught:
            decode_reply(bad)
        assert caught.value.code == errors.BAD_ENVELOPE
    with pytest.raises(ProtocolError) as version:
        decode_reply(b'{"v":2,"id":"r","ok":true,"result":{}}')
    assert version.value.code == errors.UNSUPPORTED_VERSION


# --- events ----------------------------------------------------------------------------------

@settings(deadline=None)
@given(events)
def test_event_round_trip(event: Event) -> None:
    frames = encode_event(event)
    assert frames[0] == event.type.encode("ascii")
    assert decode_event(frames) == event


def test_heartbeat_round_trip_and_shape() -> None:
    frames = encode_heartbeat(41, 1700000000.5)
    assert frames[0] == b"hb"
    assert json.loads(frames[1]) == {"v": 1, "seq": 41, "type": "heartbeat", "at": 1700000000.5}
    assert decode_event(frames) == Heartbeat(seq=41, at=1700000000.5)


def test_golden_event_body() -> None:
    frames = encode_event(Event(seq=7, type="called", at=1.5, data={"ticket": "A012"},
                                view={"counters": {"3": {"ticket": "A012"}}}))
    assert frames == [b"called", b'{"v":1,"seq":7,"type":"called","at":1.5,'
                                 b'"data":{"ticket":"A012"},"view":{"counters":{"3":'
                                 b'{"ticket":"A012"}}}}']


@pytest.mark.parametrize("frames", [
    [b"called"],
    [b"called", b"{}", b"x"],
    [b"called", b"\xff"],
    [b"called", b"[]"],
    [b"called", b'{"v":1,"seq":1,"type":"recalled","at":1,"data":{},"view":{}}'],
    [b"called", b'{"v":1,"seq":0,"type":"called","at":1,"data":{},"view":{}}'],
    [b"called", b'{"v":1,"seq":"1","type":"called","at":1,"data":{},"view":{}}'],
    [b"called", b'{"v":1,"seq":1,"type":"called","at":1,"data":[],"view":{}}'],
    [b"called", b'{"v":1,"seq":1,"type":"called","data":{},"view":{}}'],
    [b"called", b'{"v":3,"seq":1,"type":"called","at":1,"data":{},"view":{}}'],
    [b"hb", b'{"v":1,"seq":1,"type":"called","at":1}'],
    [b"hb", b'{"v":1,"seq":-1,"type":"heartbeat","at":1}'],
])
def test_garbage_events_raise_protocol_error(frames: list[bytes]) -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_event(frames)
    assert caught.value.code in (errors.BAD_ENVELOPE, errors.BAD_JSON,
                                 errors.UNSUPPORTED_VERSION)


@settings(deadline=None)
@given(st.lists(st.binary(max_size=60), max_size=3))
def test_decode_event_never_raises_anything_else(frames: list[bytes]) -> None:
    try:
        decode_event(frames)
    except ProtocolError:
        pass


def test_encode_event_refuses_reserved_and_bad_types() -> None:
    for type_ in ("hb", "heartbeat", "Called", "", "called!"):
        with pytest.raises(ProtocolError):
            encode_event(Event(seq=1, type=type_, at=1.0))
    with pytest.raises(ProtocolError):
        encode_event(Event(seq=0, type="called", at=1.0))
    with pytest.raises(ProtocolError):
        encode_heartbeat(-1, 1.0)


def test_error_codes_are_all_listed_with_a_meaning() -> None:
    constants = {value for name, value in vars(errors).items()
                 if name.isupper() and isinstance(value, str)}
    assert constants == set(errors.ERROR_CODES)
    # journal_rolled_back (issue 11), beyond_closing (12), ticketing_paused and five staff_*
    # codes (13), unknown_alert and unknown_case (14)
    assert len(errors.ERROR_CODES) == 37
    assert "nothing_waiting" not in errors.ERROR_CODES
    assert all(meaning.strip() for meaning in errors.ERROR_CODES.values())
    assert errors.CLOSED_FOR_DAY == "closed_for_day"
    assert "opening hours" in errors.ERROR_CODES[errors.CLOSED_FOR_DAY]


def test_importing_error_codes_loads_neither_zmq_nor_pydantic() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = ("import sys; from protocol import errors; "
            "print('zmq' in sys.modules, 'pydantic' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True, cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.split() == ["False", "False"]


def test_deeply_nested_json_is_bad_json_not_a_crash() -> None:
    with pytest.raises(ProtocolError) as caught:
        decode_request(b"[" * 30000 + b"]" * 30000)
    assert caught.value.code == "bad_json"


def test_a_lone_surrogate_escape_is_bad_json() -> None:
    for frame in (b'{"v": 1, "id": "\\ud800", "op": "snapshot", "node": "n", "args": {}}',
                  b'{"v": 1, "id": "r", "op": "snapshot", "node": "n", '
                  b'"args": {"a": ["\\uDFFF"]}}'):
        with pytest.raises(ProtocolError) as caught:
            decode_request(frame)
        assert caught.value.code == "bad_json" and "surrogate" in caught.value.message, frame


def test_a_lone_surrogate_deep_in_an_event_or_in_upper_case_hex_is_bad_json() -> None:
    for escape in (b"\\ud800", b"\\uDFFF", b"\\uDbFf"):
        body = (b'{"v": 1, "seq": 1, "type": "called", "at": 1.0, "data": {}, '
                b'"view": {"counters": {"3": {"tags": ["x", "' + escape + b'"]}}}}')
        with pytest.raises(ProtocolError) as caught:
            decode_event([b"called", body])
        assert caught.value.code == "bad_json", escape
    # A proper pair is text, and so is a literal backslash followed by "ud800".
    pair = decode_event([b"called", b'{"v": 1, "seq": 1, "type": "called", "at": 1.0, '
                                    b'"data": {"t": "\\ud83d\\ude00", "s": "\\\\ud800"}, '
                                    b'"view": {}}'])
    assert isinstance(pair, Event) and pair.data == {"t": "\U0001F600", "s": "\\ud800"}


def test_a_frame_without_surrogate_escapes_is_not_walked(monkeypatch: pytest.MonkeyPatch) -> None:
    # The walk of every decoded string was a third of a display mirror's CPU per event.
    def walked(*_args: Any) -> bool:
        raise AssertionError("walked a frame that has no surrogate escape")

    monkeypatch.setattr(codec, "has_lone_surrogate", walked)
    event = decode_event(encode_event(Event(seq=1, type="called", at=1.0,
                                            data={"ticket": "A001", "name": "业务"},
                                            view={"counters": {"3": {"ticket": "A001"}}})))
    assert isinstance(event, Event) and event.data["name"] == "业务"
    # Escapes outside the surrogate range (an ASCII-only encoder's) need no walk either.
    escaped = decode_event([b"called", b'{"v": 1, "seq": 1, "type": "called", "at": 1.0, '
                                       b'"data": {"name": "\\u4e1a\\u52a1"}, "view": {}}'])
    assert isinstance(escaped, Event) and escaped.data["name"] == "业务"


def test_a_heartbeat_carries_the_journal_identity_and_older_ones_still_decode() -> None:
    beat = decode_event(encode_heartbeat(5, 1.0, hall="h1", epoch="e1"))
    assert isinstance(beat, Heartbeat) and (beat.hall, beat.epoch) == ("h1", "e1")
    old = decode_event(encode_heartbeat(5, 1.0))
    assert isinstance(old, Heartbeat) and (old.hall, old.epoch) == (None, None)


_ANY_TEXT = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF,
                                  blacklist_categories=())
                    | st.characters(blacklist_categories=()), max_size=6)
"""Text with surrogates in it often (hypothesis leaves them out by default)."""


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | _ANY_TEXT,
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(_ANY_TEXT, inner, max_size=4),
                    max_leaves=12),
       st.booleans())
@example("\udc00", False)
@example({"k": ["\ud900x"]}, True)
def test_the_cheap_surrogate_check_never_misses_one(value: object, ascii_only: bool) -> None:
    # Any way a JSON encoder may write the value: escapes (ASCII) or raw UTF-8 where it can.
    text = json.dumps(value, ensure_ascii=ascii_only or has_lone_surrogate(value))
    if has_lone_surrogate(value):
        assert may_hold_surrogate(text.encode("utf-8")), text
    frame = b'{"v": 1, "id": "r", "op": "snapshot", "node": "n", "args": {"x": %s}}' % (
        text.encode("utf-8"))
    if has_lone_surrogate(value):
        with pytest.raises(ProtocolError) as caught:
            decode_request(frame)
        assert caught.value.code == "bad_json"
    else:
        assert decode_request(frame).args == {"x": value}
