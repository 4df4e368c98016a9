"""The args of every op: one frozen, strict pydantic model per op.

The broker checks every request against these (``protocol.ops.validate_args``)
before its rules see it; nodes may use the models to build args. Models are
strict: JSON types are not coerced (``"3"`` is not a counter number, ``true``
is not an integer), because a wire contract that guesses hides client bugs.
Each model's docstring says what the op does; docs/protocol.md is written from
them. Which op takes which model is ``protocol.registry``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (AfterValidator, BaseModel, ConfigDict, Field, StringConstraints,
                      model_validator)

from foundation.pins import HASH_PATTERN

TICKET_PATTERN = r"^[A-Z][0-9]{3,5}$"
"""A ticket number: the service's prefix and 3-5 digits, e.g. ``A012`` (after 999: ``A1000``)."""

SERVICE_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
"""A service id as configured in the hall file (same rule as config/schema.py)."""

BOOKING_CODE_PATTERN = r"^[A-Za-z0-9-]{4,32}$"
"""An appointment booking code."""

REASON_MAX_CHARS = 200

_LOCAL_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$")


def _local_datetime(text: str) -> str:
    # Keep the caller's text (the broker reads it in hall-local time); only
    # check that it is a real, zone-less date and time.
    if not _LOCAL_DATETIME_RE.match(text):
        raise ValueError("must be a local date-time like '2025-11-25T09:30' "
                         "(ISO-8601, no time zone)")
    try:
        datetime.fromisoformat(text)
    except ValueError as err:
        raise ValueError(f"is not a real date-time ({err})") from err
    return text


CounterNo = Annotated[int, Field(ge=1)]
TicketNo = Annotated[str, Field(pattern=TICKET_PATTERN)]
ServiceId = Annotated[str, Field(pattern=SERVICE_PATTERN)]
BookingCode = Annotated[str, Field(pattern=BOOKING_CODE_PATTERN)]
CategoryId = Annotated[str, Field(pattern=SERVICE_PATTERN)]
"""A priority category id: the same shape as a service id (config.priority)."""
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                          max_length=REASON_MAX_CHARS)]
LocalDateTime = Annotated[str, AfterValidator(_local_datetime)]
RatingReason = Literal["attitude", "efficiency", "competence", "environment", "other"]
"""GB/T 39734 reason categories of a negative rating (broker.rules.rating.REASONS)."""
NOTE_MAX_CHARS = 500
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=NOTE_MAX_CHARS)]
"""A manager's note on an alert or a case (may be empty where optional)."""
CaseId = Annotated[str, Field(pattern=r"^[0-9]{8}-[A-Z][0-9]{3,5}$")]
"""A 差评 case id: the hall day and the ticket, e.g. ``20261204-A001``."""


class OpArgs(BaseModel):
    """Base of every op's args: frozen, strict, unknown keys refused.

    Each op's validator is built when that op is first checked, not at import: a node
    sends a handful of the ops, and the validators of all of them are memory (#17).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


class IssueTicket(OpArgs):
    """Issue a new ticket for a service (kiosk).

    ``kind`` is ``walkin`` (the normal queue), ``priority`` (elderly, disabled,
    military, critical: served first at priority windows) or ``appointment``
    (check-in of a booking; ``appointment`` carries the booking code and is
    required for this kind only; ``service`` may then be left out, the
    booking names it). ``category`` (a ``[[priority_categories]]`` id, e.g.
    ``elderly80``) is allowed with ``kind: "priority"`` only and optional there:
    a priority ticket without one is called after every category. The result
    names the ticket, its position and the estimated wait.
    """

    service: ServiceId | None = None
    kind: Literal["walkin", "priority", "appointment"] = "walkin"
    appointment: BookingCode | None = None
    category: CategoryId | None = None

    @model_validator(mode="after")
    def _appointment_matches_kind(self) -> IssueTicket:
        # Root-level messages start with the field name; see _problem().
        if self.kind == "appointment" and self.appointment is None:
            raise ValueError("appointment: required when kind is 'appointment' "
                             "(the booking code)")
        if self.kind != "appointment" and self.appointment is not None:
            raise ValueError(f"appointment: only allowed when kind is 'appointment', "
                             f"kind is {self.kind!r}")
        if self.kind != "priority" and self.category is not None:
            raise ValueError(f"category: only allowed when kind is 'priority', "
                             f"kind is {self.kind!r}")
        if self.kind != "appointment" and self.service is None:
            raise ValueError("service: required (the service id of the ticket)")
        return self


class CallNext(OpArgs):
    """Call the next ticket, in machine order, to a counter (finishing its current one)."""

    counter: CounterNo


class Recall(OpArgs):
    """Announce the counter's current ticket again."""

    counter: CounterNo
    slow: bool = False
    """Say it slowly and louder, for this one visitor (the clerk saw they hear poorly)."""


