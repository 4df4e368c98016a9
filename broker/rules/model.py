"""The hall's queue state, the commands that change it and the events that record it.

Tickets, counters and appointments are frozen records; ``HallState`` holds
them in containers that ``copy()`` duplicates one level deep, so a command can
work on a private copy while the caller's state stays untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal, Mapping, TypeVar

from foundation.errors import CallnextError
from config.schema import Hall
from broker.rules.books import AlertBook, CaseBook
from broker.rules.tickets import TicketBook

Record = TypeVar("Record")

_OWN_QUEUES = "_own_queues"
"""Where a copied ``HallState`` notes the lines it owns (no field: checkpoints never hold it);
a state without it (built, replayed, loaded) owns every line."""


def changed(record: Record, **changes: Any) -> Record:
    """``dataclasses.replace`` for the frozen records here, without running ``__init__``.

    Every event replaces a ticket or a counter, and each command copies the state:
    ``replace`` builds its keyword arguments field by field and calls ``__init__``, about
    seven times the cost of copying the record's fields. The result is equal to
    ``replace``'s; records with a ``__post_init__`` or without a ``__dict__`` go through
    ``replace`` itself.

    Raises:
        TypeError: a change names no field of the record (as ``replace`` does).
    """
    fields = getattr(record, "__dict__", None)
    if fields is None or hasattr(record, "__post_init__"):
        return replace(record, **changes)  # type: ignore[type-var]
    unknown = changes.keys() - fields.keys()
    if unknown:
        raise TypeError(f"{type(record).__name__} has no field(s) {sorted(unknown)}")
    twin = object.__new__(type(record))
    state = twin.__dict__
    state.update(fields)
    state.update(changes)
    return twin


TicketKind = Literal["walkin", "priority", "appointment"]
TicketStatus = Literal["waiting", "serving", "held", "no_show", "finished", "expired"]
CounterMode = Literal["open", "paused", "closed"]


class RuleRefusal(CallnextError):
    """A command the queue rules refuse; nothing changed.

    Attributes:
        code: why, as a stable code from ``broker.rules.refusals``.
        params: the facts behind it (JSON-ready values, no sentences), e.g.
            ``{"counter": 9, "counters": [1, 2, 3]}``.
    """

    def __init__(self, code: str, /, **params: Any) -> None:
        super().__init__(f"{code} {params}" if params else code)
        self.code = code
        self.params: dict[str, Any] = params


@dataclass(frozen=True)
class Command:
    """A validated request to change (or read) the queue."""

    op: str
    args: Mapping[str, Any] = field(default_factory=dict)
    node: str = ""
    staff: str | None = None
    """The staff member (工号) the sending console acts for; the rules check it
    (``broker.rules.staff``). None from callers, kiosks and the admin's tools."""


@dataclass(frozen=True)
class Event:
    """A fact the rules decided; the journal gives it its ``seq``."""

    type: str
    at: float
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Ticket:
    """One visitor's number (号票) and where it stands today."""

    number: str
    service: str
    kind: TicketKind
    issued_at: float
    queued_at: float
    status: TicketStatus = "waiting"
    origin_service: str = ""
    appointment: str | None = None
    due_at: float | None = None
    counter: int | None = None
    called_at: float | None = None
    started_at: float | None = None
    recalls: int = 0
    no_show_at: float | None = None
    finished_at: float | None = None
    transferred: bool = False
    rating: int | None = None
    category: str | None = None
    """The priority category (``[[priority_categories]]`` id) of a priority ticket, if any."""
    over_limit: bool = False
    """Its transaction ran past its service's ``time_limit_minutes`` (``time_limit_exceeded``)."""
    staff: str | None = None
    """The 工号 signed in at the counter that last called it (whom its rating rates)."""
    track: str | None = None
    """The visitor's phone token (the ticket's QR code): journaled, never published."""


@dataclass(frozen=True)
class CounterState:
    """A window (窗口) as the rules see it."""

    number: int
    mode: CounterMode = "open"
    serving: str | None = None
    held: tuple[str, ...] = ()
    priority_streak: int = 0
    last_finished: str | None = None
    last_finished_at: float | None = None


@dataclass(frozen=True)
class Appointment:
    """A booked slot (预约); holds no personal data, only a code."""

    code: str
    service: str
    start: float
    end: float
    ticket: str | None = None


@dataclass(frozen=True)
class Alert:
    """A condition staff should act on, active until cleared."""

    key: str
    kind: str
    service: str | None
    value: float
    threshold: float
    params: Mapping[str, Any] = field(default_factory=dict)
    """The alert's parameters for the message catalogue (see ``alerts.ALERT_CODES``)."""
    raised_at: float = 0.0
    source: str = ""
    """What raised it: ``rules`` (the queue's state), ``rating``, ``broker`` or a node's name."""
    sticky: bool = False
    """True: stays until a manager acknowledges it; False: clears when its condition ends."""
    counter: int | None = None
    acknowledged_by: str | None = None
    """The staff id (or, without one, the node) that acknowledged (silenced) it."""
    acknowledged_at: float | None = None
    note: str = ""


CaseState = Literal["open", "overdue", "closed"]
CaseOutcome = Literal["callback_made", "fixed", "withdrawn"]


