"""RequestClient against a real ROUTER on loopback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import zmq

from protocol import errors
from protocol.args import Rate
from protocol.client import RequestClient
from protocol.envelope import Request, error_reply, ok_reply
from protocol.errors import BrokerUnreachable, CommandRefused, ProtocolError
from protocol.results import Rated
from protocol_fakes import FakeBroker


@pytest.fixture
def ctx() -> Iterator[zmq.Context]:
    context = zmq.Context()
    yield context
    context.destroy(linger=0)


@pytest.fixture
def broker(ctx: zmq.Context) -> Iterator[FakeBroker]:
    fake = FakeBroker(ctx)
    yield fake
    fake.close()


def free_endpoint(ctx: zmq.Context) -> str:
    """A loopback endpoint nobody listens on."""
    probe = ctx.socket(zmq.ROUTER)
    port = probe.bind_to_random_port("tcp://127.0.0.1")
    probe.close(linger=0)
    return f"tcp://127.0.0.1:{port}"


def run_bounded(fn: Any, limit_s: float = 20.0) -> Any:
    """Run ``fn`` in a thread; fail (instead of hanging) if it does not finish."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as err:  # noqa: BLE001 - handed back to the test
            outcome["error"] = err

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(limit_s)
    assert not thread.is_alive(), "request blocked past its bound"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_result_comes_back(ctx: zmq.Context, broker: FakeBroker) -> None:
    with RequestClient(broker.command_endpoint, "kiosk-1", timeout_ms=2000, context=ctx) as client:
        result = client.request("issue_ticket", {"service": "general"})
    assert result == {"op": "issue_ticket", "args": {"service": "general"}}
    [(_, req)] = broker.received()
    assert (req.op, req.node, req.args) == ("issue_ticket", "kiosk-1", {"service": "general"})


def test_lost_requests_are_retried_with_the_same_id_on_fresh_sockets(
        ctx: zmq.Context, broker: FakeBroker) -> None:
    broker.drop_next = 2
    setups: list[zmq.Socket] = []
    client = RequestClient(broker.command_endpoint, "kiosk-1", timeout_ms=300, retries=3,
                           context=ctx, socket_setup=setups.append)
    try:
        result = run_bounded(lambda: client.request("issue_ticket", {"service": "general"}))
    finally:
        client.close()
    assert result["op"] == "issue_ticket"
    received = broker.received()
    assert len(received) == 3
    assert len({req.id for _, req in received}) == 1
    assert len({identity for identity, _ in received}) == 3  # a new socket per attempt
    assert len(setups) == 3


def test_caller_chosen_id_is_used(ctx: zmq.Context, broker: FakeBroker) -> None:
    with RequestClient(broker.command_endpoint, "kiosk-1", context=ctx) as client:
        client.request("call_next", {"counter": 1}, request_id="retry-of-42")
    assert [req.id for _, req in broker.received()] == ["retry-of-42"]


def test_no_broker_gives_broker_unreachable_within_bound(ctx: zmq.Context) -> None:
    endpoint = free_endpoint(ctx)
    client = RequestClient(endpoint, "caller-2", timeout_ms=100, retries=3, context=ctx)
    try:
        with pytest.raises(BrokerUnreachable) as caught:
            run_bounded(lambda: client.request("call_next", {"counter": 2}, request_id="r-9"))
    finally:
        client.close()
    err = caught.value
    assert (err.endpoint, err.op, err.request_id, err.attempts) == (endpoint, "call_next", "r-9", 3)
    assert "broker is running" in str(err)
    assert endpoint in str(err)


def test_refusal_raises_command_refused(ctx: zmq.Context, broker: FakeBroker) -> None:
    broker.handler = lambda req: [error_reply(req.id, errors.COUNTER_PAUSED,
                                              "counter 1 is paused", {"counter": 1})]
    with RequestClient(broker.command_endpoint, "caller-1", context=ctx) as client:
        with pytest.raises(CommandRefused) as caught:
            client.request("call_next", {"counter": 1}, request_id="r-1")
    assert (caught.value.code, caught.value.message, caught.value.request_id) == (
        "counter_paused", "counter 1 is paused", "r-1")
    assert caught.value.params == {"counter": 1}


