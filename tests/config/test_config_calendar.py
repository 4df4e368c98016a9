"""The hall calendar in the hall file: holidays, 调休 workdays, special days, day_starts —
what they mean on a date and how a mistake in them is reported."""

from __future__ import annotations

from datetime import date

from config import hours
from config.load import load_hall_text
from tests.config.test_config_load import COUNTER, GENERAL, HEAD, by_key, problems_of
from tests.conftest import at

BASE = HEAD + GENERAL + COUNTER


def test_dates_ranges_and_unquoted_toml_dates_load() -> None:
    hall = load_hall_text(BASE + """
[hours]
holidays = ["2026-10-01..2026-10-07", 2027-01-01]
workdays = ["2026-10-11"]
[[hours.special]]
date = "2026-09-30"
periods = [{ start = "08:30", end = "12:00" }]
""")
    assert hall.hours.holidays == ("2026-10-01..2026-10-07", "2027-01-01")
    assert hours.periods_on(hall, date(2026, 10, 7)) == ()
    assert hours.periods_on(hall, date(2026, 10, 11)) == hall.hours.periods
    assert [p.end for p in hours.periods_on(hall, date(2026, 9, 30))] == ["12:00"]
    # 延时服务 judges "after today's closing" by the same calendar.
    assert hours.closing_at(hall, at("09:00", "2026-09-30")) == at("12:00", "2026-09-30")
    assert hours.closing_at(hall, at("09:00", "2026-10-02")) is None


def test_bad_dates_and_reversed_ranges_name_the_entry_with_a_hint() -> None:
    found = by_key(problems_of(BASE + """
[hours]
holidays = ["2026-10-01..2026-10-07", "2026-13-01", "2026-10-07..2026-10-01"]
workdays = ["tomorrow"]
"""))
    assert set(found) == {"hours.holidays[1]", "hours.holidays[2]", "hours.workdays[0]"}
    assert found["hours.holidays[1]"].value == "2026-13-01"
    assert "YYYY-MM-DD" in str(found["hours.holidays[1]"].hint)
    assert "ends before it starts" in found["hours.holidays[2]"].message
    assert "2026-10-01..2026-10-07" in str(found["hours.holidays[2]"].hint)


def test_a_date_both_holiday_and_workday_is_reported() -> None:
    [problem] = problems_of(BASE + """
[hours]
holidays = ["2026-10-01..2026-10-07"]
workdays = ["2026-10-11", "2026-10-03"]
""")
    assert problem.key == "hours.workdays[1]"
    assert problem.value == "2026-10-03"
    assert "both a holiday and a working day" in problem.message and problem.hint


def test_overlapping_special_periods_are_reported_at_the_period() -> None:
    [problem] = problems_of(BASE + """
[hours]
[[hours.special]]
date = "2026-09-30"
periods = [{ start = "08:30", end = "12:00" }, { start = "11:00", end = "13:00" }]
""")
    assert problem.key == "hours.special[0].periods[1]"
    assert "overlaps" in problem.message and problem.hint


def test_a_special_day_that_is_also_a_holiday_is_reported() -> None:
    [problem] = problems_of(BASE + """
[hours]
holidays = ["2026-10-01"]
[[hours.special]]
date = "2026-10-01"
periods = [{ start = "08:30", end = "12:00" }]
""")
    assert problem.key == "hours.special[0].date" and problem.value == "2026-10-01"
    assert problem.hint


def test_day_starts_must_be_a_time_of_day() -> None:
    [problem] = problems_of(BASE + '[hours]\nday_starts = "24:00"\n')
    assert problem.key == "hours.day_starts" and problem.value == "24:00"


def test_day_starts_decides_the_day_a_moment_belongs_to() -> None:
    hall = load_hall_text(BASE + '[hours]\nday_starts = "04:00"\n')
    assert hours.day_of(hall, at("03:59", "2026-11-26")) == "2026-11-25"
    assert hours.day_of(hall, at("04:00", "2026-11-26")) == "2026-11-26"
