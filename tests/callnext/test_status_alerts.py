"""``callnext status`` words each alert from its code and parameters, in both languages."""

from __future__ import annotations

from typing import Any

from broker.rules import Command, execute, initial_state, public_view
from callnext.status import format_status
from protocol.results import SnapshotTaken
from tests.conftest import at, small_hall


def _snapshot() -> dict[str, Any]:
    hall = small_hall()
    state = initial_state(hall)
    for op, args in (("close_counter", {"counter": 3}), ("issue_ticket", {"service": "priority"}),
                     ("report_health", {"component": "printer", "status": "fault",
                                        "message": "paper_out"})):
        state = execute(state, Command(op, args, "kiosk-1"), at("09:00")).state
    return {"seq": 3, "now": at("09:00"), "view": public_view(state)}


def test_alert_lines_are_worded_by_the_catalogue() -> None:
    text = format_status(small_hall(), SnapshotTaken.model_validate(_snapshot()))
    assert "告警 Alerts: 2" in text
    assert ("  ! 优先办理 有人等候但无窗口受理 / "
            "Priority: visitors waiting but no open counter serves it") in text
    assert ("  ! 设备故障：kiosk-1 printer：打印机缺纸 / "
            "Device fault: kiosk-1 printer: printer out of paper") in text


def test_alerts_of_an_older_broker_still_show_their_facts() -> None:
    snapshot = _snapshot()
    for alert in snapshot["view"]["alerts"].values():
        del alert["code"], alert["params"]
    text = format_status(small_hall(), SnapshotTaken.model_validate(snapshot))
    assert "  ! unserved priority (value 1, threshold 0)" in text


def test_status_lists_sticky_and_acknowledged_alerts_and_the_cases_to_follow_up() -> None:
    hall = small_hall(queue_alert_waiting=1)
    state = initial_state(hall)
    for op, args in (("issue_ticket", {"service": "general"}),
                     ("issue_ticket", {"service": "general"}),
                     ("issue_ticket", {"service": "general"}),
                     ("call_next", {"counter": 1}),
                     ("rate", {"counter": 1, "score": 2, "reason": "efficiency"}),
                     ("acknowledge_alert", {"key": "queue_length:general"})):
        state = execute(state, Command(op, args, "admin"), at("09:00")).state
    snapshot = {"seq": 9, "now": at("09:00"), "view": public_view(state)}
    lines = format_status(hall, SnapshotTaken.model_validate(snapshot)).splitlines()
    assert ("  !! 1 号窗口收到差评（A001） / Counter 1 received a negative rating (A001)  "
            "[rating:20261125-A001]") in lines
    assert any(line.startswith("  ! 综合业务 等候 2 人") and "已确认 acknowledged admin" in line
               for line in lines)
    assert "差评工单 Cases: 1 (+0 closed)" in lines
    (row,) = [line for line in lines if line.startswith("  20261125-A001")]
    # Wednesday 25 November + 5 working days of a hall open every day: 30 November.
    assert row.split() == ["20261125-A001", "1", "-", "不满意", "/", "效率", "2026-11-30",
                           "处理中", "open", "-"]
