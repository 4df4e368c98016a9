"""The request envelope's optional ``staff`` (工号) and the client that sends it."""

from __future__ import annotations

import json
import threading

import pytest
import zmq

from protocol import errors
from protocol.client import RequestClient
from protocol.envelope import Request, decode_request, encode_request, ok_reply
from protocol.errors import ProtocolError
from protocol.ops import validate_args


def test_staff_travels_only_when_set_and_round_trips() -> None:
    plain = encode_request(Request("r1", "snapshot", "web", {}))
    assert "staff" not in json.loads(plain)
    staffed = encode_request(Request("r2", "call_next", "web", {"counter": 1}, staff="1024"))
    assert json.loads(staffed)["staff"] == "1024"
    assert decode_request(staffed).staff == "1024" and decode_request(plain).staff is None


@pytest.mark.parametrize("staff", ["", "12a", "1" * 17, 1024, None, "１２", "12\n"])
def test_a_staff_that_is_not_one_to_sixteen_digits_is_a_bad_envelope(staff: object) -> None:
    raw = json.dumps({"v": 1, "id": "r", "op": "snapshot", "node": "web", "args": {},
                      "staff": staff}).encode()
    with pytest.raises(ProtocolError) as refused:
        decode_request(raw)
    assert refused.value.code == errors.BAD_ENVELOPE and "'staff'" in refused.value.message


def test_the_client_sends_the_staff_it_is_given() -> None:
    context = zmq.Context.instance()
    router = context.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    client = RequestClient(f"tcp://127.0.0.1:{port}", "web", timeout_ms=3000, retries=1)
    try:
        def answer() -> None:
            if router.poll(3000):
                identity, frame = router.recv_multipart()
                request = decode_request(frame)
                router.send_multipart([identity, ok_reply(request.id, {
                    "staff": request.staff or "-", "counter": None})])

        thread = threading.Thread(target=answer, daemon=True)
        thread.start()
        result = client.call("sign_out", {"staff": "1024"}, staff="9")
        thread.join(5)
        assert result.model_dump() == {"staff": "9", "counter": None}
    finally:
        client.close()
        router.close(linger=0)


def test_a_bad_pin_hash_is_never_repeated_in_the_error_or_its_cause() -> None:
    with pytest.raises(ProtocolError) as refused:
        validate_args("staff_set_pin", {"id": "1024", "pin_hash": "2580"})
    assert refused.value.code == errors.BAD_ARGS and "never send the PIN" in refused.value.message
    assert "2580" not in refused.value.message
    assert refused.value.__cause__ is None and refused.value.__suppress_context__
