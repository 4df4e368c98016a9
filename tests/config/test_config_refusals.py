"""What a hall must never run with is refused at load, with file, key, value and a hint."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pytest

from config import ConfigError, Problem, load_hall, load_hall_text
from config.schema import MAX_NAME_ZH, MAX_NOTICES

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "hall.example.toml"

HALL = """\
name = { zh = "测试大厅", en = "Test Hall" }

[[services]]
id = "general"
prefix = "A"
name = { zh = "综合业务", en = "General" }

[[services]]
id = "passport"
prefix = "P"
name = { zh = "出入境", en = "Passports" }
kiosk = false

[[counters]]
number = 1
services = ["general"]
"""


def problems_of(text: str, file: str = "hall.toml") -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        load_hall_text(textwrap.dedent(text), file=file)
    return caught.value.problems


def only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


def test_the_example_hall_still_loads_without_warnings(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="config.load"):
        hall = load_hall(EXAMPLE)
    assert hall.services and not caplog.records


def test_a_service_no_counter_serves_is_only_a_warning_when_nothing_offers_it(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="config.load"):
        hall = load_hall_text(HALL, file="hall.toml")
    assert hall.service("passport") is not None
    [record] = caplog.records
    assert "hall.toml" in record.getMessage() and "'passport'" in record.getMessage()


def test_a_kiosk_offering_a_service_no_counter_serves_is_an_error() -> None:
    text = HALL + '\n[[kiosks]]\nid = "kiosk-1"\nservices = ["general", "passport"]\n'
    problem = only(problems_of(text))
    assert (problem.file, problem.key, problem.value) == ("hall.toml", "kiosks[0].services[1]",
                                                          "passport")
    assert "no counter serves" in problem.message and "never be called" in problem.message
    assert problem.hint is not None and "[[counters]]" in problem.hint


def test_a_kiosk_offering_every_kiosk_service_names_the_service_flag() -> None:
    # kiosk = true is the default: with no services list the kiosk offers it.
    text = HALL.replace("kiosk = false\n", "") + '\n[[kiosks]]\nid = "kiosk-1"\n' \
        '\n[[kiosks]]\nid = "kiosk-2"\n'
    problem = only(problems_of(text))
    assert problem.key == "services[1].kiosk" and "kiosk kiosk-1 offers service 'passport'" \
        in problem.message


def test_a_caller_transferring_to_a_service_no_counter_serves_is_an_error() -> None:
    text = HALL + ('\n[[callers]]\nid = "caller-1"\n[callers.buttons]\ntransfer = 5\n'
                   '[callers.transfer]\nservices = ["passport"]\n')
    problem = only(problems_of(text))
    assert problem.key == "callers[0].transfer.services[0]" and problem.value == "passport"
    assert problem.hint is not None


def test_no_opening_day_is_an_error_with_an_example() -> None:
    problem = only(problems_of(HALL.replace('name = { zh = "测试大厅", en = "Test Hall" }\n',
                                            'name = { zh = "测试大厅", en = "Test Hall" }\n'
                                            "hours = { days = [] }\n", 1)))
    assert (problem.key, problem.value) == ("hours.days", [])
    assert "never issue a ticket" in problem.message
    assert problem.hint is not None and 'days = ["mon"' in problem.hint


def test_no_opening_period_is_an_error() -> None:
    problem = only(problems_of(HALL + "\n[hours]\nperiods = []\n"))
    assert problem.key == "hours.periods" and problem.hint is not None


def test_overlapping_periods_name_the_later_period_and_the_one_it_overlaps() -> None:
    text = HALL + textwrap.dedent("""
        [hours]
        periods = [
          { start = "13:30", end = "17:30" },
          { start = "08:30", end = "12:00" },
          { start = "11:30", end = "14:00" },
        ]
    """)
    problems = problems_of(text)
    by_key = {p.key: p for p in problems}
    assert set(by_key) == {"hours.periods[2]", "hours.periods[0]"}
    assert "11:30-14:00 overlaps 08:30-12:00" in by_key["hours.periods[2]"].message
    assert "13:30-17:30 overlaps 11:30-14:00" in by_key["hours.periods[0]"].message
    assert by_key["hours.periods[2]"].hint is not None
    assert "merge" in by_key["hours.periods[2]"].hint


def test_periods_that_only_touch_are_fine() -> None:
    text = HALL + ('\n[hours]\nperiods = [{ start = "08:00", end = "12:00" }, '
                   '{ start = "12:00", end = "24:00" }]\n')
    assert len(load_hall_text(text).hours.periods) == 2


def test_a_two_million_character_name_is_refused_and_shown_short() -> None:
    huge = "大" * 2_000_000
    text = HALL.replace('name = { zh = "综合业务"', f'name = {{ zh = "{huge}"', 1)
    err_problems = problems_of(text)
    problem = only(err_problems)
    assert problem.key == "services[0].name.zh"
    assert f"at most {MAX_NAME_ZH} characters here, not 2000000" in problem.message
    assert problem.hint is not None and "shorten" in problem.hint
    report = str(ConfigError("hall.toml", err_problems))
    assert len(report) < 400  # the report quotes the value shortened, never whole


def test_a_name_just_within_the_limit_loads() -> None:
    name = "大" * MAX_NAME_ZH
    hall = load_hall_text(HALL.replace('zh = "测试大厅"', f'zh = "{name}"'))
    assert hall.name.zh == name


def test_hall_and_counter_names_are_bounded_too() -> None:
    text = HALL.replace('en = "Test Hall"', f'en = "{"x" * 65}"').replace(
        'services = ["general"]', 'services = ["general"]\nname = { zh = "窗口", en = "'
        + "y" * 500 + '" }')
    keys = {p.key for p in problems_of(text)}
    assert keys == {"name.en", "counters[0].name.en"}


def test_notices_are_bounded_in_length_and_number() -> None:
    long_notice = HALL + f'\n[[notices]]\nzh = "{"通" * 201}"\nen = "ok"\n'
    problem = only(problems_of(long_notice))
    assert problem.key == "notices[0].zh" and "at most 200 characters, not 201" in problem.message
    assert problem.hint is not None
    many = HALL + '\n[[notices]]\nzh = "通知"\nen = "Notice"\n' * (MAX_NOTICES + 1)
    problem = only(problems_of(many))
    assert problem.key == "notices" and f"at most {MAX_NOTICES}" in problem.message


@pytest.mark.parametrize("opener, closer", [("[", "]"), ("{ a = ", "}")])
def test_deep_nesting_is_a_clean_error_naming_the_file(tmp_path: Path, opener: str,
                                                       closer: str) -> None:
    path = tmp_path / "deep.toml"
    path.write_text(HALL + "x = " + opener * 5000 + "1" + closer * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_hall(path)
    problem = only(caught.value.problems)
    assert problem.file == str(path) and "nested too deeply" in problem.message
    assert problem.hint is not None
    assert str(caught.value).startswith(f"{path} is invalid (1 problem)")


def test_ticket_footer_speech_templates_and_paths_are_bounded() -> None:
    text = HALL + textwrap.dedent(f"""
        [[kiosks]]
        id = "kiosk-1"
        services = ["general"]
        printer = {{ footer = ["{"f" * 101}"], device = "/dev/{"d" * 5000}" }}

        [[displays]]
        id = "display-1"
        [displays.speech.templates.en]
        call = "{{ticket}} {"t" * 300}"
        recall = "{{ticket}}"
    """)
    problems = {p.key: p for p in problems_of(text)}
    assert set(problems) == {"kiosks[0].printer.footer[0]", "kiosks[0].printer.device",
                             "displays[0].speech.templates.en.call"}
    assert all(p.hint is not None for p in problems.values())


def test_a_walkin_service_that_is_not_a_service_is_an_error_with_a_guess() -> None:
    text = HALL.replace('name = { zh = "综合业务", en = "General" }\n',
                        'name = { zh = "综合业务", en = "General" }\nwalkin_service = "genral"\n')
    problem = only(problems_of(text))
    assert (problem.key, problem.value) == ("services[0].walkin_service", "genral")
    assert problem.hint is not None and "general" in problem.hint


def test_a_walkin_service_no_counter_serves_is_an_error() -> None:
    text = HALL.replace('name = { zh = "综合业务", en = "General" }\n',
                        'name = { zh = "综合业务", en = "General" }\nwalkin_service = "passport"\n')
    problem = only(problems_of(text))
    assert (problem.key, problem.value) == ("services[0].walkin_service", "passport")
    assert "never be called" in problem.message
