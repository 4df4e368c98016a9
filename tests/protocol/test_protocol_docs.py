"""docs/protocol.md must not fall behind the code: every op, error code, event type and public
view key is documented, and every JSON example in it parses."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from broker.refusals import WIRE_CODES
from broker.rules import EVENT_TYPES
from broker.rules.alerts import ALERT_CODES
from broker.rules.refusals import REFUSAL_PARAMS
from protocol.errors import ERROR_CODES
from protocol.ops import OPS

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
_FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@pytest.fixture(scope="module")
def doc() -> str:
    assert DOC.is_file(), f"{DOC} is missing; it documents the public wire contract"
    return DOC.read_text(encoding="utf-8")


def _documented(doc: str, name: str) -> bool:
    """True when ``name`` appears in backticks or as (part of) a heading."""
    if f"`{name}`" in doc:
        return True
    heading = re.compile(rf"^#+\s.*(?<![\w.]){re.escape(name)}(?![\w.])", re.MULTILINE)
    return heading.search(doc) is not None


def _missing(doc: str, names: list[str]) -> list[str]:
    return [name for name in names if not _documented(doc, name)]


def test_every_op_is_documented(doc: str) -> None:
    missing = _missing(doc, list(OPS))
    assert not missing, f"ops in protocol.ops.OPS not documented in {DOC.name}: {missing}"


def test_every_error_code_is_documented(doc: str) -> None:
    missing = _missing(doc, list(ERROR_CODES))
    assert not missing, (f"codes in protocol.errors.ERROR_CODES not documented in "
                         f"{DOC.name}: {missing}")


def test_every_event_type_is_documented(doc: str) -> None:
    missing = _missing(doc, list(EVENT_TYPES))
    assert not missing, (f"event types in broker.rules.EVENT_TYPES not documented in "
                         f"{DOC.name}: {missing}")


def test_every_op_and_event_type_has_its_own_heading(doc: str) -> None:
    headings = set(re.findall(r"^#{3,4} `([a-z_]+)`\s*$", doc, re.MULTILINE))
    missing = sorted((set(OPS) | set(EVENT_TYPES)) - headings)
    assert not missing, f"no ### `name` heading in {DOC.name} for: {missing}"


def test_every_error_code_has_a_table_row(doc: str) -> None:
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", doc, re.MULTILINE))
    missing = [code for code in ERROR_CODES if code not in rows]
    assert not missing, f"no row in the error table of {DOC.name} for: {missing}"


def test_every_refusal_reason_has_a_row_with_its_wire_code_and_params(doc: str) -> None:
    rows = {reason: (wire, params) for reason, wire, params in re.findall(
        r"^\| `([a-z_]+)` \| [^|]+ \| `([a-z_]+)` \| ([^|]*) \|$", doc, re.MULTILINE)}
    wrong = [reason for reason, wire in WIRE_CODES.items()
             if reason not in rows or rows[reason][0] != wire
             or set(re.findall(r"`([a-z_]+)`", rows[reason][1])) != set(REFUSAL_PARAMS[reason])]
    assert not wrong, f"refusal reasons without a right row (reason, wire code, params): {wrong}"


def test_every_alert_code_and_its_params_are_documented(doc: str) -> None:
    rows = dict(re.findall(r"^\| `([a-z_]+)`(?:, `[a-z_]+`)? \| .* \| ([^|]*) \|$", doc,
                           re.MULTILINE))
    rows |= {"node_fault": rows.get("node_warning", "")}
    wrong = [code for code, params in ALERT_CODES.items()
             if set(re.findall(r"`([a-z_]+)`", rows.get(code, ""))) != set(params)]
    assert not wrong, f"alert codes without their params in {DOC.name}: {wrong}"


def test_error_replies_document_params(doc: str) -> None:
    assert "`error.params`" in doc and "params.reason" in doc


def test_every_json_block_parses(doc: str) -> None:
    blocks = [(doc.count("\n", 0, m.start()) + 1, m.group(2))
              for m in _FENCE.finditer(doc) if m.group(1) == "json"]
    assert blocks, f"no ```json blocks found in {DOC.name}"
    broken = []
    for line, text in blocks:
        try:
            json.loads(text)
        except ValueError as err:
            broken.append(f"line {line}: {err}")
    assert not broken, f"JSON blocks in {DOC.name} that do not parse: {broken}"


def test_json_examples_speak_the_documented_version(doc: str) -> None:
    """Every example envelope (request, reply, event, heartbeat) carries ``"v": 1``."""
    from protocol.envelope import VERSION

    for match in _FENCE.finditer(doc):
        if match.group(1) != "json":
            continue
        obj = json.loads(match.group(2))
        if isinstance(obj, dict) and "v" in obj:
            assert obj["v"] == VERSION, match.group(2)[:120]


def _sample_view(hall: Any) -> dict[str, Any]:
    """The public view after a ticket, a call, a ticket waiting and a health fault, so every
    list and map has entries."""
    from broker.rules import COMMAND_OPS, Command, execute, initial_state, public_view

    state = initial_state(hall)
    now = datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()
    for op, args, node in (
        ("issue_ticket", {"service": "general"}, "kiosk-1"),
        ("call_next", {"counter": 1}, "caller-1"),
        ("issue_ticket", {"service": "general"}, "kiosk-1"),  # one waiting: one place
        ("report_health", {"component": "printer", "status": "fault", "message": "paper out"},
         "kiosk-1"),
    ):
        if op in COMMAND_OPS:
            state = execute(state, Command(op, args, node), now).state
    return public_view(state)


def test_every_public_view_key_is_documented(doc: str, hall: Any) -> None:
    view = _sample_view(hall)
    keys = set(view)
    for value in view.values():
        # counters/services/health/alerts/cases are objects of entries, recent_calls a list
        entries = list(value.values()) if isinstance(value, dict) else value
        if isinstance(entries, list):
            for entry in entries:
                if isinstance(entry, dict):
                    keys |= set(entry)
    missing = sorted(key for key in keys if f"`{key}`" not in doc)
    assert not missing, f"public view keys not documented in {DOC.name}: {missing}"
