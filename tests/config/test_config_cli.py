"""``check-config`` and ``show-config``: exit codes and what the operator sees."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import load_hall, load_hall_text
from config.cli import check_config, show_config

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
EXAMPLE = CONFIG_DIR / "hall.example.toml"
MINIMAL = CONFIG_DIR / "hall.minimal.toml"

BAD = """\
name = { zh = "大厅", en = "Hall" }

[[services]]
id = "general"
prefx = "A"
name = { zh = "综合", en = "General" }

[[counters]]
number = 1
services = ["general"]

[policies]
recall_cap = 99
"""


@pytest.fixture
def bad_file(tmp_path: Path) -> Path:
    path = tmp_path / "hall.toml"
    path.write_text(BAD, encoding="utf-8")
    return path


def test_check_config_ok_names_hall_and_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_config(EXAMPLE) == 0

    out, err = capsys.readouterr()
    assert out == (
        f"OK: {EXAMPLE} — 市医疗保障服务大厅 / Municipal Medical Insurance Service Hall, "
        "5 services, 6 counters\n"
    )
    assert err == ""


def test_check_config_uses_singular_for_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_config(str(MINIMAL)) == 0

    assert capsys.readouterr().out.endswith(", 1 service, 1 counter\n")


def test_check_config_reports_every_problem_on_stderr(
    bad_file: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert check_config(bad_file) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"{bad_file} is invalid (3 problems):",
        "  services[0].prefix       -> missing required key — expected text in quotes",
        "  services[0].prefx = 'A'  -> unknown key 'prefx' — did you mean 'prefix'?",
        "  policies.recall_cap = 99 -> must be at most 10",
    ]


def test_check_config_missing_file_returns_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    missing = tmp_path / "missing.toml"

    assert check_config(missing) == 2
    assert f"file not found: {missing}" in capsys.readouterr().err


def test_show_config_prints_loadable_effective_toml(capsys: pytest.CaptureFixture[str]) -> None:
    assert show_config(MINIMAL) == 0

    out, err = capsys.readouterr()
    assert err == ""
    assert load_hall_text(out) == load_hall(MINIMAL)
    assert "rating_scale = 5" in out


def test_show_config_bad_file_returns_2_and_prints_problems(
    bad_file: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert show_config(bad_file) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"{bad_file} is invalid (3 problems):")
