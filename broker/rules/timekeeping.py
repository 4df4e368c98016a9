"""What the broker's clock tells the rules: a wall-clock jump, its end, a new time believed.

The broker owns the clocks (``broker.clock``); the rules only hear, as the
broker's own ``clock_jump`` command, that the wall clock left the broker's time
or came back. The queue's time itself is the ``now`` every command gets, which
a jump never moves; this module only keeps staff informed.
"""

from __future__ import annotations

from typing import Any, Mapping

from broker.rules.alerts import CLOCK_ALERT_KEY, raised_data
from broker.rules.transaction import Tx


def clock_jump(tx: Tx, args: Mapping[str, Any]) -> dict[str, Any]:
    """Alert staff while the wall clock is away from the broker's time; clear it after.

    Args (from the broker, never from a node): ``change`` (``jumped``, ``agreed``
    or ``adopted``), ``wall`` and ``trusted`` (epoch seconds), ``skew_s`` (wall
    minus trusted).
    """
    change = str(args["change"])
    skew_s = float(args.get("skew_s") or 0.0)
    if change == "jumped":
        tx.emit("alert_raised", **raised_data("clock_jump", None, round(skew_s / 60.0, 1), 0.0,
                                              key=CLOCK_ALERT_KEY, source="broker"))
    elif CLOCK_ALERT_KEY in tx.state.alerts:
        tx.emit("alert_cleared", key=CLOCK_ALERT_KEY)
    return {"change": change, "skew_s": round(skew_s, 3)}
