"""The op registry is the one table of ops: the rules, the access rules and every reply agree
with it. Each op is driven through the real BrokerService (real journal) and its result is
checked against the op's result model."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker.rules import BROKER_OPS, COMMAND_OPS
from broker.security import Access
from config.schema import Hall
from config.security import Security
from protocol import envelope, errors
from protocol.registry import COUNTER_SCOPED_OPS, OPS, READ_ONLY_OPS, REGISTRY, ops_for_role
from protocol.results import OpResult, SnapshotTaken
from hall_script import run_script

ROLES = ("kiosk", "display", "caller", "web")


def test_the_rules_handle_exactly_the_registrys_state_changing_ops() -> None:
    changing = {name for name, spec in REGISTRY.items() if not spec.read_only}
    # ``tick`` and the other broker ops are the broker's own, never requests: not in the registry.
    assert "tick" in BROKER_OPS and BROKER_OPS <= COMMAND_OPS and not BROKER_OPS & set(REGISTRY)
    assert set(COMMAND_OPS) - BROKER_OPS == changing
    assert READ_ONLY_OPS == {"snapshot", "staff_list", "staff_credential"}


def test_every_op_has_args_result_and_roles_that_fit_together() -> None:
    assert set(OPS) == set(REGISTRY)
    for name, spec in REGISTRY.items():
        assert spec.name == name and OPS[name] is spec.args
        assert issubclass(spec.result, OpResult), name
        assert spec.result.__doc__ and name in spec.result.__doc__, name
        assert "admin" in spec.roles, name
        if spec.counter_scoped:
            assert "counter" in spec.args.model_fields and "caller" in spec.roles, name
    # A caller acts for its own counter: every op it may use that names a counter is scoped.
    for name in ops_for_role("caller"):
        assert ("counter" in OPS[name].model_fields) == (name in COUNTER_SCOPED_OPS), name


@pytest.mark.parametrize("role", ROLES)
def test_the_broker_grants_each_role_exactly_the_registrys_ops(role: str) -> None:
    access = Access(Security(), authenticated=False)
    node = f"{role}-1"
    for name, spec in REGISTRY.items():
        # The console names the staff member it acts for (who may do what: the rules).
        request = envelope.Request("r1", name, node, {}, staff="1" if role == "web" else None)
        _grant, refusal = access.grant(None, request)
        allowed = refusal is None
        assert allowed == (role in spec.roles), (role, name, refusal)
        if not allowed:
            assert refusal is not None and refusal.code == errors.FORBIDDEN


# --- every op through the real broker ---------------------------------------------------------

def test_every_op_answers_with_its_result_model(hall: Hall, tmp_path: Path) -> None:
    results = run_script(hall, tmp_path).results
    assert {op for op, _ in results} == set(REGISTRY), "the script must drive every op"
    for op, result in results:
        model = REGISTRY[op].result
        parsed = REGISTRY[op].parse_result(result)
        assert isinstance(parsed, model)
        # The models ignore unknown keys for compatibility; the broker must send none.
        unknown = set(result) - set(model.model_fields)
        assert not unknown, f"{op} answered keys its result model lacks: {sorted(unknown)}"
    shapes = {(op, result.get("ticket") is None, result.get("status")) for op, result in results}
    assert ("call_next", True, None) in shapes and ("recall", False, "no_show") in shapes


def test_snapshot_result_carries_the_typed_view(hall: Hall, tmp_path: Path) -> None:
    op, result = run_script(hall, tmp_path).results[-1]
    snapshot = REGISTRY[op].parse_result(result)
    assert isinstance(snapshot, SnapshotTaken)
    view = snapshot.view
    assert view.counters[1].number == 1 and view.services["general"].id == "general"
    assert view.health["admin/printer"].status == "warning"


@pytest.mark.parametrize(("doc", "row_start"), [
    ("security.md", "| `{role}-"),  # | `kiosk-*` | kiosk | ...
    ("protocol.md", "| {role} "),  # | kiosk | ... in the ops' introduction
])
def test_the_docs_list_each_roles_ops_as_the_registry_grants_them(doc: str,
                                                                   row_start: str) -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / doc).read_text("utf-8")
    for role in ROLES:
        row = next(line for line in text.splitlines()
                   if line.strip().startswith(row_start.format(role=role)))
        listed = {name for name in row.split("`")[1::2] if name in REGISTRY}
        assert listed == ops_for_role(role), (doc, role)
