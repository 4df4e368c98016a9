"""The message catalogue words every code the rules, the wire and the alerts can produce,
in every language, from the parameters the broker really sends."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from broker.refusals import WIRE_CODES, wire_error
from broker.rules import Command, HallState, RuleRefusal, execute, initial_state
from broker.rules.alerts import ALERT_CODES
from broker.rules.feedback import MAX_COMPONENTS_PER_NODE
from broker.rules.issuing import MAX_NUMBER
from broker.rules.refusals import REFUSAL_PARAMS, RESULT_NOTES
from config.schema import Hall
from protocol.errors import ERROR_CODES
from runtime.messages import (
    CATALOGUES,
    DERIVED,
    EN,
    alert_text,
    both,
    placeholders,
    refusal_both,
    refusal_text,
    render,
)
from tests.conftest import at, small_hall

LANGUAGES = sorted(CATALOGUES)


def test_every_language_has_every_key() -> None:
    for language, table in CATALOGUES.items():
        missing = sorted(set(EN) - set(table))
        assert not missing, f"{language} lacks {missing}"
        assert all(text.strip() for text in table.values()), language


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_code_has_words(language: str) -> None:
    table = CATALOGUES[language]
    wanted = ([f"refusal.{c}" for c in REFUSAL_PARAMS] + [f"error.{c}" for c in ERROR_CODES]
              + [f"alert.{c}" for c in ALERT_CODES] + [f"note.{c}" for c in RESULT_NOTES])
    assert sorted(k for k in wanted if k not in table) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_templates_use_only_parameters_their_code_carries(language: str) -> None:
    table = CATALOGUES[language]
    carried = {f"refusal.{c}": set(p) for c, p in REFUSAL_PARAMS.items()}
    carried |= {f"alert.{c}": set(p) for c, p in ALERT_CODES.items()}
    carried |= {f"error.{c}": set() for c in ERROR_CODES}
    carried |= {f"note.{c}": set() for c in RESULT_NOTES}
    for key, params in carried.items():
        usable = params | {name for name, source in DERIVED.items() if source in params}
        extra = placeholders(table[key]) - usable
        assert not extra, f"{language} {key} uses {extra}, but the code carries {params}"


class _Day:
    """A hall, a clock and a state, driven through the real rules."""

    def __init__(self, hall: Hall) -> None:
        self.state: HallState = initial_state(hall)
        self.now = at("09:00")

    def do(self, op: str, **args: Any) -> dict[str, Any]:
        outcome = execute(self.state, Command(op, args, "kiosk-1"), self.now)
        self.state = outcome.state
        return outcome.result

    def refusal(self, op: str, **args: Any) -> RuleRefusal:
        with pytest.raises(RuleRefusal) as refused:
            self.do(op, **args)
        return refused.value


def _slot(code: str, start: str, end: str = "2026-11-25T23:00",
          service: str = "general") -> dict[str, str]:
    return {"code": code, "service": service, "start": start, "end": end}


def _refusals() -> list[RuleRefusal]:
    """One real refusal of every code the rules have, each from the command that causes it."""
    d = _Day(small_hall())
    found = [d.refusal("teleport"), d.refusal("call_next", counter=9),
             d.refusal("issue_ticket", service="dental"), d.refusal("finish", counter=1),
             d.refusal("revive", ticket="A999"), d.refusal("call_ticket", counter=1,
                                                            ticket="A001", reason=" ")]
    found.append(d.refusal("issue_ticket", service="priority", kind="priority", category="vip"))
    d.do("book_appointment", **_slot("BK-1", "2026-11-25T09:10"))
    d.do("book_appointment", **_slot("BK-2", "2026-11-25T15:00"))
    found += [d.refusal("issue_ticket", kind="appointment", appointment="NOPE"),
              d.refusal("issue_ticket", kind="appointment", appointment="BK-1",
                        service="reimburse"),
              d.refusal("issue_ticket", kind="appointment", appointment="BK-2"),
              d.refusal("book_appointment", **_slot("BK-1", "2026-11-25T10:00")),
              d.refusal("book_appointment", **_slot("BK-9", "2026-11-25T10:00", "x")),
              d.refusal("book_appointment", **_slot("BK-9", "2026-11-25T10:00",
                                                    "2026-11-25T09:00")),
              d.refusal("book_appointments", bookings=[_slot("BK-1", "2026-11-25T10:00"),
                                                       _slot("BK-7", "2026-11-25T10:00"),
                                                       _slot("BK-7", "2026-11-25T10:00")])]
    d.do("issue_ticket", kind="appointment", appointment="BK-1")
    found.append(d.refusal("issue_ticket", kind="appointment", appointment="BK-1"))
    for _ in range(3):
        d.do("issue_ticket", service="general")
    found.append(d.refusal("rate", counter=1, score=3))
    d.do("call_next", counter=1)
    serving = d.state.counter(1).serving
    found += [d.refusal("rate", counter=1, score=9),
              d.refusal("rate", counter=1, score=3, ticket="A003"),
              d.refusal("transfer", counter=1, service=d.state.tickets[serving].service),
              d.refusal("revive", ticket=serving), d.refusal("call_back", counter=1,
                                                             ticket=serving),
              d.refusal("call_ticket", counter=2, ticket=serving, reason="wheelchair")]
    found.append(d.refusal("rate", counter=1, score=3, reason="attitude"))
    d.do("rate", counter=1, score=1)
    found.append(d.refusal("rate", counter=1, score=3, ticket=serving))
    case = next(iter(d.state.cases))
    found += [d.refusal("case_note", case="20261125-Z999", note="x"),
              d.refusal("acknowledge_alert", key="rating:nobody")]
    d.do("case_close", case=case, outcome="fixed")
    found.append(d.refusal("case_close", case=case, outcome="fixed"))
    d.do("no_show", counter=1)
    d.now += 3600.0
    found.append(d.refusal("revive", ticket=serving))
    d.do("pause", counter=2)
    d.do("close_counter", counter=3)
    found += [d.refusal("call_next", counter=2), d.refusal("call_next", counter=3)]
    d.state.next_number["reimburse"] = MAX_NUMBER
    found.append(d.refusal("issue_ticket", service="reimburse"))
    closed = _Day(small_hall(hours={"days": ["mon", "tue", "wed", "thu", "fri"],
                                    "periods": [{"start": "13:30", "end": "17:00"}]}))
    found.append(closed.refusal("issue_ticket", service="general"))
    for policy in ("refuse", "appointment"):
        late = _Day(small_hall(hours={"days": ["wed"], "periods": [{"start": "08:00",
                                                                     "end": "09:01"}]},
                               beyond_closing=policy))
        found.append(late.refusal("issue_ticket", service="general"))
    for part in range(MAX_COMPONENTS_PER_NODE):
        d.do("report_health", component=f"part-{part}", status="ok", message="")
    found.append(d.refusal("report_health", component="one-more", status="ok", message=""))
    return found + _staff_refusals()


def _staff_refusals() -> list[RuleRefusal]:
    """The staff and ticketing-pause refusals, from commands the console gives for a 工号."""
    d = _Day(small_hall())
    pin_hash = "scrypt$16384$8$1$" + "A" * 22 + "$" + "B" * 43
    d.do("staff_add", id="1024", name="张三", role="clerk", pin_hash=pin_hash)
    d.do("staff_add", id="7", name="李四", role="clerk", pin_hash=pin_hash)
    d.do("staff_disable", id="7")

    def as_staff(staff: str, op: str, **args: Any) -> RuleRefusal:
        with pytest.raises(RuleRefusal) as refused:
            execute(d.state, Command(op, args, "web", staff), d.now)
        return refused.value

    found = [d.refusal("staff_add", id="1024", name="x", role="clerk", pin_hash=pin_hash),
             as_staff("99", "call_next", counter=1), as_staff("7", "call_next", counter=1),
             as_staff("1024", "call_next", counter=1), as_staff("1024", "open_counter", counter=1)]
    d.do("pause_ticketing", reason="")
    found.append(d.refusal("issue_ticket", service="general"))
    return found


@pytest.fixture(scope="module")
def refusals() -> list[RuleRefusal]:
    return _refusals()


def test_the_rules_really_produce_every_refusal_code(refusals: list[RuleRefusal]) -> None:
    produced = {r.code for r in refusals} | {
        row["reason"] for r in refusals for row in r.params.get("rows", ())}
    assert produced == set(REFUSAL_PARAMS)
    for refusal in refusals:
        assert set(refusal.params) == set(REFUSAL_PARAMS[refusal.code]), refusal.code
    assert set(WIRE_CODES) == set(REFUSAL_PARAMS), "every refusal code needs a wire code"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_real_refusal_is_worded_from_its_wire_error(
        refusals: list[RuleRefusal], language: str, caplog: pytest.LogCaptureFixture) -> None:
    hall = small_hall()
    caplog.set_level(logging.WARNING, logger="runtime.messages")
    for refusal in refusals:
        code, message, params = wire_error(refusal)
        assert code in ERROR_CODES and message and params["reason"] == refusal.code
        text = refusal_text(code, params, language, hall=hall)
        assert text == render(f"refusal.{refusal.code}", params, language, hall=hall)
        assert "{" not in text and "}" not in text, text
    assert not caplog.records, [r.getMessage() for r in caplog.records]


def test_words_fill_in_parameters_and_service_names(refusals: list[RuleRefusal]) -> None:
    hall = small_hall()
    by_code = {r.code: r for r in refusals}
    used_up = wire_error(by_code["numbers_used_up"])
    assert used_up[0] == "numbers_used_up"
    assert refusal_both(used_up[0], used_up[2], hall=hall) == (
        "报销今日号码已用完，请咨询工作人员",
        "All numbers of Reimbursement are used today; please ask a member of staff")
    closed = wire_error(by_code["ticketing_closed"])
    assert refusal_both(closed[0], closed[2], hall=hall) == (
        "现在不在取号时间，下次开始取号 13:30", "Ticketing is closed now; it opens again at 13:30")
    rows = wire_error(by_code["bad_bookings"])
    zh = refusal_text(rows[0], rows[2], "zh")
    assert "第 1 行（BK-1）：预约码 BK-1 已存在" in zh and "第 3 行（BK-7）" in zh


def test_a_refusal_without_reason_or_params_still_gets_words() -> None:
    # A broker from before error params sends only the wire code.
    assert refusal_both("too_early", {}) == ("预约未到签到时间", "Too early to check in")
    assert refusal_both("too_early", {"reason": "too_early"}) == (
        "预约未到签到时间", "Too early to check in")
    assert "mystery_code" in refusal_text("mystery_code", None, "en")


def test_every_alert_the_rules_raise_is_worded(caplog: pytest.LogCaptureFixture) -> None:
    plain = small_hall(queue_alert_waiting=2, wait_alert_minutes=5, rating_scale=3)
    limited = plain.model_dump(mode="json")
    limited["services"][0]["time_limit_minutes"] = 5  # general: the time_limit alert
    hall = Hall.model_validate(limited)
    d = _Day(hall)
    events = []
    for op, args in (("close_counter", {"counter": 3}), ("issue_ticket", {"service": "priority"}),
                     *[("issue_ticket", {"service": "general"})] * 3,
                     ("call_next", {"counter": 1}), ("finish", {"counter": 1}),
                     ("rate", {"counter": 1, "score": 1}), ("call_next", {"counter": 1}),
                     ("report_health", {"component": "printer", "status": "warning",
                                        "message": "paper_low"}),
                     ("report_health", {"component": "printer", "status": "fault",
                                        "message": "print_failed: USB cable"}),
                     ("clock_jump", {"change": "jumped", "wall": 0.0, "trusted": 0.0,
                                     "skew_s": -3600.0})):
        outcome = execute(d.state, Command(op, args, "kiosk-1"), d.now)
        events += outcome.events
        d.state = outcome.state
    d.now += 600.0
    events += execute(d.state, Command("tick", {}, "broker"), d.now).events
    raised = [e for e in events if e.type == "alert_raised"]
    assert {e.data["code"] for e in raised} == set(ALERT_CODES)
    caplog.set_level(logging.WARNING, logger="runtime.messages")
    for event in raised:
        assert "message" not in event.data
        assert set(event.data["params"]) == set(ALERT_CODES[event.data["code"]])
        for language in LANGUAGES:
            text = alert_text(event.data["code"], event.data["params"], language, hall=hall)
            assert "{" not in text and text, text
    assert not caplog.records
    fault = next(e for e in raised if e.data["code"] == "node_fault")
    assert alert_text("node_fault", fault.data["params"], "zh") == (
        "设备故障：kiosk-1 printer：号票打印失败 (USB cable)")
    queue = next(e for e in raised if e.data["code"] == "queue_length")
    assert alert_text("queue_length", queue.data["params"], "en", hall=hall) == (
        "General: 3 waiting - please open more counters")


def test_notes_and_node_sentences() -> None:
    assert both("note.nobody_waiting") == ("无人等候", "Nobody is waiting")
    assert both("kiosk.code_too_short", {"min": 4}) == (
        "预约码至少 4 位", "A booking code has at least 4 characters")
    assert render("health.paper_out", language="fr") == "printer out of paper"
