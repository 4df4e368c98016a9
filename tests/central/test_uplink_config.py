"""The [central] table, the password file and the command's refusals (no database needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config.load import load_hall
from config.security import derived_grant
from protocol.registry import ops_for_role
from tests.central.central_tools import hall_file, settings
from uplink.connect import PasswordFileError, connection_options, read_password

ROOT = Path(__file__).resolve().parents[2]


def test_the_password_file_must_be_private(tmp_path: Path) -> None:
    secret = tmp_path / "central.password"
    secret.write_text("s3cret\n", encoding="utf-8")
    secret.chmod(0o640)
    with pytest.raises(PasswordFileError, match="chmod 0600"):
        read_password(secret)
    secret.chmod(0o600)
    assert read_password(secret) == "s3cret"
    chosen = settings("host=db dbname=city", password_file=str(secret))
    assert connection_options(chosen)["password"] == "s3cret"
    secret.write_text("\n", encoding="utf-8")
    with pytest.raises(PasswordFileError, match="empty"):
        read_password(secret)
    with pytest.raises(PasswordFileError, match="cannot read"):
        read_password(tmp_path / "missing")


def test_tls_verification_needs_the_citys_ca() -> None:
    with pytest.raises(ValueError, match="sslrootcert"):
        settings("host=db dbname=city", sslmode="verify-full")
    chosen = settings("host=db dbname=city", sslmode="verify-full", sslrootcert="/etc/ca.pem")
    assert connection_options(chosen)["sslrootcert"] == "/etc/ca.pem"


def test_the_hall_file_carries_the_central_table(tmp_path: Path) -> None:
    path = hall_file(tmp_path, 'hall_id = "sz-futian"\ndsn = "host=db dbname=city"\n'
                               'sslmode = "require"\n')
    central = load_hall(path).central
    assert central is not None and central.hall_id == "sz-futian" and central.batch_size == 1000


def test_the_uplink_node_may_only_report_and_read() -> None:
    grant = derived_grant("uplink")
    assert grant is not None and grant.role == "display"
    assert "report_health" in ops_for_role(grant.role)
    assert "issue_ticket" not in ops_for_role(grant.role)


def test_the_uplink_refuses_a_hall_without_central_table(tmp_path: Path) -> None:
    from config.example import example_path

    done = subprocess.run([sys.executable, "-m", "callnext", "uplink", "--config",
                           str(example_path()), "--data", str(tmp_path), "--no-health"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3 and "no [central] table" in done.stderr


def test_keys_init_makes_the_uplinks_key_when_the_hall_has_a_central_table(
        tmp_path: Path) -> None:
    from callnext.keys import default_names
    from config.example import example_path

    assert "uplink" not in default_names(hall_path=str(example_path()))
    path = hall_file(tmp_path, 'hall_id = "h"\ndsn = "host=db dbname=city"\nsslmode = "require"\n')
    assert "uplink" in default_names(hall_path=str(path))
