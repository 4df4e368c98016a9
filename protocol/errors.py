"""Stable error codes of the wire protocol and the exceptions that carry them.

A code is part of the public contract: third-party clients branch on it, so a
code is never renamed or reused for another meaning. ``ERROR_CODES`` is the
single list (docs/protocol.md is generated from it); a reply may only carry a
code listed there.
"""

from __future__ import annotations

from typing import Any

from foundation.errors import CallnextError

# --- envelope / codec ------------------------------------------------------------------------
BAD_JSON = "bad_json"
BAD_ENVELOPE = "bad_envelope"
UNSUPPORTED_VERSION = "unsupported_version"
TOO_LARGE = "too_large"
UNKNOWN_OP = "unknown_op"
BAD_ARGS = "bad_args"

# --- queue rule refusals ---------------------------------------------------------------------
UNKNOWN_SERVICE = "unknown_service"
UNKNOWN_COUNTER = "unknown_counter"
UNKNOWN_TICKET = "unknown_ticket"
NOT_SERVING = "not_serving"
COUNTER_CLOSED = "counter_closed"
COUNTER_PAUSED = "counter_paused"
CLOSED_FOR_DAY = "closed_for_day"
GRACE_EXPIRED = "grace_expired"
INVALID_STATE = "invalid_state"
UNKNOWN_APPOINTMENT = "unknown_appointment"
TOO_EARLY = "too_early"
ALREADY_RATED = "already_rated"
RATING_CLOSED = "rating_closed"
ALREADY_CHECKED_IN = "already_checked_in"
NUMBERS_USED_UP = "numbers_used_up"
BOOKING_EXISTS = "booking_exists"
BEYOND_CLOSING = "beyond_closing"
UNKNOWN_ALERT = "unknown_alert"
UNKNOWN_CASE = "unknown_case"
TICKETING_PAUSED = "ticketing_paused"

# --- staff (the staff console acting for a 工号) -----------------------------------------------
STAFF_UNKNOWN = "staff_unknown"
STAFF_DISABLED = "staff_disabled"
STAFF_NOT_AT_COUNTER = "staff_not_at_counter"
STAFF_NOT_MANAGER = "staff_not_manager"
STAFF_EXISTS = "staff_exists"

# --- broker health and access ----------------------------------------------------------------
JOURNAL_UNAVAILABLE = "journal_unavailable"
INTERNAL = "internal"
FORBIDDEN = "forbidden"
RATE_LIMITED = "rate_limited"
JOURNAL_ROLLED_BACK = "journal_rolled_back"

ERROR_CODES: dict[str, str] = {
    BAD_JSON: "the request frame is not UTF-8 JSON, or not a JSON object",
    BAD_ENVELOPE: "the request lacks v/id/op/node/args, has a wrong-typed or unknown top-level key",
    UNSUPPORTED_VERSION: "the request's protocol version 'v' is not one this broker speaks",
    TOO_LARGE: "the request frame is larger than the broker accepts (64 KiB)",
    UNKNOWN_OP: "the op name is not in the op catalogue",
    BAD_ARGS: "the op's arguments are missing, unknown, wrong-typed or out of range",
    UNKNOWN_SERVICE: "no service with that id is configured in this hall",
    UNKNOWN_COUNTER: "no counter with that number is configured in this hall",
    UNKNOWN_TICKET: "no ticket with that number has been issued today",
    NOT_SERVING: "the counter has no current ticket to act on",
    COUNTER_CLOSED: "the counter is closed; open it first",
    COUNTER_PAUSED: "the counter is paused; resume it first",
    CLOSED_FOR_DAY: "outside opening hours: no new tickets are issued now",
    GRACE_EXPIRED: "the no-show grace period for that ticket has passed",
    INVALID_STATE: "the ticket or counter is not in a state that allows this op",
    UNKNOWN_APPOINTMENT: "no booking with that appointment code exists",
    TOO_EARLY: "the appointment cannot be checked in yet",
    ALREADY_RATED: "the ticket has already been rated",
    RATING_CLOSED: "the rating window for that ticket has closed",
    ALREADY_CHECKED_IN: "the booking has already been checked in; its ticket is in params",
    NUMBERS_USED_UP: "the service has issued every number it may issue today",
    BOOKING_EXISTS: "a booking with that code exists already",
    BEYOND_CLOSING: "the ticket would be served only after today's last opening period, and the "
                    "hall's policy is not to issue it (params: expected, closes, opens)",
    UNKNOWN_ALERT: "no alert with that key is raised now (params: keys)",
    UNKNOWN_CASE: "no 差评 case with that id is open or closed today (params: cases)",
    TICKETING_PAUSED: "the hall manager paused ticketing: no new tickets are issued until resumed",
    STAFF_UNKNOWN: "no staff member with that 工号 exists",
    STAFF_DISABLED: "the staff member is disabled and may not sign in or act",
    STAFF_NOT_AT_COUNTER: "the staff member is not signed in at the counter the op names",
    STAFF_NOT_MANAGER: "the op is the hall manager's and the staff member is not a manager",
    STAFF_EXISTS: "a staff member with that 工号 exists already",
    JOURNAL_UNAVAILABLE: "the broker cannot write its journal; nothing was changed, retry later",
    INTERNAL: "the broker hit an unexpected error (a bug); see the broker log",
    FORBIDDEN: "this node is not allowed to use this op (or this counter)",
    RATE_LIMITED: "too many requests from this node; retry later",
    JOURNAL_ROLLED_BACK: "the request was answered before the broker's journal was rolled back "
                         "(restored or rebuilt); it is not run again: check the hall's state "
                         "and send a new request",
}


class ProtocolError(CallnextError, ValueError):
    """A frame or its arguments break the wire contract.

    Attributes:
        code: one of ``ERROR_CODES``, suitable for an error reply.
        message: what was wrong and what is expected, for a human.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class BrokerUnreachable(CallnextError, ConnectionError):
    """No reply from the broker after every attempt.

    The request may or may not have been executed; retrying with the same
    request id is safe because the broker answers a repeated id with the
    reply it gave the first time.

    Attributes:
        endpoint: the broker command endpoint that was tried.
        op: the op that got no reply.
        request_id: the id every attempt carried.
        attempts: how many attempts were made.
    """

    def __init__(self, endpoint: str, op: str, request_id: str, attempts: int,
                 timeout_ms: int) -> None:
        super().__init__(
            f"no reply from the broker at {endpoint} to {op!r} (request {request_id}) after "
            f"{attempts} attempt(s) of {timeout_ms} ms each; check that the broker is running, "
            f"that this node's broker endpoint is right, and the network between them "
            f"(cable, Wi-Fi, firewall; with CURVE also the keys)"
        )
        self.endpoint = endpoint
        self.op = op
        self.request_id = request_id
        self.attempts = attempts


class CommandRefused(CallnextError):
    """The broker answered ``ok: false``: the command was refused and changed nothing.

    Attributes:
        code: the stable error code from the reply (see ``ERROR_CODES``).
        message: the broker's English explanation, for logs.
        request_id: the id of the refused request.
        params: the facts behind the refusal (the reply's ``error.params``; for a
            queue-rule refusal ``reason`` is the rule's own code). Nodes word
            ``code`` and ``params`` with the message catalogue (``runtime.messages``).
    """

    def __init__(self, code: str, message: str, request_id: str,
                 params: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.request_id = request_id
        self.params: dict[str, Any] = dict(params or {})
