"""The hall loader: every problem reported, at the right key, in plain words."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foundation.errors import CallnextError
from config import ConfigError, Hall, Problem, effective_toml, load_hall, load_hall_text
from config.load import format_problems
from config.schema import Bilingual, Counter, Policies, Service

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
EXAMPLE = CONFIG_DIR / "hall.example.toml"
MINIMAL = CONFIG_DIR / "hall.minimal.toml"

HEAD = """\
name = { zh = "测试大厅", en = "Test Hall" }
"""
GENERAL = """\
[[services]]
id = "general"
prefix = "A"
name = { zh = "综合业务", en = "General" }
"""
COUNTER = """\
[[counters]]
number = 1
services = ["general"]
"""


def problems_of(text: str) -> list[Problem]:
    """The problems load_hall_text reports for ``text`` (which must be invalid)."""
    with pytest.raises(ConfigError) as caught:
        load_hall_text(textwrap.dedent(text), file="hall.toml")
    return caught.value.problems


def by_key(problems: list[Problem]) -> dict[str, Problem]:
    keys = [problem.key for problem in problems]
    if len(set(keys)) != len(keys):
        pytest.fail(f"duplicate problem keys: {keys}")
    return {problem.key: problem for problem in problems}


# --- the shipped halls ----------------------------------------------------------


def test_example_hall_loads() -> None:
    hall = load_hall(EXAMPLE)

    assert hall.name.zh == "市医疗保障服务大厅"
    assert hall.hours.timezone == "Asia/Shanghai"
    assert [s.id for s in hall.services] == ["general", "reimburse", "enrol", "priority", "appointment"]
    assert [s.prefix for s in hall.services] == ["A", "C", "D", "Y", "B"]
    assert [s.id for s in hall.services if s.priority] == ["priority"]
    assert [c.number for c in hall.counters] == [1, 2, 3, 4, 5, 6]
    assert hall.counter(5) is not None
    assert hall.counter(5).services == ("priority", "general", "reimburse", "enrol")
    assert 4 <= len(hall.notices) <= 6


def test_example_spells_out_every_policy_at_its_default() -> None:
    text = EXAMPLE.read_text(encoding="utf-8")

    for field in Policies.model_fields:
        assert f"\n{field} = " in text, f"policy {field} is not spelled out in the example"
    assert load_hall(EXAMPLE).policies == Policies()


def test_minimal_hall_loads_with_defaults() -> None:
    hall = load_hall(MINIMAL)

    assert len(hall.services) == 1
    assert len(hall.counters) == 1
    assert hall.policies == Policies()


# --- unknown keys ---------------------------------------------------------------


def test_misspelt_key_in_third_service_gets_did_you_mean_and_path() -> None:
    text = HEAD + GENERAL + """
[[services]]
id = "reimburse"
prefix = "C"
name = { zh = "报销", en = "Reimbursement" }

[[services]]
id = "enrol"
prefx = "B"
prefix = "D"
name = { zh = "参保", en = "Enrolment" }
""" + COUNTER
    [problem] = problems_of(text)

    assert problem.key == "services[2].prefx"
    assert problem.value == "B"
    assert problem.message == "unknown key 'prefx'"
    assert problem.hint == "did you mean 'prefix'?"
    assert problem.file == "hall.toml"


@pytest.mark.parametrize(
    ("snippet", "key", "suggestion"),
    [
        ("[policies]\nrecal_cap = 3\n", "policies.recal_cap", "recall_cap"),
        ("[polices]\nrecall_cap = 3\n", "polices", "policies"),
        ("[hours]\ntimezon = 'UTC'\n", "hours.timezon", "timezone"),
        ("[broker]\ncommand_prot = 6000\n", "broker.command_prot", "command_port"),
    ],
)
def test_misspelt_keys_in_nested_tables_suggest_the_field_there(
    snippet: str, key: str, suggestion: str,
) -> None:
    [problem] = problems_of(HEAD + GENERAL + COUNTER + snippet)

    assert problem.key == key
    assert problem.hint == f"did you mean {suggestion!r}?"


def test_misspelt_key_in_counter_name_walks_into_the_optional_model() -> None:
    text = HEAD + GENERAL + """
