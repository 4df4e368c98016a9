"""StateMirror against a real ROUTER + PUB on loopback, driven step by step with a fake clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import zmq

from broker.journal import Journal
from broker.service import BrokerService
from config.schema import Hall
from protocol.broker_clock import WINDOW_S, BrokerClock
from protocol.client import RequestClient
from protocol.envelope import (Event, Request, decode_event, encode_heartbeat, encode_request,
                               new_request_id, ok_reply)
from protocol.mirror import StateMirror, merge_view
from protocol.view import PublicView
from protocol_fakes import FakeBroker, FakeClock
from tests.conftest import at, wait_for

NODE = "display-1"
VIEW: dict[str, Any] = {
    "counters": {"1": {"state": "open", "ticket": "A001"}, "3": {"state": "open", "ticket": None}},
    "services": {"general": {"waiting": 2}},
    "waiting": ["A002", "A003"],
    "served": 4,
}


class Recorder:
    """A listener that keeps every call, and the thread it came on."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.threads: set[str] = set()

    def __call__(self, kind: str, payload: Any) -> None:
        self.calls.append((kind, payload))
        self.threads.add(threading.current_thread().name)

    def of(self, kind: str) -> list[Any]:
        return [payload for k, payload in self.calls if k == kind]


@pytest.fixture
def ctx() -> Iterator[zmq.Context]:
    context = zmq.Context()
    yield context
    context.destroy(linger=0)


@pytest.fixture
def broker(ctx: zmq.Context) -> Iterator[FakeBroker]:
    fake = FakeBroker(ctx)
    fake.set_state(2, VIEW)
    yield fake
    fake.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_mirror(ctx: zmq.Context, broker: FakeBroker,
                clock: FakeClock) -> Iterator[Callable[..., StateMirror]]:
    made: list[StateMirror] = []

    def make(**kwargs: Any) -> StateMirror:
        kwargs.setdefault("monotonic", clock)
        mirror = StateMirror(broker.command_endpoint, broker.event_endpoint, NODE, context=ctx,
                             **kwargs)
        made.append(mirror)
        return mirror

    yield make
    for mirror in made:
        mirror.stop(timeout_s=5.0)


def step_until(mirror: StateMirror, predicate: Callable[[], bool], steps: int = 100) -> bool:
    """Step (bounded) until ``predicate`` holds."""
    for _ in range(steps):
        if predicate():
            return True
        mirror.step(0.05)
    return predicate()


def synced(mirror: StateMirror, broker: FakeBroker) -> None:
    """First step (subscribe, then snapshot), then wait until the subscription reached the PUB."""
    mirror.step(0)
    assert mirror.connected
    broker.wait_subscribed()


# --- pure merge ------------------------------------------------------------------------------

def test_merge_view_is_one_level_deep() -> None:
    partial = {"counters": {"3": {"state": "serving", "ticket": "A002"}},
               "waiting": ["A003"], "served": 5, "notice": {"zh": "午休"}}
    merged = merge_view(VIEW, partial)
    assert merged == {
        "counters": {"1": {"state": "open", "ticket": "A001"},
                     "3": {"state": "serving", "ticket": "A002"}},
        "services": {"general": {"waiting": 2}},
        "waiting": ["A003"],
        "served": 5,
        "notice": {"zh": "午休"},
    }
    assert VIEW["counters"]["3"] == {"state": "open", "ticket": None}  # inputs untouched
    partial["counters"]["3"]["ticket"] = "mutated"
    assert merged["counters"]["3"]["ticket"] == "A002"  # no sharing with the event


def test_merge_view_replaces_non_objects_and_objects_over_non_objects() -> None:
    assert merge_view({"a": {"x": 1}}, {"a": [1]}) == {"a": [1]}
    assert merge_view({"a": [1]}, {"a": {"x": 1}}) == {"a": {"x": 1}}
    assert merge_view({"a": {"x": {"deep": 1, "keep": 2}}}, {"a": {"x": {"deep": 3}}}) == {
        "a": {"x": {"deep": 3}}}


def test_merge_view_can_take_the_partial_without_copying_it() -> None:
    partial = {"counters": {"3": {"state": "serving", "ticket": "A002"}}, "waiting": ["A003"]}
    merged = merge_view(VIEW, partial, copy_partial=False)
    # The event's parts are taken as they are (the mirror owns them), the old view untouched.
    assert merged["counters"]["3"] is partial["counters"]["3"]
    assert merged["waiting"] is partial["waiting"]
    assert merged["counters"]["1"] is VIEW["counters"]["1"]
    assert merged["counters"] is not VIEW["counters"] and VIEW["counters"]["3"]["ticket"] is None


