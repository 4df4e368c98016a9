"""A scripted morning that uses every op once or more, run through the real BrokerService."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from broker.journal import Journal
from broker.service import BrokerService
from config.schema import Hall
from protocol import envelope
from tests.conftest import at

PIN_HASH = ("scrypt$16384$8$1$s24LetNoZGFEo0qAgOOzAA$"
            "xmucOQIQE7GKW1YaxuKQKg1z3ebBaigfKgEdl_41n34")
"""``foundation.pins.hash_pin("1234")`` once, so the script stays fast and repeatable."""

SCRIPT: list[tuple[str, dict[str, Any]]] = [
    ("call_next", {"counter": 1}),  # nobody waiting: the other shape of call_next's result
    ("book_appointment", {"code": "BK-0001", "service": "appointment",
                          "start": "2026-11-25T09:20", "end": "2026-11-25T09:40"}),
    ("book_appointments", {"bookings": [{"code": "BK-0002", "service": "appointment",
                                         "start": "2026-11-25T10:00",
                                         "end": "2026-11-25T10:20"}]}),
    ("issue_ticket", {"service": "general"}),
    ("issue_ticket", {"service": "general"}),
    ("issue_ticket", {"service": "reimburse"}),
    ("issue_ticket", {"kind": "appointment", "appointment": "BK-0001"}),
    ("call_next", {"counter": 1}),
    ("recall", {"counter": 1}),
    ("start", {"counter": 1}),
    ("hold", {"counter": 1}),
    ("call_back", {"counter": 1, "ticket": "A001"}),
    ("transfer", {"counter": 1, "service": "reimburse"}),
    ("call_ticket", {"counter": 1, "ticket": "A002", "reason": "returning visitor"}),
    ("no_show", {"counter": 1}),
    ("revive", {"ticket": "A002"}),
    ("call_next", {"counter": 2}),
    ("finish", {"counter": 2}),
    ("rate", {"counter": 2, "score": 1, "reason": "efficiency"}),
    ("acknowledge_alert", {"key": "rating:20261125-A001", "note": "seen"}),
    ("case_note", {"case": "20261125-A001", "note": "called the visitor back"}),
    ("case_close", {"case": "20261125-A001", "outcome": "callback_made"}),
    ("call_next", {"counter": 2}),
    ("recall", {"counter": 2}),
    ("recall", {"counter": 2}),
    ("recall", {"counter": 2}),  # over the recall cap: the no-show shape of recall's result
    ("pause", {"counter": 2}),
    ("resume", {"counter": 2}),
    ("close_counter", {"counter": 1}),
    ("open_counter", {"counter": 1}),
    ("report_health", {"component": "printer", "status": "warning", "message": "paper low"}),
    ("staff_add", {"id": "1024", "name": "张三", "role": "clerk", "pin_hash": PIN_HASH}),
    ("staff_add", {"id": "9", "name": "李四", "role": "manager", "pin_hash": PIN_HASH}),
    ("staff_set_pin", {"id": "1024", "pin_hash": PIN_HASH}),
    ("sign_in", {"staff": "1024", "counter": 2}),
    ("staff_list", {}),
    ("staff_credential", {"id": "1024"}),
    ("sign_out", {"staff": "1024"}),
    ("staff_disable", {"id": "1024"}),
    ("staff_enable", {"id": "1024"}),
    ("pause_ticketing", {"reason": "hall full"}),
    ("resume_ticketing", {}),
    ("post_notice", {"zh": "系统维护", "en": "Maintenance", "minutes": 30}),
    ("clear_notice", {}),
    ("snapshot", {}),
]
"""Ops and args, in order; every command is accepted (at 09:00, a minute apart)."""


@dataclass
class Run:
    """What the script produced: each op's result and every published event frame."""

    broker: BrokerService
    results: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    published: list[envelope.Event] = field(default_factory=list)


def run_script(hall: Hall, tmp_path: Path) -> Run:
    """Run ``SCRIPT`` through a BrokerService with a journal in ``tmp_path``."""
    now = [at("09:00")]
    run = Run(BrokerService(hall, Journal(tmp_path / "journal.sqlite3"), lambda: now[0]))
    for index, (op, args) in enumerate(SCRIPT):
        raw = envelope.encode_request(envelope.Request(f"r{index}", op, "admin", args))
        handled = run.broker.handle(raw)
        reply = json.loads(handled.reply)
        if not reply["ok"]:
            raise AssertionError(f"{op} {args} was refused: {reply['error']}")
        run.results.append((op, reply["result"]))
        run.published.extend(envelope.decode_event(frames) for frames in handled.publish)
        now[0] += 60.0
    return run