[[counters]]
number = 1
services = ["general"]
name = { zh = "1号窗口", eng = "Counter 1" }
"""
    found = by_key(problems_of(text))

    assert found["counters[0].name.eng"].hint == "did you mean 'en'?"
    assert found["counters[0].name.en"].message == "missing required key"


def test_unknown_key_without_a_close_match_lists_the_known_keys() -> None:
    [problem] = problems_of(HEAD + GENERAL + COUNTER + "[broker]\nzzz = 1\n")

    assert problem.key == "broker.zzz"
    assert problem.hint == ("known keys here: host, bind, command_port, event_port, clock_jump_s, "
                            "clock_confirm_s")


# --- all problems at once -------------------------------------------------------


def test_every_problem_in_a_file_is_reported() -> None:
    text = """\
name = { zh = "大厅", en = "" }

[hours]
days = ["mon", "tue", "fry"]

[[services]]
id = "general"
prefix = "AB"
name = { zh = "综合", en = "General" }

[[counters]]
number = 0
services = ["general"]

[policies]
recall_cap = 99
after_hours = "reject"
"""
    found = by_key(problems_of(text))

    assert set(found) == {
        "name.en",
        "hours.days[2]",
        "services[0].prefix",
        "counters[0].number",
        "policies.recall_cap",
        "policies.after_hours",
    }
    assert found["name.en"].message == "must not be empty"
    assert found["hours.days[2]"].message.startswith("must be one of 'mon', 'tue'")
    assert found["services[0].prefix"].message == "must be one capital letter A-Z"
    assert found["counters[0].number"].message == "must be at least 1"
    assert found["policies.recall_cap"].message == "must be at most 10"
    assert found["policies.after_hours"].message == "must be one of 'refuse', 'issue_with_warning'"


def test_missing_required_keys_are_named() -> None:
    found = by_key(problems_of("""\
[[services]]
id = "general"
name = { zh = "综合", en = "General" }
"""))

    assert set(found) == {"name", "services[0].prefix", "counters"}
    assert all(problem.message == "missing required key" for problem in found.values())
    assert all(problem.value is None for problem in found.values())


def test_a_bad_item_does_not_also_report_its_array_as_empty() -> None:
    # pydantic adds "too short" for an array whose only item failed.
    text = HEAD + GENERAL + """
[[counters]]
number = "1"
services = ["general"]
"""
    [problem] = problems_of(text)

    assert problem.key == "counters[0].number"


def test_an_empty_array_is_still_reported_as_too_short() -> None:
    [problem] = problems_of(HEAD + "counters = []\n" + GENERAL)

    assert problem.key == "counters"
    assert problem.message == "needs at least 1 entry"


# --- wrong types ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("snippet", "key", "value", "message", "hint"),
    [
        ("[policies]\nrecall_cap = \"2\"\n", "policies.recall_cap", "2",
         "must be a whole number, not text", "remove the quotes: recall_cap = 2"),
        ("[policies]\nwait_alert_minutes = true\n", "policies.wait_alert_minutes", True,
         "must be a number, not true/false", None),
        ("[broker]\nhost = 127\n", "broker.host", 127,
         "must be text in quotes, not a whole number", None),
        ("[hours]\ntimezone = [\"UTC\"]\n", "hours.timezone", ["UTC"],
         "must be text in quotes, not an array", None),
    ],
)
def test_wrong_types_show_the_value_and_the_expected_type(
    snippet: str, key: str, value: object, message: str, hint: str | None,
) -> None:
    [problem] = problems_of(HEAD + GENERAL + COUNTER + snippet)

    assert problem.key == key
    assert problem.value == value
    assert problem.message == message
    assert problem.hint == hint


def test_bilingual_text_given_as_plain_text_explains_the_table_form() -> None:
    [problem] = problems_of('name = "Hall"\n' + GENERAL + COUNTER)

    assert problem.key == "name"
    assert problem.value == "Hall"
    assert problem.message == "must be a table with keys zh, en, not text"
    assert problem.hint == 'give both languages: name = { zh = "…", en = "…" }'


def test_unquoted_toml_time_is_explained() -> None:
    [problem] = problems_of(HEAD + GENERAL + COUNTER + """
