"""A real broker process with CURVE on both sockets, and real nodes with and without keys."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
import zmq
import zmq.auth

from callnext.demo import start_broker, stop_broker
from callnext.keys import init_keys
from protocol.client import RequestClient
from protocol.errors import BrokerUnreachable, CommandRefused
from protocol.mirror import StateMirror
from protocol.security import client_socket_setup

pytestmark = pytest.mark.e2e

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")
CLOCK = "2026-11-25T09:00"
NODES = ["broker", "admin", "kiosk-1", "display-1", "caller-1", "caller-3"]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    init_keys(directory, NODES)
    return directory


@pytest.fixture(scope="module")
def broker(keys: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    process, endpoints = start_broker(CONFIG, tmp_path_factory.mktemp("data"),
                                      clock_start=CLOCK, keys_dir=keys)
    yield endpoints
    stop_broker(process)


def client(endpoints: dict[str, str], keys: Path | None, node: str,
           **kwargs: int) -> RequestClient:
    setup = client_socket_setup(keys, node) if keys is not None else None
    return RequestClient(endpoints["commands"], node, socket_setup=setup, **kwargs)


def test_known_keys_work_and_roles_apply_over_the_wire(broker: dict[str, str],
                                                       keys: Path) -> None:
    with client(broker, keys, "kiosk-1") as kiosk, client(broker, keys, "caller-3") as caller:
        ticket = kiosk.request("issue_ticket", {"service": "general"})["ticket"]
        assert caller.request("call_next", {"counter": 3})["ticket"] == ticket
        with pytest.raises(CommandRefused) as refused:
            caller.request("call_next", {"counter": 1})
        assert refused.value.code == "forbidden"
        with pytest.raises(CommandRefused) as refused:
            kiosk.request("close_counter", {"counter": 1})
        assert refused.value.code == "forbidden"


def test_a_client_without_a_known_key_gets_no_answer(broker: dict[str, str], keys: Path,
                                                     tmp_path: Path) -> None:
    with client(broker, None, "kiosk-1", timeout_ms=400, retries=2) as plain:
        with pytest.raises(BrokerUnreachable):
            plain.request("snapshot")
    # A well-formed keypair the broker never saw, with the broker's real public key.
    stranger = tmp_path / "stranger"
    init_keys(stranger, ["kiosk-1"])
    (stranger / "broker.key").write_bytes((keys / "broker.key").read_bytes())
    with client(broker, stranger, "kiosk-1", timeout_ms=400, retries=2) as forged:
        with pytest.raises(BrokerUnreachable):
            forged.request("issue_ticket", {"service": "general"})
    with client(broker, keys, "admin") as admin:
        general = admin.request("snapshot")["view"]["services"]["general"]
        assert general["waiting"] == 0, "nothing from an unknown key reached the queue"


def test_events_reach_keyed_subscribers_only(broker: dict[str, str], keys: Path) -> None:
    context = zmq.Context()
    plain = context.socket(zmq.SUB)
    plain.setsockopt(zmq.LINGER, 0)
    plain.setsockopt(zmq.SUBSCRIBE, b"")
    plain.connect(broker["events"])
    mirror = StateMirror(broker["commands"], broker["events"], "display-1",
                         socket_setup=client_socket_setup(keys, "display-1"))
    try:
        deadline = time.monotonic() + 10
        while not mirror.connected and time.monotonic() < deadline:
            mirror.step(0.1)
        assert mirror.connected
        with client(broker, keys, "kiosk-1") as kiosk:
            ticket = kiosk.request("issue_ticket", {"service": "reimburse"})["ticket"]
        deadline = time.monotonic() + 10
        while ticket not in mirror.view["services"]["reimburse"]["next"] \
                and time.monotonic() < deadline:
            mirror.step(0.1)
        assert ticket in mirror.view["services"]["reimburse"]["next"]
        # Heartbeats go out every second: a subscriber without a key sees none of them.
        assert plain.poll(2500, zmq.POLLIN) == 0
    finally:
        mirror.close()
        plain.close(linger=0)
        context.term()


def test_the_broker_refuses_to_start_without_keys_unless_told_insecure(tmp_path: Path) -> None:
    base = [sys.executable, "-m", "callnext", "broker", "--config", CONFIG, "--data",
            str(tmp_path), "--bind", "127.0.0.1", "--command-port", "0", "--event-port", "0"]
    refused = subprocess.run([*base, "--keys", str(tmp_path / "none")], capture_output=True,
                             text=True, timeout=60, check=False)
    assert refused.returncode == 2
    assert "callnext keys init" in refused.stderr and "--insecure" in refused.stderr
    process = subprocess.Popen([*base, "--insecure"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and '"ready"' in process.stdout.readline()
    finally:
        stop_broker(process)
    assert process.stderr is not None and "INSECURE MODE" in process.stderr.read()


def test_status_reads_a_keyed_broker_with_the_admin_key(broker: dict[str, str],
                                                        keys: Path) -> None:
    command = [sys.executable, "-m", "callnext", "status", "--config", CONFIG,
               "--endpoint", broker["commands"]]
    ok = subprocess.run([*command, "--keys", str(keys)], capture_output=True, text=True,
                        timeout=30, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "综合业务 General Services" in ok.stdout
    without = subprocess.run([*command, "--keys", str(keys / "missing")], capture_output=True,
                             text=True, timeout=30, check=False)
    assert without.returncode == 2 and "callnext keys init" in without.stderr
