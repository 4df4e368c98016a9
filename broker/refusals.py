"""Rule refusals on the wire: which stable error code each rule refusal travels as.

The rules refuse with their own codes (``broker.rules.refusals``); the wire
speaks the public codes of ``protocol.errors``. This table is the one place the
two meet. A wire error carries the wire ``code``, ``params`` (the rule's
parameters plus ``reason``, the rule's own code, so a node can word the exact
case) and an English ``message`` for people reading logs.
"""

from __future__ import annotations

from typing import Any

from broker.rules import refusals as why
from broker.rules.model import RuleRefusal
from protocol import errors

WIRE_CODES: dict[str, str] = {
    why.UNKNOWN_OP: errors.UNKNOWN_OP,
    why.UNKNOWN_COUNTER: errors.UNKNOWN_COUNTER,
    why.COUNTER_PAUSED: errors.COUNTER_PAUSED,
    why.COUNTER_CLOSED: errors.COUNTER_CLOSED,
    why.UNKNOWN_SERVICE: errors.UNKNOWN_SERVICE,
    why.NOT_SERVING: errors.NOT_SERVING,
    why.UNKNOWN_TICKET: errors.UNKNOWN_TICKET,
    why.UNKNOWN_APPOINTMENT: errors.UNKNOWN_APPOINTMENT,
    why.ALREADY_CHECKED_IN: errors.ALREADY_CHECKED_IN,
    why.APPOINTMENT_OTHER_SERVICE: errors.BAD_ARGS,
    why.TOO_EARLY: errors.TOO_EARLY,
    why.TICKETING_CLOSED: errors.CLOSED_FOR_DAY,
    why.NUMBERS_USED_UP: errors.NUMBERS_USED_UP,
    why.NOT_NO_SHOW: errors.INVALID_STATE,
    why.GRACE_EXPIRED: errors.GRACE_EXPIRED,
    why.NOT_HELD_HERE: errors.INVALID_STATE,
    why.ALREADY_IN_SERVICE: errors.INVALID_STATE,
    why.REASON_REQUIRED: errors.BAD_ARGS,
    why.NOT_WAITING: errors.INVALID_STATE,
    why.SCORE_OUT_OF_RANGE: errors.BAD_ARGS,
    why.NOT_RATEABLE_HERE: errors.RATING_CLOSED,
    why.NOBODY_TO_RATE: errors.RATING_CLOSED,
    why.ALREADY_RATED: errors.ALREADY_RATED,
    why.BAD_SLOT_TIME: errors.BAD_ARGS,
    why.SLOT_ENDS_BEFORE_START: errors.BAD_ARGS,
    why.BOOKING_EXISTS: errors.BOOKING_EXISTS,
    why.DUPLICATE_IN_IMPORT: errors.BAD_ARGS,
    why.BAD_BOOKINGS: errors.BAD_ARGS,
    why.TOO_MANY_COMPONENTS: errors.BAD_ARGS,
    why.UNKNOWN_CATEGORY: errors.BAD_ARGS,
    why.BEYOND_CLOSING: errors.BEYOND_CLOSING,
    why.BEYOND_CLOSING_BOOK: errors.BEYOND_CLOSING,
    why.REASON_NOT_ALLOWED: errors.BAD_ARGS,
    why.UNKNOWN_CASE: errors.UNKNOWN_CASE,
    why.CASE_CLOSED: errors.INVALID_STATE,
    why.UNKNOWN_ALERT: errors.UNKNOWN_ALERT,
    why.STAFF_UNKNOWN: errors.STAFF_UNKNOWN,
    why.STAFF_DISABLED: errors.STAFF_DISABLED,
    why.STAFF_NOT_AT_COUNTER: errors.STAFF_NOT_AT_COUNTER,
    why.STAFF_NOT_MANAGER: errors.STAFF_NOT_MANAGER,
    why.STAFF_EXISTS: errors.STAFF_EXISTS,
    why.TICKETING_PAUSED: errors.TICKETING_PAUSED,
}
"""Every rule refusal code to the wire error code it travels as."""

