"""The result of every op: one frozen pydantic model per kind of answer.

A node parses a reply's ``result`` with the op's model (``protocol.registry``,
or ``RequestClient.call``) instead of reading a dict with ``.get``. Models ignore
keys they do not know, so an older node keeps working against a newer broker
(docs/protocol.md §7); tests check that the broker sends no key a model lacks.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from protocol.view import CounterMode, HealthStatus, NoticeView, PublicView

TicketKind = Literal["walkin", "priority", "appointment"]
TicketStatus = Literal["waiting", "serving", "held", "no_show", "finished", "expired"]


class OpResult(BaseModel):
    """Base of every op's result: frozen, unknown keys ignored.

    Built on first use (as ``protocol.args.OpArgs``): the broker never parses results, a
    node only those of the ops it sends (#17).
    """

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)


class TicketIssued(OpResult):
    """``issue_ticket``: the new ticket, its place in line and the estimated wait."""

    ticket: str
    service: str
    kind: TicketKind
    ahead: int
    estimate_min: float | None
    wait_min: int | None = None
    """``estimate_min`` as whole minutes for people (the view's rounding rule)."""
    issued_at: float
    expected_at: float | None
    late: bool
    after_hours: bool
    category: str | None = None
    """The priority category of a priority ticket (``[[priority_categories]]`` id), if any."""
    beyond_closing: bool = False
    """``expected_at`` falls after the end of today's last opening period (延时服务)."""
    track: str | None = None
    """The ticket's phone token (its QR code holds ``[web] public_url`` + ``/t/<track>``);
    only in this reply, never in the view, an event, the display or speech."""


class TicketState(OpResult):
    """``no_show``, ``hold``, ``start``, ``finish``: a ticket and its new status."""

    ticket: str
    status: TicketStatus


class TicketCalled(TicketState):
    """``call_back``: the ticket called to the counter, and the one finished first."""

    service: str
    counter: int
    finished: str | None = None


class NextCalled(OpResult):
    """``call_next``: the ticket called (None when nobody waits) and the one finished first."""

    ticket: str | None
    service: str | None = None
    status: TicketStatus | None = None
    counter: int | None = None
    finished: str | None = None
    waiting: int
    note: Literal["nobody_waiting"] | None = None
    """``nobody_waiting`` only when nobody waits (nodes word it from their catalogue)."""


class TicketCalledOutOfOrder(TicketCalled):
    """``call_ticket``: as ``call_back``, and whether machine order would have chosen another."""

    out_of_order: bool


class Recalled(TicketState):
    """``recall``: the recall count, or a no-show once the recall cap was reached."""

    recalls: int
    note: Literal["recall_limit"] | None = None
    """``recall_limit`` only when the recall cap turned the recall into a no-show."""


class Requeued(TicketState):
    """``revive``: the ticket is waiting again with ``ahead`` tickets before it."""

    ahead: int


class Transferred(Requeued):
    """``transfer``: the ticket waits in ``service``'s line now."""

    service: str


class CounterModeSet(OpResult):
    """``pause``, ``resume``, ``open_counter``: the counter's mode and whether it changed."""

    counter: int
    mode: CounterMode
    changed: bool


class CounterClosed(CounterModeSet):
    """``close_counter``: also the tickets put back at the front of their lines."""

    requeued: tuple[str, ...]


class Rated(OpResult):
    """``rate``, ``rate_visit``: the ticket rated, its score and whether it counts as negative
    (差评)."""

    ticket: str
    score: int
    negative: bool
    case: str | None = None
    """The 差评 case a negative rating opened."""


class AppointmentBooked(OpResult):
    """``book_appointment``: the booked slot in epoch seconds."""

    code: str
    service: str
    start_at: float
    end_at: float


class AppointmentsBooked(OpResult):
    """``book_appointments``: how many slots were booked (all rows or none)."""

    booked: int


class HealthRecorded(OpResult):
    """``report_health``: the report as recorded (the node is the envelope's)."""

    node: str
    component: str
    status: HealthStatus


class SnapshotTaken(OpResult):
    """``snapshot``: the whole public view, the seq it reflects and the broker's clock."""

    seq: int
    now: float | None = None
    view: PublicView
    hall: str | None = None
    """The hall id of the broker's journal (None from brokers before it was added)."""
    epoch: str | None = None
    """The journal's epoch: a new one means a new history, so mirrors reload."""


class AlertAcknowledged(OpResult):
    """``acknowledge_alert``: the alert's key and whether it was cleared (a sticky one)."""

    key: str
    cleared: bool


class CaseNoted(OpResult):
    """``case_note``: the case and how many notes it has now."""

    case: str
    notes_count: int


class CaseClosed(OpResult):
    """``case_close``: the case, its outcome and whether it closed before its due time."""

    case: str
    outcome: str
    in_time: bool


StaffRole = Literal["clerk", "manager"]


class StaffMember(OpResult):
    """One staff member as anyone may see it: never the PIN hash."""

    id: str
    name: str
    role: StaffRole
    enabled: bool
    counter: int | None = None
    """The counter the member is signed in at, if any."""


class StaffChanged(StaffMember):
    """``staff_add``, ``staff_set_pin``, ``staff_disable``, ``staff_enable``: the member
    as now recorded, and whether anything changed."""

    changed: bool = True


class StaffListed(OpResult):
    """``staff_list``: every staff member, ordered by id."""

    staff: tuple[StaffMember, ...]


class StaffCredentialRead(OpResult):
    """``staff_credential``: one member with the PIN hash, for the console's own check."""

    id: str
    name: str
    role: StaffRole
    enabled: bool
    pin_hash: str = Field(repr=False)


class SignedIn(OpResult):
    """``sign_in``: who is signed in, with what role, at which counter (None: no counter)."""

    staff: str
    name: str
    role: StaffRole
    counter: int | None = None


class SignedOut(OpResult):
    """``sign_out``: who, and the counter they left (None when at none)."""

    staff: str
    counter: int | None = None


class TicketingPaused(OpResult):
    """``pause_ticketing``, ``resume_ticketing``: whether the manager's pause is on now and
    whether this command changed it."""

    paused: bool
    changed: bool


class NoticeSet(OpResult):
    """``post_notice``, ``clear_notice``: the notice shown now (None: none) and whether
    this command changed it."""

    notice: NoticeView | None = None
    changed: bool = True


class TrackFound(OpResult):
    """``track``: the ticket a phone token belongs to, the hall day it was issued on, the
    ticket's status and whether it was rated (a restarted web node did not hear how a visit
    ended; an older broker sends neither: None and False)."""

    ticket: str
    day: str | None
    status: str | None = None
    rated: bool = False
