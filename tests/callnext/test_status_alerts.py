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
    for alert in snapshot["view"]["alerts"]:
        del alert["code"], alert["params"]
    text = format_status(small_hall(), SnapshotTaken.model_validate(snapshot))
    assert "  ! unserved priority (value 1, threshold 0)" in text