LOG_SENTENCES: dict[str, str] = {
    why.UNKNOWN_OP: "unknown op {op!r}",
    why.UNKNOWN_COUNTER: "counter {counter} is not in this hall's config (counters: {counters})",
    why.COUNTER_PAUSED: "counter {counter} is paused; resume it first",
    why.COUNTER_CLOSED: "counter {counter} is closed; open it first (open_counter)",
    why.UNKNOWN_SERVICE: "unknown service {service!r}; this hall offers: {services}",
    why.NOT_SERVING: "counter {counter} is not serving anyone; call a ticket first",
    why.UNKNOWN_TICKET: "no ticket {ticket} has been issued today",
    why.UNKNOWN_APPOINTMENT: "booking code {code} is not known",
    why.ALREADY_CHECKED_IN: "booking {code} already checked in as {ticket}",
    why.APPOINTMENT_OTHER_SERVICE: "booking {code} is for service {service!r}, not {asked!r}",
    why.TOO_EARLY: "too early to check booking {code} in; check-in opens at {opens}",
    why.TICKETING_CLOSED: "ticketing is closed now; it opens again at {opens}",
    why.NUMBERS_USED_UP: "all {limit} numbers of service {service!r} are used today",
    why.NOT_NO_SHOW: "ticket {ticket} is {status}, not a no-show",
    why.GRACE_EXPIRED: "ticket {ticket} missed its call over {grace_min:g} min ago; "
                       "it needs a new ticket",
    why.NOT_HELD_HERE: "ticket {ticket} is not held at counter {counter}",
    why.ALREADY_IN_SERVICE: "ticket {ticket} is already in service {service!r}",
    why.REASON_REQUIRED: "calling a ticket out of order needs a reason; it is audited",
    why.NOT_WAITING: "ticket {ticket} is {status}; only a waiting ticket can be called "
                     "out of order",
    why.SCORE_OUT_OF_RANGE: "score must be 1..{scale} in this hall, got {score}",
    why.NOT_RATEABLE_HERE: "ticket {ticket} cannot be rated at counter {counter} now",
    why.NOBODY_TO_RATE: "no visitor to rate at counter {counter} right now",
    why.ALREADY_RATED: "ticket {ticket} has already been rated",
    why.BAD_SLOT_TIME: "start/end must be local ISO-8601 date-times, got {start!r} / {end!r}",
    why.SLOT_ENDS_BEFORE_START: "the slot's end {end} must be after its start {start}",
    why.BOOKING_EXISTS: "booking code {code} exists already",
    why.DUPLICATE_IN_IMPORT: "the code {code} appears twice in this import",
    why.UNKNOWN_CATEGORY: "unknown priority category {category!r}; this hall has: {categories}",
    why.BAD_BOOKINGS: "nothing was imported; {count} bad row(s): {rows}",
    why.TOO_MANY_COMPONENTS: "node {node} already reports {limit} health components; "
                             "{component!r} is one too many: reuse a component name",
    why.BEYOND_CLOSING: "the expected time {expected} is after closing ({closes}); "
                        "no ticket issued, come back at {opens}",
    why.BEYOND_CLOSING_BOOK: "the expected time {expected} is after closing ({closes}); "
                             "no ticket issued, book an appointment from {opens}",
    why.REASON_NOT_ALLOWED: "a reason goes with a negative rating only, not score {score} "
                            "of {scale}",
    why.UNKNOWN_CASE: "no case {case}; open or closed today: {cases}",
    why.CASE_CLOSED: "case {case} is closed already ({outcome})",
    why.UNKNOWN_ALERT: "no alert {key} is raised now; raised: {keys}",
    why.STAFF_UNKNOWN: "no staff member {staff} exists",
    why.STAFF_DISABLED: "staff member {staff} is disabled",
    why.STAFF_NOT_AT_COUNTER: "staff member {staff} is not signed in at counter {counter} "
                              "(signed in at: {signed_in_at}); sign in there first",
    why.STAFF_NOT_MANAGER: "staff member {staff} is a {role}; only a manager may do this",
    why.STAFF_EXISTS: "staff member {staff} exists already; use staff_set_pin or another id",
    why.TICKETING_PAUSED: "the hall manager paused ticketing; no ticket issued until resumed",
}
"""English sentences for the broker log and the wire ``message``; people's words in
their own language come from the nodes' message catalogue, not from here."""


def _loggable(value: Any) -> Any:
    if isinstance(value, list) and all(isinstance(v, dict) and "reason" in v for v in value):
        # The rows of a refused import, each with its own reason.
        return "; ".join(f"row {v.get('row')} ({v.get('code')}): "
                         + log_sentence(v["reason"], v.get("params") or {}) for v in value)
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return value


def log_sentence(reason: str, params: dict[str, Any]) -> str:
    """The English sentence for a rule refusal, for logs and the wire ``message``."""
    template = LOG_SENTENCES.get(reason)
    if template is None:
        return f"{reason} {params}"
    try:
        return template.format(**{k: _loggable(v) for k, v in params.items()})
    except (KeyError, ValueError, IndexError):
        return f"{reason} {params}"


def wire_error(refusal: RuleRefusal) -> tuple[str, str, dict[str, Any]]:
    """The wire error for a rule refusal: ``(code, message, params)``.

    ``params`` is the rule's parameters with ``reason`` (the rule's own code) added.
    """
    code = WIRE_CODES.get(refusal.code, errors.INVALID_STATE)
    params = {**refusal.params, "reason": refusal.code}
    return code, log_sentence(refusal.code, refusal.params), params
