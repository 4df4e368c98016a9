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
CLERK: frozenset[Role] = frozenset({"caller", "web", "admin"})
CONSOLE: frozenset[Role] = frozenset({"web", "admin"})
"""The staff console (for the staff member it names) and the admin."""
EVERY_NODE: frozenset[Role] = frozenset({"kiosk", "display", "caller", "web", "admin"})


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
    manager: bool = False
    """The hall manager's decision: from the staff console only for a ``manager``'s 工号."""
    staffed: bool = False
    """From the staff console (role ``web``) it must name the staff member (envelope
    ``staff``) it acts for; the rules check that member (see docs/protocol.md)."""

    def parse_result(self, result: Mapping[str, Any]) -> r.OpResult:
        """The reply's ``result`` as this op's result model.

        Raises:
            pydantic.ValidationError: the result does not have the op's shape.
        """
        return self.result.model_validate(result)


def _clerk(name: str, args: type[a.OpArgs], result: type[r.OpResult]) -> OpSpec:
    """An op a counter's caller uses for its own counter (a clerk at the console: the
    counter signed in at)."""
    return OpSpec(name, args, result, CLERK, counter_scoped=True, staffed=True)


def _manager(name: str, args: type[a.OpArgs], result: type[r.OpResult]) -> OpSpec:
    """An op of the hall manager: the admin, or the console for a manager's 工号."""
    return OpSpec(name, args, result, CONSOLE, manager=True, staffed=True)


REGISTRY: Mapping[str, OpSpec] = MappingProxyType({spec.name: spec for spec in (
    OpSpec("issue_ticket", a.IssueTicket, r.TicketIssued, KIOSK),
    _clerk("call_next", a.CallNext, r.NextCalled),
    _clerk("recall", a.Recall, r.Recalled),
    _clerk("no_show", a.NoShow, r.TicketState),
    # revive names a ticket, not a counter: the clerk whose visitor came back late
    # puts the ticket back in the queue, wherever it was called.
    OpSpec("revive", a.Revive, r.Requeued, CLERK, staffed=True),
    _clerk("hold", a.Hold, r.TicketState),
    _clerk("call_back", a.CallBack, r.TicketCalled),
    _clerk("transfer", a.Transfer, r.Transferred),
    _clerk("call_ticket", a.CallTicket, r.TicketCalledOutOfOrder),
    _clerk("start", a.Start, r.TicketState),
    _clerk("finish", a.Finish, r.TicketState),
    _clerk("pause", a.Pause, r.CounterModeSet),
    _clerk("resume", a.Resume, r.CounterModeSet),
    # Opening and closing windows is the hall manager's decision, not a clerk's.
    _manager("open_counter", a.OpenCounter, r.CounterModeSet),
    _manager("close_counter", a.CloseCounter, r.CounterClosed),
    _clerk("rate", a.Rate, r.Rated),
    OpSpec("report_health", a.ReportHealth, r.HealthRecorded, EVERY_NODE),
    OpSpec("snapshot", a.Snapshot, r.SnapshotTaken, EVERY_NODE, read_only=True),
    OpSpec("book_appointment", a.BookAppointment, r.AppointmentBooked, ADMIN),
    OpSpec("book_appointments", a.BookAppointments, r.AppointmentsBooked, ADMIN, bulk=True),
    # The service-quality loop (issue #14): acknowledging alerts, 差评 cases.
    _manager("acknowledge_alert", a.AcknowledgeAlert, r.AlertAcknowledged),
    _manager("case_note", a.CaseNote, r.CaseNoted),
    _manager("case_close", a.CaseClose, r.CaseClosed),
    OpSpec("staff_add", a.StaffAdd, r.StaffChanged, ADMIN),
    OpSpec("staff_set_pin", a.StaffSetPin, r.StaffChanged, ADMIN),
    _manager("staff_disable", a.StaffDisable, r.StaffChanged),
    _manager("staff_enable", a.StaffEnable, r.StaffChanged),
    OpSpec("staff_list", a.StaffList, r.StaffListed, CONSOLE, read_only=True),
    OpSpec("staff_credential", a.StaffCredential, r.StaffCredentialRead, CONSOLE,
           read_only=True),
    OpSpec("sign_in", a.SignIn, r.SignedIn, CONSOLE),
    OpSpec("sign_out", a.SignOut, r.SignedOut, CONSOLE),
    _manager("pause_ticketing", a.PauseTicketing, r.TicketingPaused),
    _manager("resume_ticketing", a.ResumeTicketing, r.TicketingPaused),
    _manager("post_notice", a.PostNotice, r.NoticeSet),
    _manager("clear_notice", a.ClearNotice, r.NoticeSet),
)})
"""Every op a request may name, in documentation order."""

OPS: Mapping[str, type[a.OpArgs]] = MappingProxyType(
    {name: spec.args for name, spec in REGISTRY.items()})
"""Every op to the model of its ``args``."""

READ_ONLY_OPS: frozenset[str] = frozenset(n for n, s in REGISTRY.items() if s.read_only)
"""Ops that change nothing: the broker neither journals nor publishes for them."""

BULK_OPS: frozenset[str] = frozenset(n for n, s in REGISTRY.items() if s.bulk)
"""Ops whose request frame may exceed ``MAX_FRAME_BYTES`` (see ``OpSpec.bulk``)."""

MANAGER_OPS: frozenset[str] = frozenset(n for n, s in REGISTRY.items() if s.manager)
"""Ops the console may send only for a manager's 工号 (see ``OpSpec.manager``)."""

STAFFED_OPS: frozenset[str] = frozenset(n for n, s in REGISTRY.items() if s.staffed)
"""Ops the console must send with the envelope's ``staff`` (see ``OpSpec.staffed``)."""

COUNTER_SCOPED_OPS: frozenset[str] = frozenset(
    n for n, s in REGISTRY.items() if s.counter_scoped)
"""Ops a caller may use for its own counter only."""


def ops_for_role(role: Role) -> frozenset[str]:
    """The ops a node of ``role`` may use."""
    return frozenset(name for name, spec in REGISTRY.items() if role in spec.roles)
