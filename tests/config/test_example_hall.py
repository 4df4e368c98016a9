"""``callnext example-hall``: the shipped example, printed or written, never over an edited file."""

from __future__ import annotations

from pathlib import Path

import pytest

from callnext.cli import main
from config.example import example_path

SOURCE = Path(__file__).resolve().parents[2] / "config"


def test_prints_the_example_byte_for_byte(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example-hall"]) == 0
    assert capsys.readouterr().out == (SOURCE / "hall.example.toml").read_text(encoding="utf-8")


def test_writes_the_minimal_hall_and_says_what_next(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "hall.toml"
    assert main(["example-hall", "--minimal", "--out", str(out)]) == 0
    assert out.read_bytes() == (SOURCE / "hall.minimal.toml").read_bytes()
    assert f"callnext check-config {out}" in capsys.readouterr().out
    assert main(["check-config", str(out)]) == 0


def test_an_existing_hall_file_is_kept_unless_forced(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "hall.toml"
    out.write_text("# edited by the technician\n", encoding="utf-8")
    assert main(["example-hall", "--out", str(out)]) == 2
    assert "exists and was kept" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "# edited by the technician\n"
    assert main(["example-hall", "--out", str(out), "--force"]) == 0
    assert out.read_bytes() == example_path().read_bytes()


def test_an_unwritable_place_is_a_clear_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["example-hall", "--out", str(tmp_path / "no-such-folder" / "hall.toml")]) == 2
    assert "folder exists and is writable" in capsys.readouterr().err

