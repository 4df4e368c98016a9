"""The pure queue rules: ``apply(state, command, now) -> (state, events)``.

No sockets, files, clocks or threads live here; the broker does the I/O around
these functions and the tests drive them directly.
"""

from broker.rules.decide import BROKER_OPS, COMMAND_OPS, Outcome, apply, execute
from broker.rules.evolve import EVENT_TYPES, evolve, replay
from broker.rules.model import (
    Command,
    CounterState,
    Event,
    HallState,
    RuleRefusal,
    Ticket,
    initial_state,
)
from broker.rules.view import public_view, view_changes

__all__ = [
    "BROKER_OPS", "COMMAND_OPS", "EVENT_TYPES", "Command", "CounterState", "Event", "HallState",
    "Outcome", "RuleRefusal", "Ticket", "apply", "evolve", "execute", "initial_state", "public_view",
    "replay", "view_changes",
]
