"""Why the queue rules refuse a command: stable codes, each with the parameters it carries.

The rules speak only in these codes and JSON-ready parameters; the broker maps
each code to a wire error code (``broker.refusals``) and the nodes' message
catalogue (``runtime.messages``) turns code and parameters into sentences.
A code keeps its meaning for good: add a new one rather than reuse one.
"""

from __future__ import annotations

UNKNOWN_OP = "unknown_op"
UNKNOWN_COUNTER = "unknown_counter"
COUNTER_PAUSED = "counter_paused"
COUNTER_CLOSED = "counter_closed"
UNKNOWN_SERVICE = "unknown_service"
NOT_SERVING = "not_serving"
UNKNOWN_TICKET = "unknown_ticket"
UNKNOWN_APPOINTMENT = "unknown_appointment"
ALREADY_CHECKED_IN = "already_checked_in"
APPOINTMENT_OTHER_SERVICE = "appointment_other_service"
TOO_EARLY = "too_early"
TICKETING_CLOSED = "ticketing_closed"
NUMBERS_USED_UP = "numbers_used_up"
NOT_NO_SHOW = "not_no_show"
GRACE_EXPIRED = "grace_expired"
NOT_HELD_HERE = "not_held_here"
ALREADY_IN_SERVICE = "already_in_service"
REASON_REQUIRED = "reason_required"
NOT_WAITING = "not_waiting"
SCORE_OUT_OF_RANGE = "score_out_of_range"
NOT_RATEABLE_HERE = "not_rateable_here"
NOBODY_TO_RATE = "nobody_to_rate"
ALREADY_RATED = "already_rated"
BAD_SLOT_TIME = "bad_slot_time"
SLOT_ENDS_BEFORE_START = "slot_ends_before_start"
BOOKING_EXISTS = "booking_exists"
DUPLICATE_IN_IMPORT = "duplicate_in_import"
BAD_BOOKINGS = "bad_bookings"
TOO_MANY_COMPONENTS = "too_many_components"
UNKNOWN_CATEGORY = "unknown_category"
BEYOND_CLOSING = "beyond_closing"
BEYOND_CLOSING_BOOK = "beyond_closing_book"
# Service quality (issue #14): rating reasons, 差评 cases, acknowledging alerts.
REASON_NOT_ALLOWED = "reason_not_allowed"
UNKNOWN_CASE = "unknown_case"
CASE_CLOSED = "case_closed"
UNKNOWN_ALERT = "unknown_alert"
STAFF_UNKNOWN = "staff_unknown"
STAFF_DISABLED = "staff_disabled"
STAFF_NOT_AT_COUNTER = "staff_not_at_counter"
STAFF_NOT_MANAGER = "staff_not_manager"
STAFF_EXISTS = "staff_exists"
TICKETING_PAUSED = "ticketing_paused"

REFUSAL_PARAMS: dict[str, tuple[str, ...]] = {
    UNKNOWN_OP: ("op",),
    UNKNOWN_COUNTER: ("counter", "counters"),
    COUNTER_PAUSED: ("counter",),
    COUNTER_CLOSED: ("counter",),
    UNKNOWN_SERVICE: ("service", "services"),
    NOT_SERVING: ("counter",),
    UNKNOWN_TICKET: ("ticket",),
    UNKNOWN_APPOINTMENT: ("code",),
    ALREADY_CHECKED_IN: ("code", "ticket"),
    APPOINTMENT_OTHER_SERVICE: ("code", "service", "asked"),
    TOO_EARLY: ("code", "opens", "opens_at"),
    TICKETING_CLOSED: ("opens", "opens_at"),
    NUMBERS_USED_UP: ("service", "limit"),
    NOT_NO_SHOW: ("ticket", "status"),
    GRACE_EXPIRED: ("ticket", "grace_min"),
    NOT_HELD_HERE: ("ticket", "counter"),
    ALREADY_IN_SERVICE: ("ticket", "service"),
    REASON_REQUIRED: (),
    NOT_WAITING: ("ticket", "status"),
    SCORE_OUT_OF_RANGE: ("score", "scale"),
    NOT_RATEABLE_HERE: ("ticket", "counter"),
    NOBODY_TO_RATE: ("counter",),
    ALREADY_RATED: ("ticket",),
    BAD_SLOT_TIME: ("start", "end"),
    SLOT_ENDS_BEFORE_START: ("start", "end"),
    BOOKING_EXISTS: ("code",),
    DUPLICATE_IN_IMPORT: ("code",),
    BAD_BOOKINGS: ("count", "rows"),
    TOO_MANY_COMPONENTS: ("node", "component", "limit"),
    UNKNOWN_CATEGORY: ("category", "categories"),
    BEYOND_CLOSING: ("expected", "expected_at", "closes", "closes_at", "opens", "opens_at"),
    BEYOND_CLOSING_BOOK: ("expected", "expected_at", "closes", "closes_at", "opens", "opens_at"),
    REASON_NOT_ALLOWED: ("score", "scale"),
    UNKNOWN_CASE: ("case", "cases"),
    CASE_CLOSED: ("case", "outcome"),
    UNKNOWN_ALERT: ("key", "keys"),
    STAFF_UNKNOWN: ("staff",),
    STAFF_DISABLED: ("staff",),
    STAFF_NOT_AT_COUNTER: ("staff", "counter", "signed_in_at"),
    STAFF_NOT_MANAGER: ("staff", "role"),
    STAFF_EXISTS: ("staff",),
    TICKETING_PAUSED: (),
}
"""Every refusal code and the parameters it always carries.

``opens`` is a hall-local time ("13:30", "11-26 08:30" on another day, "-" when
no opening is configured), ``opens_at`` the same instant in epoch seconds (or
null). ``counters``, ``services`` and ``categories`` (priority category ids) list what
the hall has. ``rows`` (of
``bad_bookings``) holds one object per bad row: ``row`` (1-based), ``code``
(the booking code), ``reason`` (a refusal code) and ``params`` (its parameters).
``expected``/``closes`` (of ``beyond_closing``, ``beyond_closing_book``) are the ticket's
expected time and the end of today's last opening period ("-" on a closed day), as
hall-local times, with ``expected_at``/``closes_at`` in epoch seconds.
``staff`` is a 工号; ``signed_in_at`` (of ``staff_not_at_counter``) the counter that staff
member is signed in at, or null; ``role`` (of ``staff_not_manager``) their role.
"""

NOTE_NOBODY_WAITING = "nobody_waiting"
NOTE_RECALL_LIMIT = "recall_limit"
RESULT_NOTES: tuple[str, ...] = (NOTE_NOBODY_WAITING, NOTE_RECALL_LIMIT)
"""Codes a successful result may carry in its ``note`` field, for nodes to word."""
