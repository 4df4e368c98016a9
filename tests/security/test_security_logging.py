"""What the broker's security logs: a flood stays a few lines, a refused handshake is audited,
and an unreadable key gets the narrow fix, never "replace every key"."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import zmq
import zmq.auth

from broker.security import Access, CurveSecurity, SecurityError
from callnext.keys import init_keys
from config.security import Security
from tests.conftest import wait_for


class Monotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_flooding_node_is_logged_once_per_window_with_a_count(
        caplog: pytest.LogCaptureFixture) -> None:
    clock = Monotonic()
    access = Access(Security(rate_per_second=20, rate_burst=40), authenticated=True,
                    monotonic=clock)
    caplog.set_level(logging.INFO, logger="broker.security")
    refused = 0
    for _ in range(100):  # 100 s of flooding, 1 000 frames a second
        for _ in range(1000):
            refused += access.admit("display-1") is not None
            clock.now += 0.001
        access.summarise()
    clock.now += 10.0  # the flood stopped: the last window's count comes with the next tick
    access.summarise()
    lines = [r for r in caplog.records if r.name == "broker.security"]
    assert refused > 90_000
    assert 10 <= len(lines) <= 25, len(lines)
    counted = sum(int(r.args[1]) for r in lines if "more request" in r.getMessage())
    assert counted + sum("further refusals" in r.getMessage() for r in lines) == refused


def test_refused_curve_handshakes_are_logged_with_key_prefix_and_address(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    keys, stranger = tmp_path / "keys", tmp_path / "stranger"
    init_keys(keys, ["broker", "kiosk-1"])
    init_keys(stranger, ["kiosk-1"])
    security = CurveSecurity(keys)
    context = zmq.Context()
    caplog.set_level(logging.INFO, logger="broker.security.audit")
    try:
        router = context.socket(zmq.ROUTER)
        security.apply_server(router)
        port = router.bind_to_random_port("tcp://127.0.0.1")
        dealer = context.socket(zmq.DEALER)
        public, secret = zmq.auth.load_certificate(stranger / "kiosk-1.key_secret")
        dealer.curve_publickey, dealer.curve_secretkey = public, secret
        dealer.curve_serverkey = zmq.auth.load_certificate(keys / "broker.key")[0]
        dealer.connect(f"tcp://127.0.0.1:{port}")
        dealer.send(b"{}")
        assert wait_for(lambda: any(r.name == "broker.security.audit"
                                    for r in caplog.records), 10.0)
    finally:
        security.close()
        context.destroy(linger=0)
    record = next(r for r in caplog.records if r.name == "broker.security.audit")
    assert record.levelno == logging.INFO
    assert "127.0.0.1" in record.getMessage()
    assert public.decode("ascii")[:8] + "…" in record.getMessage()
    assert public.decode("ascii") not in record.getMessage()


def test_an_unreadable_key_gets_the_narrow_fix(tmp_path: Path) -> None:
    """A real permission error: as root (CI), the broker's key loading runs in a child whose
    capability to read any file is dropped (setpriv), so the file mode really refuses."""
    init_keys(tmp_path, ["broker", "kiosk-1"])
    (tmp_path / "kiosk-1.key").chmod(0)
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv (util-linux): root reads any file")
        prefix = [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]
    probe = ("import sys\nfrom broker.security import CurveSecurity, SecurityError\n"
             "try:\n    CurveSecurity(sys.argv[1])\nexcept SecurityError as err:\n"
             "    print(err)\n    sys.exit(3)\n")
    done = subprocess.run([*prefix, sys.executable, "-c", probe, str(tmp_path)],
                          capture_output=True, text=True, timeout=60, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 3, done.stderr
    assert "chmod" in done.stdout and "--force" not in done.stdout


def test_a_damaged_key_is_recreated_alone(tmp_path: Path) -> None:
    init_keys(tmp_path, ["broker", "kiosk-1", "caller-1"])
    (tmp_path / "kiosk-1.key").write_text("not a key\n")
    with pytest.raises(SecurityError) as failed:
        CurveSecurity(tmp_path)
    message = str(failed.value)
    assert "--nodes kiosk-1 --force" in message and "kiosk-1.key" in message


def test_the_permission_advice_names_the_file_and_keeps_the_keys() -> None:
    from broker.security import unreadable_key_message

    message = unreadable_key_message(Path("/etc/callnext/keys/broker.key_secret"),
                                     PermissionError(13, "Permission denied"))
    assert "chmod 0640 /etc/callnext/keys/broker.key_secret" in message
    assert "keys init" not in message
