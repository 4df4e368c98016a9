"""One rounding rule for the wait people are told: the broker publishes ``wait_min``."""

from __future__ import annotations

import pytest

from broker.rules import Command, execute, initial_state, public_view
from broker.rules.estimates import wait_minutes
from config.schema import Hall
from tests.conftest import at


@pytest.mark.parametrize(("estimate", "told"), [
    (8.3, 9),  # the wall said 9 and the kiosk 8 before; now everyone says 9
    (8.0, 8),  # next to a published 8.0, never 9
    (0.2, 1),  # "about 0 minutes" is not a wait
    (None, None),  # nobody serves the line: no number at all
])
def test_the_estimate_is_rounded_up_to_whole_minutes(estimate: float | None,
                                                     told: int | None) -> None:
    assert wait_minutes(estimate) == told


def test_the_view_and_the_ticket_tell_the_same_whole_minutes(hall: Hall) -> None:
    # general: 10 min per visitor, three open counters: 3.3 min for the next ticket.
    state = initial_state(hall)
    general = public_view(state)["services"]["general"]
    assert (general["estimate_min"], general["wait_min"]) == (3.3, 4)
    issued = execute(state, Command("issue_ticket", {"service": "general"}), at("09:00"))
    assert (issued.result["estimate_min"], issued.result["wait_min"]) == (3.3, 4)
    after = public_view(issued.state)["services"]["general"]
    assert (after["estimate_min"], after["wait_min"]) == (6.7, 7)
    for number in (1, 2, 3):
        issued = execute(issued.state, Command("close_counter", {"counter": number}),
                         at("09:01"))
    nobody = public_view(issued.state)["services"]["general"]
    assert (nobody["estimate_min"], nobody["wait_min"]) == (None, None)
