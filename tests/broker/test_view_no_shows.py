"""The view's per-counter 过号 list (``counters[n].no_shows``): the staff console revives from it."""

from __future__ import annotations

from broker.rules import public_view
from tests.broker.test_rules import Hall_
from tests.conftest import small_hall


def _no_shows(h: Hall_, counter: int) -> list[dict[str, object]]:
    return public_view(h.state)["counters"][str(counter)]["no_shows"]


def test_a_no_show_is_listed_at_its_counter_until_revived() -> None:
    h = Hall_(small_hall())
    for _ in range(2):
        h.do("issue_ticket", service="general")
    h.do("call_next", counter=1)
    h.do("no_show", counter=1)
    listed = _no_shows(h, 1)
    assert [entry["ticket"] for entry in listed] == ["A001"]
    assert listed[0]["until"] == h.now + 30 * 60.0  # the default 30-minute grace
    assert _no_shows(h, 2) == []
    h.do("revive", ticket="A001", advance_min=5)
    assert _no_shows(h, 1) == []


def test_the_list_is_newest_first_and_each_says_when_its_grace_ends() -> None:
    h = Hall_(small_hall(no_show_grace_minutes=10))
    for _ in range(2):
        h.do("issue_ticket", service="general")
    h.do("call_next", counter=1)
    h.do("no_show", counter=1)
    h.do("call_next", counter=1, advance_min=6)
    h.do("no_show", counter=1)
    assert [e["ticket"] for e in _no_shows(h, 1)] == ["A002", "A001"]
    h.do("issue_ticket", service="reimburse", advance_min=5)  # A001 is now 11 minutes old
    # The view does not drop it by the clock (a view changes only on its counter's events);
    # its ``until`` has passed, so the console greys it out, and the broker refuses a revive.
    listed = {e["ticket"]: e["until"] for e in _no_shows(h, 1)}
    assert listed["A001"] < h.now <= listed["A002"]
