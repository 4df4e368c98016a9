"""Shared fixtures: a small hall built in code, a fixed hall-local clock, a bounded wait."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from config.schema import Hall

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(hhmm: str, day: str = "2026-11-25") -> float:
    """Epoch seconds of a hall-local time on a Wednesday."""
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=SHANGHAI).timestamp()


def wait_for(predicate: Callable[[], Any], limit_s: float = 15.0) -> bool:
    """Poll ``predicate`` until it holds or ``limit_s`` passed (then one last look)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


def small_hall(**policies: Any) -> Hall:
    """Four services, three counters, open around the clock unless told otherwise."""
    hours = policies.pop("hours", {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
                                   "periods": [{"start": "00:00", "end": "24:00"}]})
    return Hall.model_validate({
        "name": {"zh": "测试大厅", "en": "Test Hall"},
        "hours": hours,
        "services": [
            {"id": "general", "prefix": "A", "name": {"zh": "综合业务", "en": "General"},
             "expected_minutes": 10},
            {"id": "reimburse", "prefix": "C", "name": {"zh": "报销", "en": "Reimbursement"},
             "expected_minutes": 6},
            {"id": "priority", "prefix": "Y", "name": {"zh": "优先办理", "en": "Priority"},
             "priority": True},
            {"id": "appointment", "prefix": "B", "name": {"zh": "预约办理", "en": "Appointments"}},
        ],
        "counters": [
            {"number": 1, "services": ["general", "reimburse"]},
            {"number": 2, "services": ["reimburse", "general"]},
            {"number": 3, "services": ["priority", "general", "appointment"]},
        ],
        "policies": policies,
    })


@pytest.fixture
def hall() -> Hall:
    """The small hall with default policies."""
    return small_hall()


def _headless_defaults() -> None:
    """Kivy reads these when first imported: render offscreen, keep its files in a temp dir."""
    import os
    import tempfile

    os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="callnext-kivy-"))
    os.environ.setdefault("GPIOZERO_PIN_FACTORY", "mock")
    os.environ.pop("DISPLAY", None)


def pytest_configure(config: pytest.Config) -> None:
    """Set the headless environment before any test module imports Kivy or gpiozero."""
    _headless_defaults()


@pytest.fixture(autouse=True)
def _thawed_heap() -> Iterator[None]:
    """A node process freezes its start-up heap once (``foundation.heap``); in pytest's one
    process that would leave every earlier test's objects out of the collector for the rest
    of the run, so whatever a test froze is thawed after it."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()
