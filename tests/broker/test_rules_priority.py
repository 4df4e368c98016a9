"""Priority categories and the calling order the service standards ask for."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from broker.journal import Journal
from broker.report_figures import build_report
from broker.report_render import format_report
from broker.rules import RuleRefusal, public_view
from broker.service import BrokerService
from config.example import example_path
from config.load import load_hall
from config.schema import Hall
from tests.broker.test_rules import Hall_
from tests.conftest import at
from tests.kiosk.kiosk_support import InProcess


@pytest.fixture(scope="module")
def example() -> Hall:
    return load_hall(example_path())


def test_the_priority_window_calls_every_waiting_priority_ticket_before_starving_walk_ins(
        example: Hall) -> None:
    # The sequence: priority_burst 2, walk-ins past starvation_minutes; counter 5
    # used to answer Y001, A001, Y002... It must now call Y while any Y waits.
    assert example.counter(5).priority_window and example.policies.priority_burst == 2
    h = Hall_(example)
    for _ in range(3):
        h.do("issue_ticket", service="general")
    for category in ("elderly70", "elderly70", "elderly70"):
        h.do("issue_ticket", service="priority", kind="priority", category=category)
    called = [h.do("call_next", counter=5, advance_min=20)["ticket"] for _ in range(4)]
    assert called == ["Y001", "Y002", "Y003", "A001"]


def test_a_shared_counter_keeps_the_anti_starvation_bound(example: Hall) -> None:
    h = Hall_(example)
    h.do("issue_ticket", service="general")
    for _ in range(3):
        h.do("issue_ticket", service="general", kind="priority", category="elderly80")
    called = [h.do("call_next", counter=1, advance_min=20)["ticket"] for _ in range(4)]
    assert called == ["A002", "A003", "A001", "A004"]


def test_priority_tickets_are_called_by_rank_then_by_waiting_time(example: Hall) -> None:
    h = Hall_(example)
    issued: dict[str, str] = {}
    for name, category in [("70", "elderly70"), ("none", None), ("mil", "military"),
                           ("80a", "elderly80"), ("dis", "disabled"), ("crit", "critical"),
                           ("80b", "elderly80"), ("preg", "pregnant")]:
        args: dict[str, Any] = {"service": "priority", "kind": "priority"}
        if category:
            args["category"] = category
        issued[h.do("issue_ticket", advance_min=1, **args)["ticket"]] = name
    called = [issued[h.do("call_next", counter=5, advance_min=1)["ticket"]] for _ in issued]
    # rank 1; rank 2 (80+, pregnant) by wait; rank 3 (military, disabled) by wait; rank 4;
    # no category last.
    assert called == ["crit", "80a", "80b", "preg", "mil", "dis", "70", "none"]


def test_the_ticket_carries_its_category_in_event_result_state_and_view(example: Hall) -> None:
    h = Hall_(example)
    result = h.do("issue_ticket", service="priority", kind="priority", category="pregnant")
    [issued] = [e for e in h.events if e.type == "ticket_issued"]
    assert result["category"] == issued.data["category"] == "pregnant"
    assert h.state.tickets["Y001"].category == "pregnant"
    h.do("call_next", counter=5)
    assert public_view(h.state)["counters"]["5"]["category"] == "pregnant"
    walkin = h.do("issue_ticket", service="general")
    assert walkin["category"] is None


def test_an_unknown_category_is_refused_with_the_hall_s_categories(example: Hall) -> None:
    h = Hall_(example)
    with pytest.raises(RuleRefusal) as refused:
        h.do("issue_ticket", service="priority", kind="priority", category="vip")
    assert refused.value.code == "unknown_category"
    assert refused.value.params == {"category": "vip", "categories": [
        "critical", "elderly80", "disabled", "military", "pregnant", "elderly70"]}
    assert h.state.tickets == {}


def test_the_report_counts_waits_per_priority_category(example: Hall, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite3")
    clock = [at("09:00")]
    service = BrokerService(example, journal, lambda: clock[0])
    client = InProcess(service)
    client.request("issue_ticket", {"service": "priority", "kind": "priority",
                                    "category": "elderly80"})
    client.request("issue_ticket", {"service": "priority", "kind": "priority",
                                    "category": "pregnant"})
    client.request("issue_ticket", {"service": "general"})
    clock[0] += 6 * 60.0
    client.request("call_next", {"counter": 5})   # Y001, 80+, waited 6 min
    clock[0] += 4 * 60.0
    client.request("call_next", {"counter": 5})   # Y002, pregnant, waited 10 min
    report = build_report(example, list(journal.events()), "2026-11-25")
    assert list(report.per_category) == ["elderly80", "pregnant"]
    assert report.per_category["elderly80"].wait_mean_min == pytest.approx(6.0)
    assert report.per_category["pregnant"].wait_mean_min == pytest.approx(10.0)
    assert report.per_category["elderly80"].finished == 1  # finished by the second call
    assert report.total.issued == 3
    text = format_report(example, report)
    assert "优先 80岁以上 Aged 80+" in text and "优先 孕产妇 Pregnant or nursing" in text
    journal.close()


def test_an_unknown_category_is_worded_with_the_hall_s_category_names(example: Hall) -> None:
    from runtime.messages import refusal_both

    # As a kiosk gets it: wire code bad_args, the rule's reason and its parameters.
    params = {"reason": "unknown_category", "category": "vip",
              "categories": ["elderly80", "pregnant"]}
    chinese, english = refusal_both("bad_args", params, hall=example)
    assert "vip" in chinese and "80岁以上" in chinese and "孕产妇" in chinese
    assert "vip" in english and "Aged 80+" in english and "Pregnant or nursing" in english
