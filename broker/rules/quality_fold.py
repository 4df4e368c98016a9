"""Folding the service-quality events into state: alerts with acknowledgement, 差评 cases,
transactions past their time limit. Used by ``evolve`` (its handler table), judging nothing.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from broker.rules.alerts import alert_params
from broker.rules.books import CaseBook
from broker.rules.model import Alert, Case, Event, HallState


def _number(value: object) -> int | None:
    return int(value) if isinstance(value, (int, float, str)) and str(value).isdigit() else None


def alert_raised(state: HallState, event: Event) -> None:
    """A new alert enters the state (replacing one with the same key)."""
    data = event.data
    legacy = "source" not in data
    if legacy and not data.get("sticky", True):
        # Before acknowledgement, a one-off alert (negative_rating) was never kept;
        # replaying such a journal keeps it that way (its case did not exist either).
        return
    key = str(data["key"])
    kind, value, threshold = str(data["kind"]), float(data["value"]), float(data["threshold"])
    params = data.get("params")
    if not isinstance(params, Mapping):
        # Journals written before alerts carried parameters hold a bilingual
        # "message" instead; the parameters are rebuilt from the alert's facts.
        params = alert_params(kind, data.get("service"), value, threshold,
                              counter=data.get("counter"), node=data.get("node", ""),
                              component=data.get("component", ""))
    state.alerts[key] = Alert(
        key=key, kind=kind, service=data.get("service"), value=value, threshold=threshold,
        params=dict(params), raised_at=event.at,
        source=_legacy_source(key, data) if legacy else str(data["source"]),
        # A legacy "sticky" meant "kept in the view until cleared", i.e. a condition alert.
        sticky=False if legacy else bool(data.get("sticky")),
        counter=_number(data.get("counter")))


def _legacy_source(key: str, data: Mapping[str, Any]) -> str:
    """What raised an alert journaled before alerts named their source."""
    if key.startswith("node:"):
        return str(data.get("node") or key[len("node:"):].split("/", 1)[0])
    return "broker" if key.startswith("clock:") else "rules"


def alert_acknowledged(state: HallState, event: Event) -> None:
    """A manager saw the alert: who, when and their note (a sticky alert is cleared next)."""
    data = event.data
    key = str(data["key"])
    found = state.alerts.get(key)
    if found is None:
        return
    by = data.get("staff") or data.get("node") or None
    # A sticky alert is cleared by the next event: its note stays in the journal only.
    note = "" if found.sticky else str(data.get("note") or "")
    state.alerts[key] = replace(found, acknowledged_by=None if by is None else str(by),
                                acknowledged_at=event.at, note=note)


def case_opened(state: HallState, event: Event) -> None:
    """A negative rating opened a case."""
    data: Mapping[str, Any] = event.data
    case_id = str(data["case"])
    reason = data.get("reason")
    state.cases[case_id] = Case(
        id=case_id, counter=int(data["counter"]),
        staff=None if data.get("staff") is None else str(data["staff"]),
        ticket=str(data["ticket"]), service=str(data["service"]), level=int(data["level"]),
        scale=int(data["scale"]), reason=None if reason is None else str(reason),
        rated_at=float(data["rated_at"]), due_at=float(data["due_at"]))


def case_noted(state: HallState, event: Event) -> None:
    """A manager added a note to a case (the note itself stays in the journal)."""
    case_id = str(event.data["case"])
    found = state.cases.get(case_id)
    if found is not None:
        state.cases[case_id] = replace(found, notes_count=found.notes_count + 1)


def case_overdue(state: HallState, event: Event) -> None:
    """The broker found a case still open past its due time."""
    case_id = str(event.data["case"])
    found = state.cases.get(case_id)
    if found is not None and found.state == "open":
        state.cases[case_id] = replace(found, state="overdue")


def case_closed(state: HallState, event: Event) -> None:
    """A case closed with an outcome (and its closing note counted)."""
    case_id = str(event.data["case"])
    found = state.cases.get(case_id)
    if found is not None:
        noted = 1 if event.data.get("note") else 0
        state.cases[case_id] = replace(found, state="closed",
                                       outcome=event.data["outcome"], closed_at=event.at,
                                       notes_count=found.notes_count + noted)


def time_limit_exceeded(state: HallState, event: Event) -> None:
    """A transaction ran past its service's time limit: the ticket remembers it."""
    number = str(event.data["ticket"])
    ticket = state.tickets.get(number)
    if ticket is not None:
        state.tickets[number] = replace(ticket, over_limit=True)


def carry_over(state: HallState) -> None:
    """What the service-quality state keeps when a new day starts: sticky alerts not yet
    acknowledged and cases not yet closed (closed ones are in the journal for reports)."""
    state.cases = CaseBook({k: c for k, c in state.cases.items() if c.state != "closed"})
