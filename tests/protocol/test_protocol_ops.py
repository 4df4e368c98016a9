"""The op catalogue: what each op accepts, and messages that say exactly what is wrong."""

from __future__ import annotations

from typing import Any

import pydantic
import pytest

from protocol import errors
from protocol.errors import ProtocolError
from protocol.ops import OPS, READ_ONLY_OPS, validate_args

EXPECTED_OPS = {
    "issue_ticket", "call_next", "recall", "no_show", "revive", "hold", "call_back", "transfer",
    "call_ticket", "start", "finish", "pause", "resume", "open_counter", "close_counter", "rate",
    "snapshot", "book_appointment", "report_health", "book_appointments",
    "acknowledge_alert", "case_note", "case_close",
    "staff_add", "staff_set_pin", "staff_disable", "staff_enable", "staff_list",
    "staff_credential", "sign_in", "sign_out", "pause_ticketing", "resume_ticketing",
    "post_notice", "clear_notice",
}


def refusal(op: str, args: Any) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        validate_args(op, args)
    return caught.value


def test_catalogue_is_complete_documented_frozen_and_strict() -> None:
    assert set(OPS) == EXPECTED_OPS
    assert READ_ONLY_OPS == {"snapshot", "staff_list", "staff_credential"}
    for op, model in OPS.items():
        assert model.__doc__ and len(model.__doc__.strip()) > 20, op
        assert model.model_config.get("extra") == "forbid", op
        assert model.model_config.get("frozen") is True, op


@pytest.mark.parametrize(("op", "args", "dumped"), [
    ("issue_ticket", {"service": "general"},
     {"service": "general", "kind": "walkin", "appointment": None, "category": None}),
    ("issue_ticket", {"kind": "appointment", "appointment": "BK-2041"},
     {"service": None, "kind": "appointment", "appointment": "BK-2041", "category": None}),
    ("report_health", {"component": "printer", "status": "warning", "message": " paper low "},
     {"component": "printer", "status": "warning", "message": "paper low"}),
    ("issue_ticket", {"service": "general", "kind": "priority"},
     {"service": "general", "kind": "priority", "appointment": None, "category": None}),
    ("issue_ticket", {"service": "appointment", "kind": "appointment", "appointment": "BK-2041"},
     {"service": "appointment", "kind": "appointment", "appointment": "BK-2041", "category": None}),
    ("issue_ticket", {"service": "priority", "kind": "priority", "category": "elderly80"},
     {"service": "priority", "kind": "priority", "appointment": None, "category": "elderly80"}),
    ("call_next", {"counter": 3}, {"counter": 3}),
    ("revive", {"ticket": "A012"}, {"ticket": "A012"}),
    ("revive", {"ticket": "Y1024"}, {"ticket": "Y1024"}),
    ("call_back", {"counter": 1, "ticket": "A012"}, {"counter": 1, "ticket": "A012"}),
    ("transfer", {"counter": 2, "service": "reimburse"}, {"counter": 2, "service": "reimburse"}),
    ("call_ticket", {"counter": 1, "ticket": "A015", "reason": "  回访 / returning  "},
     {"counter": 1, "ticket": "A015", "reason": "回访 / returning"}),
    ("rate", {"counter": 1, "score": 5}, {"counter": 1, "score": 5, "ticket": None,
                                                   "reason": None}),
    ("recall", {"counter": 1}, {"counter": 1, "slow": False}),
    ("recall", {"counter": 1, "slow": True}, {"counter": 1, "slow": True}),
    ("snapshot", {}, {}),
    ("book_appointment", {"code": "BK-2041", "service": "general",
                          "start": "2026-11-25T09:30", "end": "2026-11-25 10:00:00"},
     {"code": "BK-2041", "service": "general", "start": "2026-11-25T09:30",
      "end": "2026-11-25 10:00:00"}),
])
def test_valid_args_come_back_normalised(op: str, args: dict[str, Any],
                                         dumped: dict[str, Any]) -> None:
    model = validate_args(op, args)
    assert model.model_dump() == dumped
    with pytest.raises(pydantic.ValidationError):
        model.counter = 9  # type: ignore[attr-defined]  # frozen


@pytest.mark.parametrize("op", ["call_next", "no_show", "hold", "start", "finish",
                                "pause", "resume", "open_counter", "close_counter"])
def test_counter_ops_take_exactly_a_counter(op: str) -> None:
    assert validate_args(op, {"counter": 1}).model_dump() == {"counter": 1}
    assert refusal(op, {}).message == f"{op}: args.counter: missing"


