"""Shared helpers of the display tests: a hall with names, views built like the broker's."""

from __future__ import annotations

from typing import Any

from config.schema import Hall
from protocol.view import PublicView


def named_hall(**displays: Any) -> Hall:
    """Four counters (two named), three services, notices, and the given display entries."""
    return Hall.model_validate({
        "name": {"zh": "测试服务大厅", "en": "Test Service Hall"},
        "notices": [{"zh": "投诉电话：12345", "en": "Complaints: 12345"}],
        "services": [
            {"id": "general", "prefix": "A", "name": {"zh": "综合业务", "en": "General"}},
            {"id": "reimburse", "prefix": "C", "name": {"zh": "报销", "en": "Reimbursement"}},
            {"id": "priority", "prefix": "Y", "name": {"zh": "优先办理", "en": "Priority"},
             "priority": True},
        ],
        "counters": [
            {"number": 1, "name": {"zh": "1号窗口", "en": "Counter 1"},
             "services": ["general"]},
            {"number": 2, "services": ["reimburse"]},
            {"number": 3, "name": {"zh": "3号窗口（优先）", "en": "Counter 3 (Priority)"},
             "services": ["priority", "general"]},
            {"number": 4, "services": ["reimburse"]},
        ],
        "displays": list(displays.get("displays", [{"id": "display-1"}])),
    })


def counter(number: int, mode: str = "open", serving: str | None = None) -> dict[str, Any]:
    return {"number": number, "mode": mode, "serving": serving, "service": None,
            "called_at": None, "recalls": 0, "held": [], "last_finished": None,
            "last_finished_at": None, "services": []}


def view(calls: list[tuple[str, int, float, bool]] | None = None,
         counters: dict[int, dict[str, Any]] | None = None,
         services: dict[str, dict[str, Any]] | None = None) -> PublicView:
    """A public view, typed: ``calls`` newest first as (ticket, counter, at, recall)."""
    base = {n: counter(n) for n in (1, 2, 3, 4)}
    base.update(counters or {})
    return PublicView.parse({
        "day": "2026-11-25", "clock": 0.0,
        "counters": {str(n): c for n, c in base.items()},
        "services": {sid: {"id": sid, **line} for sid, line in (services or {}).items()},
        "recent_calls": [{"ticket": t, "counter": c, "at": at, "recall": r}
                         for t, c, at, r in (calls or [])],
        "health": {}, "alerts": {},
    })
