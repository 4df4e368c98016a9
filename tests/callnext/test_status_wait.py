"""``callnext status`` shows the broker's wait minutes, the number the wall and kiosk show."""

from __future__ import annotations

from broker.rules.estimates import wait_minutes
from callnext.status import format_status
from protocol.results import SnapshotTaken
from tests.conftest import at, small_hall


def test_status_shows_the_published_wait_minutes_not_its_own_rounding() -> None:
    # 8.3 minutes used to read 8 here (rounded to nearest) and 9 on the wall.
    snapshot = SnapshotTaken.model_validate({"seq": 1, "now": at("09:00"), "view": {
        "day": "2026-11-25",
        "services": {"general": {"id": "general", "prefix": "A", "waiting": 4,
                                 "estimate_min": 8.3, "wait_min": wait_minutes(8.3),
                                 "next": ["A001", "A002"]}}}})
    row = next(line for line in format_status(small_hall(), snapshot).splitlines()
               if "综合业务" in line)
    assert row.split()[-5:] == ["4", "-", "9", "A001", "A002"], row