@dataclass(frozen=True)
class Case:
    """A negative rating (差评) to verify, fix and answer by ``due_at`` (差评整改)."""

    id: str
    counter: int
    staff: str | None
    ticket: str
    service: str
    level: int
    scale: int
    reason: str | None
    rated_at: float
    due_at: float
    state: CaseState = "open"
    outcome: CaseOutcome | None = None
    notes_count: int = 0
    closed_at: float | None = None


@dataclass(frozen=True)
class NodeHealth:
    """The last health report of one part of a node (printer, audio, buttons...)."""

    node: str
    component: str
    status: Literal["ok", "warning", "fault"]
    message: str
    at: float


@dataclass(frozen=True)
class CallRecord:
    """One announcement, newest last in ``HallState.recent_calls``."""

    ticket: str
    counter: int
    at: float
    recall: bool


RECENT_CALLS_KEPT = 10

StaffRole = Literal["clerk", "manager"]


@dataclass(frozen=True)
class StaffRecord:
    """A staff member (工作人员). The PIN hash never leaves the broker except to the console's
    ``staff_credential``; ``repr`` leaves it out so no log line can carry it."""

    id: str
    name: str
    role: StaffRole
    pin_hash: str = field(repr=False)
    enabled: bool = True


@dataclass(frozen=True)
class Notice:
    """The hall manager's notice on the displays' ticker, until ``until`` (broker clock)."""

    zh: str
    en: str
    until: float


@dataclass
class HallState:
    """Everything the broker knows about today's queue.

    ``apply`` never mutates a state it is given; only ``evolve`` mutates, and
    only states the caller owns (a fresh copy, or a replay in progress).
    """

    hall: Hall
    day: str | None = None
    clock: float = 0.0
    next_number: dict[str, int] = field(default_factory=dict)
    tickets: TicketBook = field(default_factory=TicketBook)
    queues: dict[str, list[str]] = field(default_factory=dict)
    counters: dict[int, CounterState] = field(default_factory=dict)
    service_times: dict[str, tuple[float, ...]] = field(default_factory=dict)
    appointments: dict[str, Appointment] = field(default_factory=dict)
    alerts: AlertBook = field(default_factory=AlertBook)
    recent_calls: tuple[CallRecord, ...] = ()
    health: dict[str, NodeHealth] = field(default_factory=dict)
    cases: CaseBook = field(default_factory=CaseBook)
    """差评 cases by id; open and overdue ones outlive the day, closed ones leave at the next."""
    staff: dict[str, StaffRecord] = field(default_factory=dict)
    """Every staff member by 工号; they outlive the day."""
    signed_in: dict[int, str] = field(default_factory=dict)
    """Counter number to the 工号 signed in there."""
    ticketing_paused: str | None = None
    """The manager's pause of ticketing: its note ("" without one); None when not paused."""
    notice: Notice | None = None
    oldest: dict[str, tuple[float, str]] = field(default_factory=dict)
    """Per service, the earliest ``queued_at`` in its line and that ticket: kept by ``evolve``
    as tickets enter and leave, so the view and alerts never scan a long line."""

    def __post_init__(self) -> None:
        # States built with a plain dict of tickets (tests, tools) get a book of their own.
        if not isinstance(self.tickets, TicketBook):
            self.tickets = TicketBook(self.tickets)
        if not isinstance(self.alerts, AlertBook):
            self.alerts = AlertBook(self.alerts)
        if not isinstance(self.cases, CaseBook):
            self.cases = CaseBook(self.cases)

    def copy(self) -> HallState:
        """A copy whose containers may be changed without touching this state."""
        # Every command makes one: its fields are copied, not re-checked (``__post_init__``
        # has already made the books of this state books).
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        twin.__dict__.update(
            next_number=dict(self.next_number),
            tickets=self.tickets.copy(),
            queues=dict(self.queues),
            counters=dict(self.counters),
            service_times=dict(self.service_times),
            appointments=dict(self.appointments),
            alerts=self.alerts.copy(),
            health=dict(self.health),
            oldest=dict(self.oldest),
            cases=self.cases.copy(),
            staff=dict(self.staff),
            signed_in=dict(self.signed_in),
        )
        # The waiting lines are shared until written (``own_queue``), by both states from
        # now on: copying each line on every command cost as much as the line was long.
        twin.__dict__[_OWN_QUEUES] = set()
        self.__dict__[_OWN_QUEUES] = set()
        return twin

    def queue(self, service: str) -> list[str]:
        """The waiting line of a service (created empty on first use), to read only.

        A copy shares its lines with the state it was copied from: change one only
        through ``own_queue``.
        """
        return self.queues.setdefault(service, [])

    def own_queue(self, service: str) -> list[str]:
        """The waiting line of a service, to change: this state's own (copied once if shared)."""
        owned: set[str] | None = self.__dict__.get(_OWN_QUEUES)
        if owned is None or service in owned:
            return self.queue(service)
        line = self.queues[service] = list(self.queues.get(service, ()))
        owned.add(service)
        return line

    def counter(self, number: int) -> CounterState:
        """A counter's state; counters unknown to the config appear closed."""
        found = self.counters.get(number)
        if found is None:
            return CounterState(number=number, mode="closed")
        return found


def initial_state(hall: Hall) -> HallState:
    """The state before the first event: every configured counter in its opening mode."""
    state = HallState(hall=hall)
    for counter in hall.counters:
        state.counters[counter.number] = CounterState(number=counter.number, mode=counter.opens)
    for service in hall.services:
        state.queues[service.id] = []
    return state