class NoShow(OpArgs):
    """Mark the counter's current ticket as not having come (过号); it may be revived
    within the grace period."""

    counter: CounterNo


class Revive(OpArgs):
    """Put a no-show ticket back in the queue, if its grace period has not passed."""

    ticket: TicketNo


class Hold(OpArgs):
    """Set the counter's current ticket aside (e.g. the visitor fetches a document);
    it can be called back later with ``call_back``."""

    counter: CounterNo


class CallBack(OpArgs):
    """Call a held ticket back to the counter that held it."""

    counter: CounterNo
    ticket: TicketNo


class Transfer(OpArgs):
    """Send the counter's current visitor to another service without a new ticket
    (一票到底); the ticket joins that service's queue."""

    counter: CounterNo
    service: ServiceId


class CallTicket(OpArgs):
    """Call a specific ticket out of machine order; ``reason`` is required and audited."""

    counter: CounterNo
    ticket: TicketNo
    reason: Reason


class Start(OpArgs):
    """Record that the called visitor arrived at the counter and service began."""

    counter: CounterNo


class Finish(OpArgs):
    """Finish serving the counter's current ticket (opens its rating window)."""

    counter: CounterNo


class Pause(OpArgs):
    """Pause a counter (briefly unstaffed); other counters keep serving its queue."""

    counter: CounterNo


class Resume(OpArgs):
    """Resume a paused counter."""

    counter: CounterNo


class OpenCounter(OpArgs):
    """Open a counter for the day (or again after closing it)."""

    counter: CounterNo


class CloseCounter(OpArgs):
    """Close a counter; it calls no more tickets until opened again."""

    counter: CounterNo


class Rate(OpArgs):
    """Record the visitor's rating (好差评) at a counter: ``score`` 1 (worst) to the
    hall's scale (3 or 5, best). It rates ``ticket`` when given (the rating pad names
    the ticket it lit up for), otherwise the visitor who finished there within the
    rating window and has not rated yet, otherwise the visitor being served."""

    counter: CounterNo
    score: Annotated[int, Field(ge=1, le=5)]
    ticket: TicketNo | None = None
    reason: RatingReason | None = None
    """Why a negative rating (差评): 态度 / 效率 / 业务 / 环境 / 其他; refused on a
    rating that is not negative."""


class BookAppointments(OpArgs):
    """Book many slots at once (``callnext appointments import``): every row is
    checked first and either all are booked or none is; a refusal lists every bad
    row. Rows have the fields of ``book_appointment``."""

    bookings: Annotated[list[BookAppointment], Field(min_length=1, max_length=5000)]


class ReportHealth(OpArgs):
    """A node reports the health of one of its parts (``printer``, ``audio``,
    ``buttons``...). While ``status`` is not ``ok`` the hall's staff see an alert;
    ``ok`` clears it. The reporting node is the envelope's ``node``."""

    component: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
    status: Literal["ok", "warning", "fault"]
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""


class Snapshot(OpArgs):
    """Read the whole public view and the event ``seq`` it reflects; changes nothing.

    Result: ``{"seq": N, "view": {...}}``. Apply only events with a seq above N.
    """


class BookAppointment(OpArgs):
    """Book an appointment slot for a service under a booking code (hospital/booking
    system); the visitor checks in later with ``issue_ticket`` kind ``appointment``.
    ``start`` and ``end`` are hall-local ISO-8601 date-times, ``end`` after ``start``."""

    code: BookingCode
    service: ServiceId
    start: LocalDateTime
    end: LocalDateTime

    @model_validator(mode="after")
    def _end_after_start(self) -> BookAppointment:
        if datetime.fromisoformat(self.end) <= datetime.fromisoformat(self.start):
            raise ValueError(f"end: must be after start ({self.start!r}), got {self.end!r}")
        return self


class AcknowledgeAlert(OpArgs):
    """A manager acknowledges an alert (by its ``key`` in ``view.alerts``): a sticky alert
    (negative rating, time limit) is cleared, a condition alert silenced until it clears."""

    key: Annotated[str, StringConstraints(min_length=1, max_length=120)]
    note: Note = ""


