"""The broker's public view: the merge rule, and the view typed, parsed once.

``merge_view`` folds an event's partial view into the dict view.
``PublicView.parse`` reads a whole view (a snapshot's ``view``);
``PublicView.merged`` folds in one event's partial view by the same one-level
rule, parsing only the entries the event changed. Counters are keyed by their
number as an ``int`` here (the JSON keys are strings). The models ignore keys
they do not know and give defaults for keys an older broker does not send, as
docs/protocol.md §7 asks of nodes. Models are frozen; their dicts are shared
between versions of the view, so treat them as read-only.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any, Literal, Mapping, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

KEYED_MAPS = frozenset({"counters", "services", "places", "health", "alerts", "cases"})
"""Top-level view keys whose value maps an id to an entry. In an event's ``view`` an entry
of one of these that is ``null`` means the entry is gone (a forgotten node's health, a
cleared alert, a closed case leaving at the day's end); the other objects (``ticketing``)
take ``null`` as a value."""

CounterMode = Literal["open", "paused", "closed"]
HealthStatus = Literal["ok", "warning", "fault"]


def merge_view(view: dict[str, Any], partial: dict[str, Any], *,
               copy_partial: bool = True) -> dict[str, Any]:
    """Return ``view`` with an event's partial view merged in, one level deep.

    A top-level value that is an object in both is updated key by key (the
    event's ``counters["3"]`` replaces ``counters["3"]``, other counters stay); in
    the keyed maps (``KEYED_MAPS``) a ``null`` entry removes that entry. Any other
    top-level value (list, number, string, null) is replaced whole. Neither
    argument is modified.

    Args:
        view: the current full view.
        partial: the event's ``view``.
        copy_partial: True: the result shares no mutable parts with ``partial``.
            False: the result takes ``partial``'s values as they are, for a caller
            that owns the decoded event and hands it out only as read-only (the
            mirror: a deep copy per event was most of a display's CPU in a busy hall).

    Returns:
        The merged view (a new dict; ``view``'s own inner dicts are never changed).
    """
    take = copy.deepcopy if copy_partial else _same
    merged = dict(view)
    for key, value in partial.items():
        current = merged.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            inner = dict(current)
            if key in KEYED_MAPS:
                for name, entry in value.items():
                    if entry is None:
                        inner.pop(name, None)
                    else:
                        inner[name] = take(entry)
            else:
                inner.update(take(value))
            merged[key] = inner
        else:
            merged[key] = take(value)
    return merged


def _same(value: Any) -> Any:
    """The value itself (``merge_view`` without copying)."""
    return value


class ViewModel(BaseModel):
    """Base of the view's parts: frozen, unknown keys ignored (newer brokers add keys)."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class RatingWindow(ViewModel):
    """A ticket a counter's rating pad rates, and until when (broker time)."""

    ticket: str
    until: float | None = None
    """Epoch seconds on the broker's clock (inclusive); None: as long as it is being served."""


class NoShowView(ViewModel):
    """A 过号 ticket of a counter that ``revive`` still accepts."""

    ticket: str
    until: float
    """Epoch seconds on the broker's clock: the end of the revive grace."""


class CounterView(ViewModel):
    """One configured counter (窗口)."""

    number: int
    mode: CounterMode = "closed"
    serving: str | None = None
    service: str | None = None
    called_at: float | None = None
    started_at: float | None = None
    """When the clerk started serving the ticket called here (None: called, not started)."""
    recalls: int = 0
    held: tuple[str, ...] = ()
    last_finished: str | None = None
    last_finished_at: float | None = None
    services: tuple[str, ...] = ()
    rating: tuple[RatingWindow, ...] = ()
    """What the rating pad rates, in order: the first window not yet over applies."""
    category: str | None = None
    """The priority category of the ticket being served (the board's marker), if any."""
    no_shows: tuple[NoShowView, ...] = ()
    """This counter's 过号 tickets within the revive grace, newest first (at most 5)."""
    staff: str | None = None
    """The 工号 of the staff member signed in at this counter (the id only), if any."""

    def rating_window(self, broker_now: float | None) -> RatingWindow | None:
        """The rating window that applies at ``broker_now``, or None (pad dark).

        Args:
            broker_now: the broker's clock (``StateMirror.broker_now()``); None when
                unknown, in which case a window with an end cannot be trusted to be
                open and the pad stays dark rather than risk rating the wrong visitor.
        """
        for window in self.rating:
            if window.until is None:
                return window
            if broker_now is None:
                return None
            if broker_now <= window.until:
                return window
        return None

    def rating_target(self, broker_now: float | None) -> str | None:
        """The ticket a ``rate`` without ``ticket`` records at ``broker_now``, or None."""
        window = self.rating_window(broker_now)
        return None if window is None else window.ticket


class ServiceView(ViewModel):
    """One configured service (业务) and its waiting line."""

    id: str
    prefix: str = ""
    waiting: int = 0
    next: tuple[str, ...] = ()
    longest_since: float | None = None
    mean_service_min: float | None = None
    estimate_min: float | None = None
    wait_min: int | None = None
    """The estimate in whole minutes for people (rounded up, at least 1); None like
    ``estimate_min``."""
    open_counters: tuple[int, ...] = ()
    last_issued: str | None = None


class CallView(ViewModel):
    """One call or recall, as in ``recent_calls`` (newest first)."""

    ticket: str
    counter: int
    at: float
    recall: bool = False


class HealthView(ViewModel):
    """The last health report of one part of a node."""

    node: str
    component: str
    status: HealthStatus
    message: str = ""
    at: float


class AlertView(ViewModel):
    """A raised alert: a condition alert until it clears, a sticky one until acknowledged."""

    key: str
    kind: str
    service: str | None = None
    value: float = 0.0
    threshold: float = 0.0
    code: str = ""
    """What the alert is about; nodes word it with ``runtime.messages.alert_text``."""
    params: dict[str, Any] = Field(default_factory=dict)
    """The code's parameters (see docs/protocol.md, alert codes)."""
    raised_at: float = 0.0
    source: str = ""
    """What raised it: ``rules``, ``rating``, ``broker`` or a node's name."""
    sticky: bool = False
    """True: stays until acknowledged (negative rating, time limit); False: clears itself."""
    counter: int | None = None
    """The counter it concerns (its caller's attention LED), if any."""
    acknowledged_by: str | None = None
    acknowledged_at: float | None = None
    note: str = ""

    @property
    def acknowledged(self) -> bool:
        """A manager has seen (silenced) it."""
        return self.acknowledged_at is not None


class CaseView(ViewModel):
    """A 差评 case: a negative rating to verify, fix and answer by ``due_at``."""

    id: str
    counter: int
    staff: str | None = None
    ticket: str
    service: str
    level: int
    scale: int = 5
    reason: str | None = None
    rated_at: float
    due_at: float
    state: Literal["open", "overdue", "closed"] = "open"
    outcome: Literal["callback_made", "fixed", "withdrawn"] | None = None
    notes_count: int = 0
    closed_at: float | None = None


class TicketingView(ViewModel):
    """Whether the kiosks issue tickets now, as the broker decides it (hall hours and policy)."""

    open: bool
    """``issue_ticket`` is accepted now (false only outside hours when the hall sets
    ``after_hours = "refuse"``)."""
    in_hours: bool
    """Now falls in an opening period; a ticket issued outside one carries ``after_hours``."""
    closes_at: float | None = None
    """While in hours: when the current opening period ends (epoch seconds)."""
    opens_at: float | None = None
    """While outside hours: when the next opening period starts; None if none within 15 days."""
    closed_today: bool = False
    """Today (the calendar date) has no opening period: a holiday or a day off (今日休息),
    as against a moment before or between an open day's periods."""
    paused: bool = False
    """The hall manager paused ticketing (``pause_ticketing``): ``open`` is false meanwhile."""
    code: str | None = None
    """Why kiosks do not issue, when it is the manager's pause: ``paused_by_manager``
    (nodes word it with ``runtime.messages``); None otherwise."""
    reason: str = ""
    """The manager's own note on the pause, if any (staff text, not for visitors)."""


class NoticeView(ViewModel):
    """A timed notice from the hall manager for the displays' ticker."""

    zh: str
    en: str
    until: float
    """Epoch seconds on the broker's clock; the broker removes the notice then."""


class PublicView(ViewModel):
    """The whole public view (docs/protocol.md §5), but for ``places``.

    The waiting places are read from the dict view by the one node that shows them (the
    web node's phone pages); left out here, as any key unknown to the model is, so no
    display, kiosk or caller parses the thousand places a call on a long line moves.
    """

    day: str | None = None
    clock: float = 0.0
    counters: dict[int, CounterView] = {}
    services: dict[str, ServiceView] = {}
    recent_calls: tuple[CallView, ...] = ()
    health: dict[str, HealthView] = {}
    alerts: dict[str, AlertView] = {}
    """The raised alerts by key, in the order raised."""
    cases: dict[str, CaseView] = {}
    """The 差评 cases by id, in the order opened."""
    ticketing: TicketingView | None = None
    """None from a broker that does not publish it yet (before its first event)."""
    notice: NoticeView | None = None
    """The manager's notice for the displays' ticker, or None."""

    @classmethod
    def parse(cls, view: Mapping[str, Any]) -> PublicView:
        """Parse a whole view (a snapshot's ``view``).

        Raises:
            pydantic.ValidationError: a part of the view has the wrong shape.
        """
        return cls.model_validate(view)

    def merged(self, partial: Mapping[str, Any]) -> PublicView:
        """This view with an event's partial ``view`` folded in (``merge_view``'s rule).

        An object in both is updated key by key (``counters["3"]`` replaces counter 3
        only; ``ticketing``'s keys replace its keys), and a null entry of a keyed map removes
        that entry; anything else is replaced whole. Only the parts the event carries are
        parsed.

        Raises:
            pydantic.ValidationError: a changed part has the wrong shape.
        """
        update: dict[str, Any] = {}
        for key, value in partial.items():
            if key not in type(self).model_fields:
                continue  # a key a newer broker added
            current = getattr(self, key)
            if isinstance(value, dict) and isinstance(current, dict):
                # Every dict field is a keyed map (a test holds them equal to KEYED_MAPS).
                update[key] = _keyed_merged(key, current, value)
            elif isinstance(value, dict) and isinstance(current, BaseModel):
                update[key] = _field_adapter(key).validate_python({**current.model_dump(),
                                                                   **value})
            else:
                update[key] = _field_adapter(key).validate_python(value)
        return self.model_copy(update=update)


def _keyed_merged(name: str, current: dict[Any, Any],
                  partial: Mapping[str, Any]) -> dict[Any, Any]:
    """The keyed map ``name`` with an event's entries merged in; a null entry removes one."""
    kept = {k: v for k, v in partial.items() if v is not None}
    merged = {**current, **_field_adapter(name).validate_python(kept)} if kept else dict(current)
    gone = [k for k, v in partial.items() if v is None]
    # A removed counter's key is read as the map's keys are ("3" -> 3): a key that is not
    # one is refused like any malformed part (ValidationError), never a stray ValueError.
    for key in _key_adapter(name).validate_python(gone) if gone else ():
        merged.pop(key, None)
    return merged


@cache
def _key_adapter(name: str) -> TypeAdapter[Any]:
    """A validator for a list of the keyed map ``name``'s keys (built on first use)."""
    key_type = get_args(PublicView.model_fields[name].annotation)[0]
    return TypeAdapter(list[key_type])  # type: ignore[valid-type]


@cache
def _field_adapter(name: str) -> TypeAdapter[Any]:
    """A validator for one field of ``PublicView`` (built on first use, then kept)."""
    return TypeAdapter(PublicView.model_fields[name].annotation)
