"""What keeps the broker within 40 MiB (issue #17): no asyncio, no ssl, no OpenSSL hashes.

The ZAP thread (``broker.zap``) decides as pyzmq does, without asyncio; CURVE admission
and refusal through it are proven end to end by tests/security (test_curve_broker,
test_security_logging).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import zmq

from broker.zap import ZapError, ZapThreadAuthenticator, run_to_completion
from callnext.demo import start_broker, stop_broker

ROOT = Path(__file__).resolve().parents[2]
HALL = ROOT / "config" / "hall.example.toml"


def test_the_broker_process_maps_no_openssl(tmp_path: Path) -> None:
    process, _ = start_broker(str(HALL), tmp_path)
    try:
        maps = Path(f"/proc/{process.pid}/maps").read_text()
    finally:
        stop_broker(process)
    assert "zmq" in maps  # the broker's own map was read: it has loaded pyzmq's library
    assert "libcrypto" not in maps and "libssl" not in maps


def test_the_broker_loads_no_asyncio_nor_ssl() -> None:
    probe = ("import json, sys; import broker.server, broker.security; "
             "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(json.loads(done.stdout))
    assert "broker.zap" in loaded
    assert not {"asyncio", "ssl", "zmq.asyncio", "zmq.auth.thread"} & loaded


class _Suspends:
    def __await__(self) -> Any:
        yield None


def test_a_request_that_would_wait_is_refused_clearly() -> None:
    async def waits() -> None:
        await _Suspends()

    with pytest.raises(ZapError, match="event loop"):
        run_to_completion(waits())


def _hello(context: zmq.Context[Any], server: zmq.Socket[Any], port: int) -> bytes | None:
    client = context.socket(zmq.REQ)
    client.linger = 0
    client.connect(f"tcp://127.0.0.1:{port}")
    client.send(b"hello")
    try:
        said = server.recv()
        server.send(b"ok")  # REP: answer before the next request
        return said
    except zmq.Again:
        return None
    finally:
        client.close()


def test_the_thread_admits_and_refuses_then_stops() -> None:
    context: zmq.Context[Any] = zmq.Context()
    auth = ZapThreadAuthenticator(context)
    server = context.socket(zmq.REP)
    try:
        auth.start()
        server.zap_domain = b"global"  # every handshake goes through ZAP
        server.linger, server.rcvtimeo = 0, 500
        port = server.bind_to_random_port("tcp://127.0.0.1")
        assert _hello(context, server, port) == b"hello"  # NULL, no lists: admitted
        auth.deny("127.0.0.1")
        assert _hello(context, server, port) is None  # refused by address
        assert auth.is_alive()
    finally:
        server.close()
        auth.stop()
        context.term()
    assert not auth.is_alive()
