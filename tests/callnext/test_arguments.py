"""Day arguments read the same in every subcommand that takes one."""

from __future__ import annotations

import pytest

from callnext.cli import build_parser


@pytest.mark.parametrize("argv", [
    ["simulate", "--config", "hall.toml", "--arrivals", "10", "--date", "2026-13-01"],
    ["report", "--config", "hall.toml", "--data", "data", "--from", "2026-13-01"],
])
def test_a_bad_day_is_refused_with_the_form_to_write_it(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(argv)
    assert stopped.value.code == 2
    assert "'2026-13-01' is not a date; write it as YYYY-MM-DD" in capsys.readouterr().err


def test_a_day_is_kept_in_its_written_form() -> None:
    args = build_parser().parse_args(["report", "--config", "h", "--data", "d",
                                      "--from", "2026-11-02", "--to", "2026-11-30"])
    assert (args.start, args.end) == ("2026-11-02", "2026-11-30")
