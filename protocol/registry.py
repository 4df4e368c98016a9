"""The op registry: every op a request may name, in one table.

For each op: the model of its ``args``, the model of its ``result``, the roles
that may use it, whether it is read-only (neither journaled nor published) and
whether it is counter-scoped (a caller may use it for its own counter only, the
op's ``counter`` argument). The broker's access rules (``broker.security``), the
args check (``protocol.ops.validate_args``) and typed results
(``RequestClient.call``) all read this table; a test checks that the queue
rules handle exactly its ops that change state.

A new op: add its args model (``protocol.args``), its result model
(``protocol.results``), a row here, its handler in ``broker.rules.decide`` and
its section in docs/protocol.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

from config.security import Role
from protocol import args as a
from protocol import results as r

ADMIN: frozenset[Role] = frozenset({"admin"})
KIOSK: frozenset[Role] = frozenset({"kiosk", "admin"})
CLERK: frozenset[Role] = frozenset({"caller", "admin"})
EVERY_NODE: frozenset[Role] = frozenset({"kiosk", "display", "caller", "admin"})
MANAGER: frozenset[Role] = frozenset({"admin"})
"""Manager ops (acknowledging alerts, 差评 cases): admin; the staff contract adds role web
with a manager's ``staff`` (checked by the rules, ``broker.rules.cases.check_manager``)."""


@dataclass(frozen=True)
class OpSpec:
    """What the protocol knows of one op."""

    name: str
    args: type[a.OpArgs]
    result: type[r.OpResult]
    roles: frozenset[Role]
    """Roles that may use it; ``admin`` is in every op's roles."""
    read_only: bool = False
    """Changes nothing: answered from memory, neither journaled nor published."""
    counter_scoped: bool = False
    """A caller may use it only for its own counter (its ``counter`` argument)."""
    bulk: bool = False
    """Its request may be up to ``protocol.envelope.MAX_BULK_FRAME_BYTES`` (one import stays
    one all-or-nothing command); only from a sender whose role may use a bulk op."""

    def parse_result(self, result: Mapping[str, Any]) -> r.OpResult:
        """The reply's ``result`` as this op's result model.

        Raises:
            pydantic.ValidationError: the result does not have the op's shape.
        """
        return self.result.model_validate(result)


def _clerk(name: str, args: type[a.OpArgs], result: type[r.OpResult]) -> OpSpec:
    """An op a counter's caller uses for its own counter."""
    return OpSpec(name, args, result, CLERK, counter_scoped=True)


REGISTRY: Mapping[str, OpSpec] = MappingProxyType({spec.name: spec for spec in (
    OpSpec("issue_ticket", a.IssueTicket, r.TicketIssued, KIOSK),
    _clerk("call_next", a.CallNext, r.NextCalled),
    _clerk("recall", a.Recall, r.Recalled),
    _clerk("no_show", a.NoShow, r.TicketState),
    # revive names a ticket, not a counter: the clerk whose visitor came back late
    # puts the ticket back in the queue, wherever it was called.
    OpSpec("revive", a.Revive, r.Requeued, CLERK),
    _clerk("hold", a.Hold, r.TicketState),
    _clerk("call_back", a.CallBack, r.TicketCalled),
    _clerk("transfer", a.Transfer, r.Transferred),
    _clerk("call_ticket", a.CallTicket, r.TicketCalledOutOfOrder),
    _clerk("start", a.Start, r.TicketState),
    _clerk("finish", a.Finish, r.TicketState),
    _clerk("pause", a.Pause, r.CounterModeSet),
    _clerk("resume", a.Resume, r.CounterModeSet),
    # Opening and closing windows is the hall manager's decision, not a clerk's.
    OpSpec("open_counter", a.OpenCounter, r.CounterModeSet, ADMIN),
    OpSpec("close_counter", a.CloseCounter, r.CounterClosed, ADMIN),
    _clerk("rate", a.Rate, r.Rated),
    OpSpec("report_health", a.ReportHealth, r.HealthRecorded, EVERY_NODE),
    OpSpec("snapshot", a.Snapshot, r.SnapshotTaken, EVERY_NODE, read_only=True),
    OpSpec("book_appointment", a.BookAppointment, r.AppointmentBooked, ADMIN),
    OpSpec("book_appointments", a.BookAppointments, r.AppointmentsBooked, ADMIN, bulk=True),
    OpSpec("acknowledge_alert", a.AcknowledgeAlert, r.AlertAcknowledged, MANAGER),
    OpSpec("case_note", a.CaseNote, r.CaseNoted, MANAGER),
    OpSpec("case_close", a.CaseClose, r.CaseClosed, MANAGER),
)})
"""Every op a request may name, in documentation order."""

OPS: Mapping[str, type[a.OpArgs]] = MappingProxyType(
    {name: spec.args for name, spec in REGISTRY.items()})
"""Every op to the model of its ``args``."""

READ_ONLY_OPS: frozenset[str] = frozenset(n for n, s in REGISTRY.items() if s.read_only)

BULK_OPS: frozenset[str] = frozenset(n for n, s in REGISTRY.items() if s.bulk)
"""Ops whose request frame may exceed ``MAX_FRAME_BYTES`` (see ``OpSpec.bulk``)."""
"""Ops that change nothing: the broker neither journals nor publishes for them."""

COUNTER_SCOPED_OPS: frozenset[str] = frozenset(
    n for n, s in REGISTRY.items() if s.counter_scoped)
"""Ops a caller may use for its own counter only."""


def ops_for_role(role: Role) -> frozenset[str]:
    """The ops a node of ``role`` may use."""
    return frozenset(name for name, spec in REGISTRY.items() if role in spec.roles)
