"""``callnext status``: the live hall from a running broker, as staff read it."""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

from config.load import load_hall
from config.schema import Hall
from protocol.client import RequestClient


def _minutes(since: float | None, now: float) -> str:
    return "-" if since is None else f"{max(0.0, now - since) / 60.0:.0f}"


def _estimate(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def format_status(hall: Hall, snapshot: dict[str, Any], now: float | None = None) -> str:
    """Render a snapshot as the tables staff read: counters, queues, alerts.

    Args:
        hall: the hall's configuration (for names).
        snapshot: the ``snapshot`` op's result (``seq`` and ``view``).
        now: the time waits are measured to (default: the broker's clock in the snapshot).
    """
    view = snapshot["view"]
    if now is None:
        now = float(snapshot.get("now") or time.time())
    lines = [f"{hall.name.zh} / {hall.name.en} — {view.get('day') or '-'} (seq {snapshot['seq']})",
             "", "窗口 Counter   状态 State   叫号 Serving   暂存 Held"]
    modes = {"open": "开放 open", "paused": "暂停 paused", "closed": "关闭 closed"}
    for key, counter in view["counters"].items():
        lines.append(f"  {key:>4}        {modes.get(counter['mode'], counter['mode']):<12}"
                     f"{counter['serving'] or '-':<14}{', '.join(counter['held']) or '-'}")
    lines += ["", "业务 Service                    等候 Waiting  最长 Longest(min)  预计 Est.(min)  下一位 Next"]
    for service in hall.services:
        queue = view["services"].get(service.id)
        if queue is None:
            continue
        name = f"{service.prefix} {service.name.zh} {service.name.en}"
        lines.append(f"  {name:<30}{queue['waiting']:>6}  {_minutes(queue['longest_since'], now):>14}"
                     f"  {_estimate(queue['estimate_min']):>13}  {' '.join(queue['next'][:3]) or '-'}")
    alerts = view.get("alerts") or []
    lines += ["", f"告警 Alerts: {len(alerts)}"]
    for alert in alerts:
        lines.append(f"  ! {alert['kind']} {alert.get('service') or ''} "
                     f"(value {alert['value']:g}, threshold {alert['threshold']:g})")
    return "\n".join(lines)


def print_status(config_path: str, *, endpoint: str | None = None, as_json: bool = False,
                 out: TextIO = sys.stdout) -> int:
    """Fetch a snapshot from the broker and print it; returns the exit status.

    Raises:
        BrokerUnreachable: the broker did not answer (the message says what to check).
    """
    hall = load_hall(config_path)
    with RequestClient(endpoint or hall.broker.command_endpoint(), "status-cli",
                       timeout_ms=1500, retries=2) as client:
        snapshot = client.request("snapshot", {})
    if as_json:
        print(json.dumps(snapshot, ensure_ascii=False, indent=2), file=out)
    else:
        print(format_status(hall, snapshot), file=out)
    return 0
