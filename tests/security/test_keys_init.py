"""``callnext keys init``: zmq.auth certificates per node, private secrets, no silent overwrite."""

from __future__ import annotations

import stat
import subprocess
import sys
from pathlib import Path

import pytest
import zmq.auth

from callnext.cli import main
from config.load import load_hall
from callnext.keys import KeysError, default_names, init_keys
from protocol.security import KeysMissing, client_socket_setup

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")


def test_init_from_the_hall_file_makes_the_broker_admin_and_a_caller_per_counter(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    keys = tmp_path / "keys"
    assert main(["keys", "init", "--dir", str(keys), "--config", CONFIG]) == 0
    names = sorted(p.stem for p in keys.glob("*.key"))
    hall = load_hall(CONFIG)
    assert names == sorted(["broker", "admin", "web",
                            *([k.id for k in hall.kiosks] or ["kiosk-1"]),
                            *([d.id for d in hall.displays] or ["display-1"]),
                            *(f"caller-{c.number}" for c in hall.counters)])
    for name in names:
        secret = keys / f"{name}.key_secret"
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
        public, secret_key = zmq.auth.load_certificate(secret)
        assert secret_key is not None and len(public) == 40
        assert zmq.auth.load_certificate(keys / f"{name}.key") == (public, None)
    assert f"caller of counter {hall.counters[-1].number}" in capsys.readouterr().out
    assert not list(keys.glob(".keys-*")), "no staging folder is left behind"


def test_existing_secrets_are_kept_unless_forced(tmp_path: Path) -> None:
    first = init_keys(tmp_path, ["broker", "kiosk-1"])
    assert first.created == ("broker", "kiosk-1")
    before = (tmp_path / "kiosk-1.key_secret").read_bytes()
    again = init_keys(tmp_path, ["broker", "kiosk-1", "kiosk-2"])
    assert again.created == ("kiosk-2",) and again.kept == ("broker", "kiosk-1")
    assert (tmp_path / "kiosk-1.key_secret").read_bytes() == before
    forced = init_keys(tmp_path, ["kiosk-1"], force=True)
    assert forced.created == ("kiosk-1",)
    assert (tmp_path / "kiosk-1.key_secret").read_bytes() != before


def test_counts_and_counters_choose_the_names_without_a_hall_file() -> None:
    assert default_names(kiosks=2, displays=0, callers=[3, 5]) == [
        "broker", "admin", "web", "kiosk-1", "kiosk-2", "caller-3", "caller-5"]


def test_a_name_that_cannot_be_a_node_id_is_refused(tmp_path: Path) -> None:
    with pytest.raises(KeysError, match="lowercase"):
        init_keys(tmp_path, ["Kiosk 1"])
    result = subprocess.run([sys.executable, "-m", "callnext", "keys", "init", "--dir",
                             str(tmp_path), "--nodes", "../evil"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 2 and "not a node name" in result.stderr
    assert not (tmp_path.parent / "evil.key").exists()


def test_client_setup_says_how_to_make_missing_keys(tmp_path: Path) -> None:
    with pytest.raises(KeysMissing, match="callnext keys init"):
        client_socket_setup(tmp_path, "kiosk-1")
    init_keys(tmp_path, ["kiosk-1"])
    with pytest.raises(KeysMissing, match="broker.key"):
        client_socket_setup(tmp_path, "kiosk-1")
    init_keys(tmp_path, ["broker"])
    (tmp_path / "kiosk-1.key_secret").unlink()
    (tmp_path / "kiosk-1.key").rename(tmp_path / "kiosk-1.key_secret")
    with pytest.raises(KeysMissing, match="no secret key"):
        client_socket_setup(tmp_path, "kiosk-1")
