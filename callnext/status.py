"""``callnext status``: the live hall from a running broker, as staff read it."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Callable, Collection, Mapping, TextIO

import zmq

from foundation.text import pad
from config.load import load_hall
from config.schema import Hall
from protocol.client import RequestClient
from protocol.results import SnapshotTaken
from config import hours
from config.rating import LEVELS
from protocol.view import AlertView, CaseView
from runtime.messages import alert_text, render


def _minutes(since: float | None, now: float) -> str:
    return "-" if since is None else f"{max(0.0, now - since) / 60.0:.0f}"


def _wait(wait_min: int | None) -> str:
    return "-" if wait_min is None else str(wait_min)


def alert_line(hall: Hall, alert: Mapping[str, Any]) -> str:
    """One alert (a view entry or ``alert_raised`` data) as staff read it: the catalogue's
    words in Chinese, then English."""
    code, params = str(alert.get("code") or alert["kind"]), alert.get("params")
    return (f"{alert_text(code, params, 'zh', hall=hall)} / "
            f"{alert_text(code, params, 'en', hall=hall)}")


def _alert_row(hall: Hall, alert: AlertView) -> str:
    if alert.code:
        # "!!" stays until a manager acknowledges it; "(ack)" is silenced but still holds.
        mark = "!!" if alert.sticky else "!"
        seen = (f" ({_words('status.acknowledged')} {alert.acknowledged_by or '-'})"
                if alert.acknowledged else "")
        return (f"  {mark} {alert_line(hall, {'code': alert.code, 'params': alert.params})}"
                f"{seen}  [{alert.key}]")
    # A broker from before alerts carried codes and parameters: its facts as they are.
    return (f"  ! {alert.kind} {alert.service or ''} "
            f"(value {alert.value:g}, threshold {alert.threshold:g})")


_COUNTER_COLS = (14, 14, 12, 14, 0)
_SERVICE_COLS = (48, 14, 18, 15, 0)


def _row(cells: list[str], columns: tuple[int, ...]) -> str:
    return "  " + "".join(pad(cell, cols) if cols else cell for cell, cols in zip(cells, columns, strict=True))


def format_status(hall: Hall, snapshot: SnapshotTaken, now: float | None = None) -> str:
    """Render a snapshot as the tables staff read: counters, queues, alerts.

    Args:
        hall: the hall's configuration (for names).
        snapshot: the ``snapshot`` op's result, typed (``seq``, ``now`` and ``view``).
        now: the time waits are measured to (default: the broker's clock in the snapshot).
    """
    view = snapshot.view
    if now is None:
        now = snapshot.now if snapshot.now is not None else time.time()
    lines = [f"{hall.name.zh} / {hall.name.en} — {view.day or '-'} (seq {snapshot.seq})",
             summary_line(view.alerts.values(), view.cases.values()), ""]
    modes = {"open": "开放 open", "paused": "暂停 paused", "closed": "关闭 closed"}
    lines.append(_row(["窗口 Counter", "状态 State", "工号 Staff", "叫号 Serving", "暂存 Held"],
                      _COUNTER_COLS))
    for number, counter in view.counters.items():
        # The signed-in 工号 only (the view never carries a name): who answers for the counter.
        lines.append(_row([str(number), modes[counter.mode], counter.staff or "-",
                           counter.serving or "-", ", ".join(counter.held) or "-"],
                          _COUNTER_COLS))
    lines += ["", _row(["业务 Service", "等候 Waiting", "最长 Longest min", "预计 Est. min",
                        "下一位 Next"], _SERVICE_COLS)]
    for service in hall.services:
        queue = view.services.get(service.id)
        if queue is None:
            continue
        name = f"{service.prefix} {service.name.zh} {service.name.en}"
        lines.append(_row([name, str(queue.waiting), _minutes(queue.longest_since, now),
                           _wait(queue.wait_min), " ".join(queue.next[:3]) or "-"],
                          _SERVICE_COLS))
    lines += ["", f"告警 Alerts: {len(view.alerts)}"]
    lines += [_alert_row(hall, alert) for alert in view.alerts.values()]
    return "\n".join(lines + case_lines(hall, view.cases.values()))


def summary_line(alerts: Collection[AlertView], cases: Collection[CaseView]) -> str:
    """What a manager must act on, at the top: alerts, and the 差评 cases still open
    (overdue among them), before the tables that list them."""
    waiting = [c for c in cases if c.state != "closed"]
    overdue = sum(1 for c in waiting if c.state == "overdue")
    return (f"告警 Alerts: {len(alerts)} · 待办差评 Open cases: {len(waiting)} "
            f"(逾期 overdue: {overdue})")


_CASE_COLS = (16, 14, 12, 28, 14, 18, 0)


def _words(key: str) -> str:
    return f"{render(key, {}, 'zh')} {render(key, {}, 'en')}"


def case_lines(hall: Hall, cases: Collection[CaseView]) -> list[str]:
    """The 差评 cases staff must follow up: open and overdue first, then those closed today."""
    waiting = [c for c in cases if c.state != "closed"]
    lines = ["", f"{render('status.cases', {}, 'zh')}: {len(waiting)} "
             f"(+{len(cases) - len(waiting)} closed)"]
    if not cases:
        return lines
    lines.append(_row(["编号 Case", "窗口 Ctr", "工号 Staff", "评价 Level / 原因 Reason",
                       "期限 Due", "状态 State", "结果 Outcome"], _CASE_COLS))
    order = {"overdue": 0, "open": 1, "closed": 2}
    for case in sorted(cases, key=lambda c: (order[c.state], c.due_at, c.id)):
        level = LEVELS.get(case.scale, ())
        label = level[case.level - 1] if 0 < case.level <= len(level) else str(case.level)
        reason = f" / {render(f'rating.reason.{case.reason}', {}, 'zh')}" if case.reason else ""
        # due_at is the midnight ending the due day: show that day.
        due = hours.local(hall, case.due_at - 1.0).strftime("%Y-%m-%d")
        outcome = _words(f"case.outcome.{case.outcome}") if case.outcome else "-"
        lines.append(_row([case.id, str(case.counter), case.staff or "-",
                           render(f"rating.level.{label}", {}, "zh") + reason, due,
                           _words(f"case.state.{case.state}"), outcome], _CASE_COLS))
    return lines


def print_status(config_path: str, *, endpoint: str | None = None, as_json: bool = False,
                 out: TextIO = sys.stdout,
                 socket_setup: Callable[[zmq.Socket], None] | None = None) -> int:
    """Fetch a snapshot from the broker (as the ``admin`` node) and print it.

    Raises:
        BrokerUnreachable: the broker did not answer (the message says what to check).
    """
    hall = load_hall(config_path)
    with RequestClient(endpoint or hall.broker.command_endpoint(), "admin",
                       timeout_ms=1500, retries=2, socket_setup=socket_setup) as client:
        snapshot = client.request("snapshot", {})
    if as_json:
        print(json.dumps(snapshot, ensure_ascii=False, indent=2), file=out)
    else:
        # The snapshot op's result model (protocol.registry); JSON above prints it as sent.
        print(format_status(hall, SnapshotTaken.model_validate(snapshot)), file=out)
    return 0