[hours]
periods = [{ start = 08:30:00, end = "12:00" }]
""")

    assert problem.key == "hours.periods[0].start"
    assert problem.message == "must be text in quotes, not a time"
    assert problem.hint == 'put times in quotes: start = "08:30"'


def test_time_after_midnight_is_rejected_but_24_00_is_an_end() -> None:
    [problem] = problems_of(HEAD + GENERAL + COUNTER + """
[hours]
periods = [{ start = "20:00", end = "24:30" }]
""")
    assert problem.key == "hours.periods[0].end"

    hall = load_hall_text(HEAD + GENERAL + COUNTER + """
[hours]
periods = [{ start = "20:00", end = "24:00" }]
""")
    assert hall.hours.periods[0].end == "24:00"


def test_period_validator_reports_the_period_without_dumping_the_table() -> None:
    [problem] = problems_of(HEAD + GENERAL + COUNTER + """
[hours]
periods = [{ start = "13:00", end = "12:00" }]
""")

    assert problem.key == "hours.periods[0]"
    assert problem.value is None
    assert problem.message == "period start 13:00 must be before its end 12:00"


def test_unknown_timezone_is_reported_with_a_hint() -> None:
    [problem] = problems_of(HEAD + GENERAL + COUNTER + '[hours]\ntimezone = "Asia/Shangai"\n')

    assert problem.key == "hours.timezone"
    assert problem.value == "Asia/Shangai"
    assert problem.message == "unknown time zone 'Asia/Shangai'"
    assert problem.hint == "use an IANA name such as 'Asia/Shanghai'"


def test_pattern_errors_suggest_the_obvious_repair() -> None:
    found = by_key(problems_of(HEAD + """
[[services]]
id = "General"
prefix = "a"
name = { zh = "综合", en = "General" }
""" + COUNTER))

    assert found["services[0].id"].hint == "did you mean 'general'?"
    assert found["services[0].prefix"].hint == "did you mean 'A'?"


# --- cross-checks -----------------------------------------------------------------


def test_cross_check_problems_are_separate_and_at_their_keys() -> None:
    text = HEAD + GENERAL + """
[[services]]
id = "reimburse"
prefix = "A"
name = { zh = "报销", en = "Reimbursement" }

[[counters]]
number = 1
services = ["general", "reimburse", "xray"]

[[counters]]
number = 1
services = ["general"]