# --- snapshot and events ---------------------------------------------------------------------

def test_snapshot_then_events_in_order_and_old_events_ignored(
        make_mirror: Callable[..., StateMirror], broker: FakeBroker) -> None:
    mirror = make_mirror()
    rec = Recorder()
    mirror.add_listener(rec)
    assert not mirror.connected and mirror.view == {} and mirror.seq == 0
    synced(mirror, broker)
    assert (mirror.seq, mirror.view) == (2, VIEW)
    assert rec.calls == [("state", VIEW), ("connection", True)]

    broker.publish(1, view={"waiting": ["stale"]})
    broker.publish(2, view={"waiting": ["stale"]})
    broker.publish(3, "called", data={"ticket": "A002", "counter": 3},
                   view={"counters": {"3": {"state": "serving", "ticket": "A002"}},
                         "waiting": ["A003"]})
    broker.publish(4, "finished", data={"ticket": "A001", "counter": 1},
                   view={"counters": {"1": {"state": "open", "ticket": None}}, "served": 5})
    assert step_until(mirror, lambda: mirror.seq == 4)

    expected = {
        "counters": {"1": {"state": "open", "ticket": None},
                     "3": {"state": "serving", "ticket": "A002"}},
        "services": {"general": {"waiting": 2}},
        "waiting": ["A003"],
        "served": 5,
    }
    assert mirror.view == expected
    assert mirror.state() == (4, expected)
    events: list[Event] = rec.of("event")
    assert [(e.seq, e.type, e.data) for e in events] == [
        (3, "called", {"ticket": "A002", "counter": 3}),
        (4, "finished", {"ticket": "A001", "counter": 1})]
    assert rec.of("state")[-1] == expected
    assert rec.of("connection") == [True]
    assert broker.snapshot_count() == 1
    assert [req.node for _, req in broker.received()] == [NODE]


def test_view_is_a_copy(make_mirror: Callable[..., StateMirror], broker: FakeBroker) -> None:
    mirror = make_mirror()
    synced(mirror, broker)
    mirror.view["counters"]["1"]["ticket"] = "scribbled"
    assert mirror.view == VIEW


