"""``callnext simulate``: a day through the pure rules, its waits, idle time and fairness flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from callnext.cli import main
from callnext.simulate import simulate
from callnext.simulate_day import ScriptError
from config.load import load_hall, load_hall_text

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "hall.example.toml"

TINY_HALL = """
name = { zh = "小厅", en = "Tiny Hall" }
[[services]]
id = "general"
prefix = "A"
name = { zh = "综合业务", en = "General" }
expected_minutes = 10
[[services]]
id = "priority"
prefix = "Y"
name = { zh = "优先办理", en = "Priority" }
priority = true
[[counters]]
number = 1
services = ["priority", "general"]
"""

# One counter, opening at 08:30 and pressing CALL NEXT every 30 s while idle:
# A001 (08:31:10) is called 08:31:30 and served 10 min; at 08:41:30 Y001 (08:33) goes first,
# a priority ticket; A002 (08:32) follows at 08:51:30. Then a 15-minute break at 09:10.
TINY_DAY = """\
# a hand-checked day
at,what,service,kind,minutes,counter
08:31:10,arrive,general,walkin,10,
08:32:00,arrive,general,,10,
08:33:00,arrive,priority,priority,10,
09:10:00,pause,,,15,1
"""


def _script(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "day.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_waits_of_a_tiny_scripted_day_are_the_hand_checked_ones(tmp_path: Path) -> None:
    figures = simulate(load_hall_text(TINY_HALL), seed=1, script=_script(tmp_path, TINY_DAY))
    waits = figures["waits"]
    assert waits["class"]["normal"] == {"n": 2, "p50": 0.3, "p90": 19.5, "mean": 9.9,
                                        "max": 19.5}
    assert waits["class"]["priority"] == {"n": 1, "p50": 8.5, "p90": 8.5, "mean": 8.5,
                                          "max": 8.5}
    assert waits["service"]["general"]["n"] == 2
    assert (figures["issued"], figures["called"], figures["finished"]) == (3, 3, 3)
    # Idle inside the opening periods only: 08:30-08:31:30, 09:01:30-09:10, 09:25-12:00 and
    # 13:30-17:30; the break is pause time, not idle time.
    assert figures["counters"]["1"] == {"called": 3, "idle_min": 405.0, "paused_min": 15.0}
    assert figures["breaches"] == []


def test_a_walk_in_called_at_the_priority_window_while_priority_waits_is_flagged(
        tmp_path: Path) -> None:
    # Counter 5 of the example hall is its priority window. It serves Y001; Y002 waits
    # when the clerk calls A008 by number: the walk-in goes before a waiting priority ticket.
    rows = ["at,what,service,minutes,counter,ticket", "08:31:10,arrive,priority,30,,"]
    rows += [f"08:31:{20 + i},arrive,general,60,," for i in range(8)]
    rows += ["08:32:00,arrive,priority,10,,", "08:40:00,call,,,5,A008"]
    figures = simulate(load_hall(EXAMPLE), seed=1,
                       script=_script(tmp_path, "\n".join(rows) + "\n"))
    assert [(b["kind"], b["counter"], b["called"], b["passed_over"])
            for b in figures["breaches"]] == [("priority_passed_over", 5, "A008", "Y002")]
    assert figures["breaches"][0]["time"] == "08:40:00"


def test_the_same_seed_gives_the_same_day_and_another_seed_another(tmp_path: Path) -> None:
    hall = load_hall(EXAMPLE)
    first = simulate(hall, seed=7, arrivals=150)
    assert simulate(hall, seed=7, arrivals=150) == first
    assert simulate(hall, seed=8, arrivals=150) != first
    assert first["issued"] == 150
    assert first["called"] + first["still_waiting"] >= first["issued"]


def test_the_command_prints_bilingual_tables_and_json_that_parses(
        capsys: pytest.CaptureFixture[str]) -> None:
    args = ["simulate", "--config", str(EXAMPLE), "--arrivals", "120", "--seed", "3"]
    assert main(args) == 0
    text = capsys.readouterr().out
    for head in ("等候分钟 Wait (min)", "优先 Priority", "普通 Normal", "空闲 Idle min",
                 "公平 Fairness"):
        assert head in text
    assert main([*args, "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["issued"] == 120
    assert set(figures["waits"]["class"]) == {"normal", "priority"}
    assert set(figures["counters"]) == {"1", "2", "3", "4", "5", "6"}


def test_a_bad_script_line_is_named_with_its_fix(tmp_path: Path) -> None:
    path = _script(tmp_path, "at,what,service\n08:31,arrive,nosuch\n")
    with pytest.raises(ScriptError, match=r"row 2: service 'nosuch' is not in this hall"):
        simulate(load_hall(EXAMPLE), seed=1, script=path)
    path = _script(tmp_path, "at,what\n8h31,arrive\n")
    with pytest.raises(ScriptError, match="HH:MM"):
        simulate(load_hall(EXAMPLE), seed=1, script=path)


def test_a_closed_date_is_refused_with_what_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    # 2026-06-06 is a Saturday; the example hall opens Monday to Friday.
    status = main(["simulate", "--config", str(EXAMPLE), "--arrivals", "10",
                   "--date", "2026-06-06"])
    assert status != 0
    assert "closed on 2026-06-06; pick an opening day with --date" in capsys.readouterr().err


def test_priority_waits_are_split_by_the_category_tickets_carry() -> None:
    # Tickets carry a category in their ticket_issued data where the hall defines categories
    # (issue 12); the figures group priority waits by it, and tickets without one as "-".
    from broker.rules import Event
    from callnext.simulate import summarise
    from callnext.simulate_engine import DayRun

    hall = load_hall(EXAMPLE)
    t0 = 1780000000.0
    issued = [("Y001", "priority", "priority", "elderly80"), ("Y002", "priority", "priority",
               "elderly70"), ("Y003", "priority", "walkin", None), ("A001", "general", "walkin",
                                                                   None)]
    events = [Event("ticket_issued", t0, {"ticket": n, "service": s, "kind": k, "category": c})
              for n, s, k, c in issued]
    events += [Event("called", t0 + 60.0 * (i + 1), {"ticket": n, "counter": 5})
               for i, (n, _, _, _) in enumerate(issued)]
    run = DayRun(hall, [(t0, t0 + 3600.0)], events=events, ended_at=t0 + 240.0)
    waits = summarise(run)["waits"]
    assert {k: v["mean"] for k, v in waits["category"].items()} == {
        "elderly80": 1.0, "elderly70": 2.0, "-": 3.0}
    assert waits["class"]["priority"]["n"] == 3
    assert waits["class"]["normal"]["mean"] == 4.0