[broker]
command_port = 6000
event_port = 6000
"""
    found = by_key(problems_of(text))

    assert list(found) == [
        "services[1].prefix",
        "counters[0].services[2]",
        "counters[1].number",
        "broker.event_port",
    ]
    prefix = found["services[1].prefix"]
    assert prefix.value == "A"
    assert prefix.message == "prefix 'A' is used by 'general' and 'reimburse'"
    assert prefix.hint == "ticket numbers would collide, pick another letter"
    unknown = found["counters[0].services[2]"]
    assert unknown.value == "xray"
    assert unknown.message == "counter 1 serves unknown service 'xray'"
    assert unknown.hint == "known services: general, reimburse"
    assert found["counters[1].number"].value == 1
    assert found["broker.event_port"].value == 6000
    assert found["broker.event_port"].message == "broker.command_port and broker.event_port must differ"


def test_unknown_service_on_a_counter_suggests_a_close_id() -> None:
    [problem] = problems_of(HEAD + GENERAL + '[[counters]]\nnumber = 3\nservices = ["genral"]\n')

    assert problem.key == "counters[0].services[0]"
    assert problem.hint == "did you mean 'general'?"


def test_default_ports_clash_is_reported_without_a_value_when_not_in_the_file() -> None:
    [problem] = problems_of(HEAD + GENERAL + COUNTER + "[broker]\nevent_port = 5555\n")

    assert problem.key == "broker.event_port"
    assert problem.value == 5555
    [problem] = problems_of(HEAD + GENERAL + COUNTER + "[broker]\ncommand_port = 5556\n")
    assert problem.key == "broker.event_port"
    assert problem.value is None


# --- unreadable files -----------------------------------------------------------


def test_toml_syntax_error_reports_line_and_column() -> None:
    text = HEAD + '[[services]]\nid = "general"\nprefix = A\n'
    [problem] = problems_of(text)

    assert (problem.line, problem.column) == (4, 10)
    assert problem.key == ""
    assert problem.message == "TOML syntax error: Invalid value"
    assert problem.hint is not None and "quotes" in problem.hint


def test_toml_syntax_error_at_end_of_document_still_has_a_line() -> None:
    [problem] = problems_of(HEAD + 'notices = [\n  { zh = "a", en = "b" },\n')

    assert problem.line == 4
    assert problem.message.startswith("TOML syntax error: ")
    assert "(at end of document)" not in problem.message


def test_missing_file_error_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "hall.toml"
    with pytest.raises(ConfigError) as caught:
        load_hall(path)

    assert caught.value.file == os.fspath(path)
    [problem] = caught.value.problems
    assert problem.message == f"file not found: {path}"
    assert str(caught.value).startswith(f"{path} is invalid (1 problem):")


def test_a_directory_is_not_a_hall_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_hall(tmp_path)

    assert caught.value.problems[0].message == "is a directory, not a TOML file"


def test_file_with_bom_loads_and_non_utf8_reports_its_line(tmp_path: Path) -> None:
    good = tmp_path / "bom.toml"
    good.write_bytes(b"\xef\xbb\xbf" + MINIMAL.read_bytes())
    assert load_hall(good) == load_hall(MINIMAL)

    bad = tmp_path / "gbk.toml"
    bad.write_bytes(HEAD.encode() + b'x = "' + "大厅".encode("gbk") + b'"\n')
    with pytest.raises(ConfigError) as caught:
        load_hall(bad)
    [problem] = caught.value.problems
    assert problem.message == "the file is not UTF-8 text"
    assert (problem.line, problem.column) == (2, 6)


# --- the error and its report ---------------------------------------------------------


def test_config_error_is_a_callnext_error_and_a_value_error() -> None:
    err = ConfigError("hall.toml", [Problem("hall.toml", "name", None, "missing required key", None)])

    assert isinstance(err, CallnextError)
    assert isinstance(err, ValueError)
    assert str(err) == format_problems(err)


def test_format_problems_aligns_values_and_joins_hints() -> None:
    err = ConfigError("config/hall.toml", [
        Problem("config/hall.toml", "services[2].prefx", "B", "unknown key 'prefx'",
                "did you mean 'prefix'?"),
        Problem("config/hall.toml", "policies.recall_cap", 99, "must be at most 10", None),
    ])

    assert format_problems(err) == (
        "config/hall.toml is invalid (2 problems):\n"
        "  services[2].prefx = 'B'  -> unknown key 'prefx' — did you mean 'prefix'?\n"
        "  policies.recall_cap = 99 -> must be at most 10"
    )


def test_format_problems_shows_booleans_as_toml_and_names_file_level_problems() -> None:
    err = ConfigError("h.toml", [
        Problem("h.toml", "services[0].priority", True, "x", None),
        Problem("h.toml", "", None, "TOML syntax error: Invalid value", None, line=3, column=9),
        Problem("h.toml", "", None, "permission denied", None),
    ])

    assert format_problems(err).splitlines()[1:] == [
        "  services[0].priority = true -> x",
        "  line 3, column 9            -> TOML syntax error: Invalid value",
        "  (file)                      -> permission denied",
    ]


def test_format_problems_pads_by_terminal_width_for_chinese_values() -> None:
    err = ConfigError("h.toml", [
        Problem("h.toml", "name.zh", "大厅", "x", None),
        Problem("h.toml", "name.en", "Hall", "y", None),
    ])

    first, second = format_problems(err).splitlines()[1:]
    # Each Chinese character is two columns wide, so '大厅' lines up with 'Hall'.
    assert first == "  name.zh = '大厅' -> x"
    assert second == "  name.en = 'Hall' -> y"


# --- effective configuration ---------------------------------------------------------


@pytest.mark.parametrize("path", [EXAMPLE, MINIMAL], ids=["example", "minimal"])
def test_effective_toml_round_trips(path: Path) -> None:
    hall = load_hall(path)

    assert load_hall_text(effective_toml(hall)) == hall


def test_effective_toml_spells_out_defaults_and_omits_unset_optionals() -> None:
    text = effective_toml(load_hall(MINIMAL))

    assert "recall_cap = 2\n" in text
    assert 'timezone = "Asia/Shanghai"\n' in text
    assert "command_port = 5555\n" in text
    # The minimal counter has no name; TOML has no null to write it as.
    assert "[counters.name]" not in text


_texts = st.text(min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(
    zh=_texts,
    en=_texts,
    minutes=st.floats(min_value=0.001, max_value=240, allow_nan=False),
    recall_cap=st.integers(min_value=0, max_value=10),
    grace=st.floats(min_value=0, max_value=480, allow_nan=False),
    named=st.booleans(),
)
def test_effective_toml_round_trips_any_valid_text_and_numbers(
    zh: str, en: str, minutes: float, recall_cap: int, grace: float, named: bool,
) -> None:
    hall = Hall(
        name=Bilingual(zh=zh, en=en),
        notices=(Bilingual(zh=en, en=zh),),
        services=(Service(id="general", prefix="A", name=Bilingual(zh=zh, en=en),
                          expected_minutes=minutes),),
        counters=(Counter(number=1, services=("general",),
                          name=Bilingual(zh=zh, en=en) if named else None),),
        policies=Policies(recall_cap=recall_cap, no_show_grace_minutes=grace),
    )

    assert load_hall_text(effective_toml(hall)) == hall


def test_a_kiosk_offering_an_unknown_service_is_reported_with_a_hint() -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "hall.example.toml"
    text = example.read_text(encoding="utf-8")
    text += '\n[[kiosks]]\nid = "kiosk-9"\nservices = ["generl"]\n'
    with pytest.raises(ConfigError) as err:
        load_hall_text(text, "hall.toml")
    problems = [p for p in err.value.problems if p.key.startswith("kiosks")]
    assert len(problems) == 1 and "did you mean 'general'" in str(err.value)


def test_a_display_zone_naming_an_unknown_counter_is_reported() -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "hall.example.toml"
    text = example.read_text(encoding="utf-8") + '\n[[displays]]\nid = "display-9"\ncounters = [42]\n'
    with pytest.raises(ConfigError) as err:
        load_hall_text(text, "hall.toml")
    keys = [p.key for p in err.value.problems if p.key.startswith("displays")]
    assert len(keys) == 1 and keys[0].endswith("].counters[0]")
    assert "not in [[counters]]" in str(err.value)


def test_a_caller_transferring_to_an_unknown_service_is_reported() -> None:
    example = Path(__file__).resolve().parents[2] / "config" / "hall.example.toml"
    text = example.read_text(encoding="utf-8") + (
        '\n[[callers]]\nid = "caller-x"\ncounters = [77]\n[callers.transfer]\nservices = ["enroll"]\n')
    with pytest.raises(ConfigError) as err:
        load_hall_text(text, "hall.toml")
    report = str(err.value)
    assert "counter 77, which is not in [[counters]]" in report
    assert "did you mean 'enrol'" in report


# --- priority categories ---------------------------------------------------------


def test_a_priority_category_rank_starts_at_1() -> None:
    text = HEAD + GENERAL + COUNTER + """
[[priority_categories]]
id = "elderly80"
name = { zh = "80岁以上", en = "Aged 80+" }
rank = 0
proof = { zh = "身份证", en = "ID card" }
"""
    [problem] = problems_of(text)
    assert (problem.key, problem.value, problem.file) == ("priority_categories[0].rank", 0,
                                                          "hall.toml")
    assert "1" in problem.message + (problem.hint or "")


def test_duplicate_priority_category_ids_are_reported_with_a_hint() -> None:
    entry = """
[[priority_categories]]
id = "military"
name = { zh = "现役军人", en = "Active military" }
rank = 3
proof = { zh = "军官证", en = "Military ID" }
"""
    [problem] = problems_of(HEAD + GENERAL + COUNTER + entry + entry)
    assert problem.key == "priority_categories[1].id"
    assert "used twice" in problem.message and problem.hint


def test_the_example_hall_ranks_its_priority_categories() -> None:
    hall = load_hall(EXAMPLE)
    ranks = {c.id: c.rank for c in hall.priority_categories}
    assert ranks["critical"] == 1 and ranks["elderly70"] == max(ranks.values())
    assert [c.number for c in hall.counters if c.priority_window] == [5]