def test_a_step_receives_only_what_is_queued(make_mirror: Callable[..., StateMirror],
                                             broker: FakeBroker,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    mirror = make_mirror()
    synced(mirror, broker)
    outcomes: list[str] = []
    receive = zmq.Socket.recv_multipart

    def counted(sock: zmq.Socket, *args: Any, **kwargs: Any) -> list[bytes]:
        try:
            frames = receive(sock, *args, **kwargs)
        except zmq.Again:
            outcomes.append("nothing")
            raise
        outcomes.append("message")
        return frames

    monkeypatch.setattr(zmq.Socket, "recv_multipart", counted)
    for seq in (3, 4, 5):
        broker.publish(seq, view={"served": seq})
    assert step_until(mirror, lambda: mirror.seq == 5)
    # No receive that finds nothing: each one releases the GIL, a handover between the
    # mirror threads of a process, and those cost more than the events in the hall bench.
    assert outcomes == ["message"] * 3
    assert mirror.view["served"] == 5


def test_listeners_share_the_event_with_the_view_and_view_stays_a_copy(
        make_mirror: Callable[..., StateMirror], broker: FakeBroker) -> None:
    mirror = make_mirror()
    rec = Recorder()
    mirror.add_listener(rec)
    synced(mirror, broker)
    broker.publish(3, "called", data={"ticket": "A002", "counter": 3},
                   view={"counters": {"3": {"state": "serving", "ticket": "A002"}}})
    assert step_until(mirror, lambda: mirror.seq == 3)
    event: Event = rec.of("event")[0]
    # No copy per event: the view handed to listeners holds the event's own parts.
    assert rec.of("state")[-1]["counters"]["3"] is event.view["counters"]["3"]
    # Readers outside the listeners still get a copy they may change.
    mirror.view["counters"]["3"]["ticket"] = "scribbled"
    assert mirror.view["counters"]["3"] == {"state": "serving", "ticket": "A002"}


def test_gap_triggers_a_resnapshot_after_a_backoff(
        make_mirror: Callable[..., StateMirror], broker: FakeBroker, clock: FakeClock) -> None:
    mirror = make_mirror()
    rec = Recorder()
    mirror.add_listener(rec)
    synced(mirror, broker)
    broker.publish(3, view={"served": 5})
    assert step_until(mirror, lambda: mirror.seq == 3)

    view5 = {**VIEW, "served": 7}
    broker.set_state(5, view5)
    broker.publish(5, view={"served": 7})  # seq 4 never arrives
    assert step_until(mirror, lambda: not mirror.connected)
    for _ in range(5):
        mirror.step(0.01)
    assert broker.snapshot_count() == 1  # no retry before the backoff has passed

    clock.advance(1.0)
    assert step_until(mirror, lambda: mirror.connected)
    assert (mirror.seq, mirror.view) == (5, view5)
    assert broker.snapshot_count() == 2
    assert rec.of("connection") == [True, False, True]
    assert [e.seq for e in rec.of("event")] == [3]


def test_heartbeat_ahead_triggers_resnapshot_and_stale_ones_do_not(
        make_mirror: Callable[..., StateMirror], broker: FakeBroker, clock: FakeClock) -> None:
    mirror = make_mirror()
    synced(mirror, broker)
    broker.heartbeat(2)
    broker.heartbeat(1)  # sent before the snapshot was taken: stale, not news
    broker.publish(3)
    assert step_until(mirror, lambda: mirror.seq == 3)
    assert mirror.connected and broker.snapshot_count() == 1

    view7 = {"served": 9}
    broker.set_state(7, view7)
    broker.heartbeat(7)  # events 4..7 were missed
    assert step_until(mirror, lambda: not mirror.connected)
    clock.advance(1.0)
    assert step_until(mirror, lambda: mirror.connected)
    assert (mirror.seq, mirror.view) == (7, view7)


def test_a_broker_whose_seq_went_back_is_resynchronised(
        make_mirror: Callable[..., StateMirror], broker: FakeBroker, clock: FakeClock) -> None:
    """A journal restored from a backup: the broker's heartbeats carry a lower seq for good."""
    mirror = make_mirror()
    synced(mirror, broker)
    broker.publish(3)
    assert step_until(mirror, lambda: mirror.seq == 3)
    restored = {"served": 1}
    broker.set_state(1, restored)
    clock.advance(3.0)
    broker.heartbeat(1)
    assert step_until(mirror, lambda: not mirror.connected)
    clock.advance(1.0)
    assert step_until(mirror, lambda: mirror.connected)
    assert (mirror.seq, mirror.view) == (1, restored)


def test_a_new_epoch_at_the_same_seq_is_resynchronised(
        make_mirror: Callable[..., StateMirror], broker: FakeBroker, clock: FakeClock) -> None:
    """A rolled-back journal can reach the very seq the mirror holds: only the epoch tells."""
    broker.epoch = "first-history"
    mirror = make_mirror()
    synced(mirror, broker)
    clock.advance(3.0)
    broker.heartbeat(2)
    mirror.step(0.2)
    assert mirror.connected and broker.snapshot_count() == 1
    other = {"served": 0}
    broker.epoch = "second-history"
    broker.set_state(2, other)
    broker.heartbeat(2)
    assert step_until(mirror, lambda: not mirror.connected)
    clock.advance(1.0)
    assert step_until(mirror, lambda: mirror.connected)
    assert (mirror.seq, mirror.view) == (2, other)


def test_silence_marks_lost_then_reconnection_flips_connected_back(
        make_mirror: Callable[..., StateMirror], broker: FakeBroker, clock: FakeClock) -> None:
    mirror = make_mirror(silence_s=3.0)
    rec = Recorder()
    mirror.add_listener(rec)
    synced(mirror, broker)

    # Heartbeats keep it alive for longer than silence_s in total.
    for _ in range(6):
        clock.advance(1.0)
        broker.heartbeat(2)
        mirror.step(0.2)
        assert mirror.connected

    for _ in range(20):
        clock.advance(3.5)
        mirror.step(0.01)
        if not mirror.connected:
            break
    assert not mirror.connected
    assert rec.of("connection") == [True, False]

    broker.wait_subscribed()  # the SUB socket was replaced and subscribed again
    clock.advance(1.0)
    assert step_until(mirror, lambda: mirror.connected)
    assert rec.of("connection") == [True, False, True]
    assert broker.snapshot_count() == 2

    broker.publish(3, view={"served": 5})
    assert step_until(mirror, lambda: mirror.seq == 3)
    assert mirror.view["served"] == 5


def test_events_received_while_waiting_for_a_snapshot_are_buffered(
        ctx: zmq.Context, make_mirror: Callable[..., StateMirror], broker: FakeBroker,
        clock: FakeClock) -> None:
    broker.set_state(3, VIEW)
    broker.drop_next = 1
    with RequestClient(broker.command_endpoint, NODE, timeout_ms=200, retries=1,
                       context=ctx) as client:
        mirror = make_mirror(client=client)
        rec = Recorder()
        mirror.add_listener(rec)
        mirror.step(0)  # subscribe; the snapshot request is lost
        assert not mirror.connected
        broker.wait_subscribed()
        broker.publish(3, view={"served": 100})  # already in the snapshot
        broker.publish(4, view={"served": 5})
        for _ in range(5):
            mirror.step(0.05)
        assert broker.snapshot_count() == 1

        clock.advance(1.0)
        assert step_until(mirror, lambda: mirror.connected and mirror.seq == 4)
        assert mirror.view == {**VIEW, "served": 5}
        assert [e.seq for e in rec.of("event")] == [4]
        assert rec.of("connection") == [True]


class CountingClient(RequestClient):
    """A real request client that counts its calls."""

    calls = 0

    def request(self, op: str, args: dict[str, Any] | None = None, *,
                request_id: str | None = None) -> dict[str, Any]:
        self.calls += 1
        return super().request(op, args, request_id=request_id)


def test_failed_snapshots_back_off(ctx: zmq.Context, make_mirror: Callable[..., StateMirror],
                                   broker: FakeBroker, clock: FakeClock) -> None:
    broker.drop_next = 100
    with CountingClient(broker.command_endpoint, NODE, timeout_ms=20, retries=1,
                        context=ctx) as client:
        mirror = make_mirror(client=client, backoff_initial_s=0.125, backoff_max_s=0.5)
        attempts: list[int] = []
        for advance in [0, 0, 0.125, 0.125, 0.125, 0.25, 0.25, 0.25, 0.5, 0.5, 0.5]:
            clock.advance(advance)
            mirror.step(0)
            attempts.append(client.calls)
        # Pauses of 0.125, 0.25, 0.5, then capped at 0.5; never a retry before its time.
        assert attempts == [1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 7]
        assert not mirror.connected


def test_a_failing_listener_does_not_stop_the_mirror(
        make_mirror: Callable[..., StateMirror], broker: FakeBroker) -> None:
    mirror = make_mirror()

    def broken(kind: str, payload: Any) -> None:
        raise RuntimeError("UI bug")

    rec = Recorder()
    mirror.add_listener(broken)
    mirror.add_listener(rec)
    synced(mirror, broker)
    broker.publish(3)
    assert step_until(mirror, lambda: mirror.seq == 3)
    assert [e.seq for e in rec.of("event")] == [3]

    mirror.remove_listener(rec)
    broker.publish(4)
    assert step_until(mirror, lambda: mirror.seq == 4)
    assert [e.seq for e in rec.of("event")] == [3]


def test_garbage_on_the_event_socket_is_ignored(
        make_mirror: Callable[..., StateMirror], broker: FakeBroker) -> None:
    mirror = make_mirror()
    synced(mirror, broker)
    broker.pub.send_multipart([b"called", b"not json"])
    broker.pub.send_multipart([b"called"])
    broker.publish(3)
    assert step_until(mirror, lambda: mirror.seq == 3)
    assert mirror.connected


def test_background_thread_follows_and_stops(ctx: zmq.Context, broker: FakeBroker) -> None:
    # A node name no other test uses, so another test's leftover thread cannot confuse this one.
    node = "display-thread-check"
    mirror = StateMirror(broker.command_endpoint, broker.event_endpoint, node, context=ctx,
                         poll_s=0.05)
    rec = Recorder()
    mirror.add_listener(rec)
    try:
        mirror.start()
        mirror.start()  # already running: no second thread
        assert wait_for(lambda: mirror.connected, 5.0)
        broker.wait_subscribed()
        broker.publish(3, view={"served": 5})
        assert wait_for(lambda: mirror.seq == 3, 5.0)
        assert mirror.view["served"] == 5
    finally:
        mirror.stop(timeout_s=5.0)
    assert not [t for t in threading.enumerate() if t.name == f"state-mirror-{node}"]
    assert rec.threads == {f"state-mirror-{node}"}
    assert not mirror.connected
    with pytest.raises(RuntimeError, match="closed"):
        mirror.step(0)


def test_constructor_rejects_nonsense(ctx: zmq.Context) -> None:
    with pytest.raises(ValueError):
        StateMirror("tcp://127.0.0.1:9", "tcp://127.0.0.1:10", NODE, silence_s=0, context=ctx)


# --- the broker's clock ----------------------------------------------------------------------

HOURS_OFF = 5 * 3600.0  # the broker's clock is hours from this machine's wall clock


def test_heartbeats_give_the_broker_time_run_on_by_the_monotonic_clock(
        make_mirror: Callable[..., StateMirror], broker: FakeBroker, clock: FakeClock) -> None:
    mirror = make_mirror()
    assert mirror.broker_now() is None  # nothing heard yet: unknown, not the local time
    synced(mirror, broker)
    broker_time = time.time() + HOURS_OFF
    broker.pub.send_multipart(encode_heartbeat(2, broker_time))
    assert step_until(mirror, lambda: mirror.broker_now() == broker_time)
    clock.advance(42.5)  # no message for a while: the estimate runs on
    assert mirror.broker_now() == broker_time + 42.5
    assert abs(mirror.broker_now() - time.time()) > HOURS_OFF - 60  # type: ignore[operator]


def test_a_snapshot_sets_the_broker_clock(make_mirror: Callable[..., StateMirror],
                                          broker: FakeBroker, clock: FakeClock) -> None:
    broker_time = time.time() - HOURS_OFF
    broker.handler = lambda req: [ok_reply(req.id, {"seq": 2, "now": broker_time, "view": VIEW})]
    mirror = make_mirror()
    mirror.step(0)
    assert mirror.connected
    clock.advance(2.0)
    assert mirror.broker_now() == broker_time + 2.0


def test_a_late_message_does_not_wind_the_clock_back_but_a_reset_broker_clock_is_followed(
        clock: FakeClock) -> None:
    estimate = BrokerClock(clock)
    estimate.observe(5000.0)
    clock.advance(1.0)
    estimate.observe(5000.5)  # sat in a queue for half a second
    assert estimate.now() == 5001.0
    clock.advance(WINDOW_S + 1.0)
    estimate.observe(4000.0)  # the broker's clock was set back an hour, for good
    assert estimate.now() == 4000.0
    estimate.observe_reported(None)  # an older broker's snapshot without "now"
    estimate.observe_reported(True)
    assert estimate.now() == 4000.0


# --- the typed view ----------------------------------------------------------------------------

def test_the_mirror_keeps_the_broker_view_typed_and_tells_listeners(
        make_mirror: Callable[..., StateMirror], broker: FakeBroker, hall: Hall,
        tmp_path: Path) -> None:
    service = BrokerService(hall, Journal(tmp_path / "journal.sqlite3"), lambda: at("09:00"))

    def command(op: str, **args: Any) -> list[Event]:
        handled = service.handle(encode_request(Request(new_request_id(), op, "admin", args)))
        return [decode_event(frames) for frames in handled.publish]

    command("issue_ticket", service="general")
    broker.set_state(service.seq, service.view)
    mirror = make_mirror()
    rec = Recorder()
    mirror.add_listener(rec)
    assert mirror.model is None
    synced(mirror, broker)
    first = mirror.model
    assert first is not None and first.services["general"].next == ("A001",)
    assert rec.of("model") == [first]

    for event in command("call_next", counter=1):
        broker.publish(event.seq, event.type, data=dict(event.data), view=event.view)
    assert step_until(mirror, lambda: mirror.seq == service.seq)
    model = mirror.model
    assert model is not None and model.counters[1].serving == "A001"
    assert model == PublicView.parse(service.view)
    assert rec.of("model")[-1] is model
    assert [kind for kind, _ in rec.calls][-2:] == ["state", "model"]


def test_a_view_the_models_cannot_read_leaves_the_dict_view_working(
        make_mirror: Callable[..., StateMirror], broker: FakeBroker) -> None:
    mirror = make_mirror()
    synced(mirror, broker)  # VIEW's counters have no "number": not a broker's view
    assert mirror.view == VIEW and mirror.model is None