def test_replies_for_other_ids_are_discarded(ctx: zmq.Context, broker: FakeBroker) -> None:
    def handler(req: Request) -> list[bytes]:
        return [ok_reply("someone-else", {"wrong": True}), ok_reply(req.id, {"right": True})]

    broker.handler = handler
    with RequestClient(broker.command_endpoint, "caller-1", timeout_ms=2000,
                       context=ctx) as client:
        assert client.request("recall", {"counter": 1}) == {"right": True}


def test_retries_stop_at_the_first_reply(ctx: zmq.Context, broker: FakeBroker) -> None:
    broker.drop_next = 1
    with RequestClient(broker.command_endpoint, "caller-1", timeout_ms=300, retries=3,
                       context=ctx) as client:
        result = run_bounded(lambda: client.request("finish", {"counter": 1}))
    assert result == {"op": "finish", "args": {"counter": 1}}
    assert len(broker.received()) == 2


def test_socket_is_reused_after_success(ctx: zmq.Context, broker: FakeBroker) -> None:
    with RequestClient(broker.command_endpoint, "caller-1", context=ctx) as client:
        client.request("pause", {"counter": 1})
        client.request("resume", {"counter": 1})
    identities = [identity for identity, _ in broker.received()]
    assert len(identities) == 2 and identities[0] == identities[1]


def test_malformed_reply_raises_protocol_error(ctx: zmq.Context, broker: FakeBroker) -> None:
    broker.handler = lambda req: [b"not json"]
    with RequestClient(broker.command_endpoint, "caller-1", context=ctx) as client:
        with pytest.raises(ProtocolError) as caught:
            client.request("recall", {"counter": 1})
    assert caught.value.code == errors.BAD_JSON


def test_oversized_request_is_refused_before_sending(ctx: zmq.Context,
                                                     broker: FakeBroker) -> None:
    with RequestClient(broker.command_endpoint, "kiosk-1", context=ctx) as client:
        with pytest.raises(ProtocolError) as caught:
            client.request("issue_ticket", {"service": "x" * 70_000})
    assert caught.value.code == errors.TOO_LARGE
    assert broker.received() == []


def test_closed_client_refuses_requests(ctx: zmq.Context, broker: FakeBroker) -> None:
    client = RequestClient(broker.command_endpoint, "kiosk-1", context=ctx)
    client.close()
    client.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        client.request("snapshot")


def test_own_context_is_terminated_on_close() -> None:
    client = RequestClient("tcp://127.0.0.1:9", "kiosk-1", timeout_ms=50, retries=1)
    with pytest.raises(BrokerUnreachable):
        run_bounded(lambda: client.request("snapshot"))
    run_bounded(client.close)  # LINGER=0: terminating never waits for the broker


def test_constructor_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RequestClient("tcp://127.0.0.1:9", "n", retries=0)
    with pytest.raises(ValueError):
        RequestClient("tcp://127.0.0.1:9", "n", timeout_ms=0)


# --- typed calls ---------------------------------------------------------------------------------

def test_call_sends_the_args_model_and_parses_the_result_model(
        ctx: zmq.Context, broker: FakeBroker) -> None:
    broker.handler = lambda req: [ok_reply(req.id, {
        "ticket": "A007", "score": req.args["score"], "negative": False, "added_later": 1})]
    with RequestClient(broker.command_endpoint, "caller-2", timeout_ms=2000,
                       context=ctx) as client:
        rated = client.call("rate", Rate(counter=2, score=3))
    assert rated == Rated(ticket="A007", score=3, negative=False)
    [(_, req)] = broker.received()
    # Only the fields set are sent: an older broker never sees an optional arg it lacks.
    assert (req.op, req.args) == ("rate", {"counter": 2, "score": 3})


def test_call_refuses_a_result_without_the_ops_shape_and_an_unknown_op(
        ctx: zmq.Context, broker: FakeBroker) -> None:
    with RequestClient(broker.command_endpoint, "caller-2", timeout_ms=2000,
                       context=ctx) as client:
        with pytest.raises(ProtocolError) as shape:
            client.call("rate", {"counter": 2, "score": 3})  # the fake echoes op and args
        with pytest.raises(ProtocolError) as unknown:
            client.call("rate_visitor", {})
    assert shape.value.code == errors.BAD_ENVELOPE and "rate" in shape.value.message
    assert unknown.value.code == errors.UNKNOWN_OP
    assert len(broker.received()) == 1  # the unknown op was never sent