class CaseNote(OpArgs):
    """A manager records what was done on an open 差评 case."""

    case: CaseId
    note: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                           max_length=NOTE_MAX_CHARS)]


class CaseClose(OpArgs):
    """A manager closes a 差评 case with its outcome: 回访 made (``callback_made``), 整改
    done (``fixed``) or the rating withdrawn by the visitor (``withdrawn``)."""

    case: CaseId
    outcome: Literal["callback_made", "fixed", "withdrawn"]
    note: Note = ""


# --- staff and the manager's hall controls (the staff console) -------------------------------

STAFF_ID_PATTERN = r"^[0-9]{1,16}$"
"""A staff id (工号): 1-16 ASCII digits, as in the request envelope's ``staff``."""

PIN_HASH_PATTERN = HASH_PATTERN
"""A PIN hash as ``foundation.pins.hash_pin`` makes it; the broker never sees a PIN."""

NOTICE_MAX_CHARS = 200

StaffId = Annotated[str, Field(pattern=STAFF_ID_PATTERN)]
StaffName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=40)]
PinHash = Annotated[str, Field(pattern=PIN_HASH_PATTERN, repr=False)]
StaffRole = Literal["clerk", "manager"]
NoticeText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                              max_length=NOTICE_MAX_CHARS)]


class StaffAdd(OpArgs):
    """Add a staff member (admin): 工号 ``id``, ``name``, ``role`` (``clerk`` or
    ``manager``) and the PIN's hash (``foundation.pins.hash_pin``; the PIN never travels).
    The new member is enabled. An id that exists already is refused."""

    id: StaffId
    name: StaffName
    role: StaffRole
    pin_hash: PinHash


class StaffSetPin(OpArgs):
    """Replace a staff member's PIN hash (admin), e.g. after a forgotten PIN."""

    id: StaffId
    pin_hash: PinHash


class StaffDisable(OpArgs):
    """Disable a staff member (admin or a manager at the console): they can no longer sign
    in or act, and are signed out of their counter."""

    id: StaffId


class StaffEnable(OpArgs):
    """Enable a disabled staff member again (admin or a manager at the console)."""

    id: StaffId


class StaffList(OpArgs):
    """List every staff member: id, name, role, enabled and the counter signed in at
    (never a PIN hash); changes nothing."""


class StaffCredential(OpArgs):
    """Read one staff member's record with the PIN hash, for the staff console to check a
    PIN itself (admin and the console only); changes nothing, never logged."""

    id: StaffId


class SignIn(OpArgs):
    """Sign a staff member in at ``counter`` (the console, after checking the PIN), or in
    without a counter (null: a manager at the hall page). Whoever was signed in at that
    counter is signed out, and so is this member at any other counter."""

    staff: StaffId
    counter: CounterNo | None = None


class SignOut(OpArgs):
    """Sign a staff member out (of their counter, if any)."""

    staff: StaffId


class PauseTicketing(OpArgs):
    """Stop the kiosks issuing tickets (the hall manager), e.g. the hall is full; the
    view's ``ticketing`` says so with the code ``paused_by_manager``."""

    reason: Annotated[str, StringConstraints(strip_whitespace=True,
                                             max_length=REASON_MAX_CHARS)] = ""


class ResumeTicketing(OpArgs):
    """Let the kiosks issue tickets again after ``pause_ticketing``."""


class PostNotice(OpArgs):
    """Show a notice on the displays' ticker (the hall manager), in Chinese and English,
    for ``minutes`` (1-1440) by the broker's clock; it replaces any current notice."""

    zh: NoticeText
    en: NoticeText
    minutes: Annotated[int, Field(ge=1, le=1440)]


class ClearNotice(OpArgs):
    """Take the current notice off the displays before it expires."""


TrackToken = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{22,64}$")]
"""A ticket's phone token (``secrets.token_urlsafe``, at least 128 bits), from its QR code."""


class Track(OpArgs):
    """Which ticket a phone token belongs to (the web node, for the visitor's page);
    changes nothing, never logged. An unknown token is ``not_found`` with no hint."""

    token: TrackToken


class RateVisit(OpArgs):
    """The visitor's rating (好差评) from their phone, after the visit is finished: the
    pad's scale and reasons, one rating per ticket (whichever comes first)."""

    token: TrackToken
    score: Annotated[int, Field(ge=1, le=5)]
    reason: RatingReason | None = None