def test_unknown_op_names_the_known_ones_and_suggests() -> None:
    err = refusal("call_nxt", {})
    assert err.code == errors.UNKNOWN_OP
    assert "unknown op 'call_nxt'" in err.message
    assert "did you mean 'call_next'?" in err.message
    assert all(op in err.message for op in EXPECTED_OPS)


@pytest.mark.parametrize(("op", "args", "message"), [
    ("call_next", {"counter": "three"}, "call_next: args.counter: must be an integer, got 'three'"),
    ("call_next", {"counter": "3"}, "call_next: args.counter: must be an integer, got '3'"),
    ("call_next", {"counter": 3.0}, "call_next: args.counter: must be an integer, got 3.0"),
    ("call_next", {"counter": True}, "call_next: args.counter: must be an integer, got true"),
    ("call_next", {"counter": 0}, "call_next: args.counter: must be at least 1, got 0"),
    ("rate", {"counter": 1, "score": 6}, "rate: args.score: must be at most 5, got 6"),
    ("revive", {"ticket": "a12"},
     "revive: args.ticket: must be a ticket number like 'A012' (a capital letter and 3-5 "
     "digits), got 'a12'"),
    ("snapshot", {"all": True}, "snapshot: args.all: unknown argument (this op takes no args)"),
    ("call_back", {"counter": 1, "tickt": "A001"},
     "call_back: args.ticket: missing; args.tickt: unknown argument (did you mean 'ticket'?)"),
    ("issue_ticket", {"kind": "walkin"},
     "issue_ticket: args.service: required (the service id of the ticket)"),
    ("report_health", {"component": "printer", "status": "broken"},
     "report_health: args.status: must be one of 'ok', 'warning' or 'fault', got 'broken'"),
    ("issue_ticket", {"service": "general", "kind": "vip"},
     "issue_ticket: args.kind: must be one of 'walkin', 'priority' or 'appointment', got 'vip'"),
    ("issue_ticket", {"service": "general", "kind": "appointment"},
     "issue_ticket: args.appointment: required when kind is 'appointment' (the booking code)"),
    ("issue_ticket", {"service": "general", "appointment": "BK-2041"},
     "issue_ticket: args.appointment: only allowed when kind is 'appointment', kind is 'walkin'"),
    ("issue_ticket", {"service": "general", "category": "elderly80"},
     "issue_ticket: args.category: only allowed when kind is 'priority', kind is 'walkin'"),
    ("call_ticket", {"counter": 1, "ticket": "A012", "reason": "   "},
     "call_ticket: args.reason: must not be empty"),
    ("call_ticket", {"counter": 1, "ticket": "A012", "reason": "x" * 201},
     "call_ticket: args.reason: must have at most 200 characters"),
    ("call_next", [1], "call_next: args must be an object, got an array"),
])
def test_bad_args_message(op: str, args: Any, message: str) -> None:
    err = refusal(op, args)
    assert err.code == errors.BAD_ARGS
    assert err.message == message


def test_every_problem_is_listed() -> None:
    err = refusal("call_ticket", {"ticket": "12", "reason": "", "extra": 1})
    problems = err.message.removeprefix("call_ticket: ").split("; ")
    assert sorted(problems) == sorted([
        "args.counter: missing",
        "args.ticket: must be a ticket number like 'A012' (a capital letter and 3-5 digits), "
        "got '12'",
        "args.reason: must not be empty",
        "args.extra: unknown argument (expected only: counter, ticket, reason)",
    ])


@pytest.mark.parametrize(("args", "words"), [
    ({"start": "2026-11-25T09:30+08:00"}, "args.start: must be a local date-time"),
    ({"start": "2026-11-25"}, "args.start: must be a local date-time"),
    ({"end": "2026-13-25T10:00"}, "args.end: is not a real date-time"),
    ({"end": "2026-11-25T09:00"}, "args.end: must be after start"),
    ({"code": "BK"}, "args.code: must be a booking code of 4-32 letters, digits or '-'"),
    ({"service": "General"}, "args.service: must be a service id"),
])
def test_book_appointment_checks(args: dict[str, Any], words: str) -> None:
    base = {"code": "BK-2041", "service": "general", "start": "2026-11-25T09:30",
            "end": "2026-11-25T10:00"}
    err = refusal("book_appointment", {**base, **args})
    assert err.code == errors.BAD_ARGS
    assert words in err.message
