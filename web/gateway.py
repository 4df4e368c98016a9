"""The console's requests to the broker, and how a broker answer becomes an HTTP status.

Every call blocks (the request client is ZeroMQ, not asyncio): the web app runs them in
Starlette's thread pool. The web node acts with its own key and role (``web``) and names the
signed-in staff member in the envelope's ``staff`` field; the broker's rules decide whether
that person may do it.
"""

from __future__ import annotations

import logging
from typing import Any

from protocol import errors
from protocol.client import RequestClient
from protocol.errors import CommandRefused

logger = logging.getLogger(__name__)

_STATUS = {
    errors.BAD_ARGS: 400, errors.BAD_JSON: 400, errors.BAD_ENVELOPE: 400, errors.TOO_LARGE: 413,
    errors.UNKNOWN_OP: 404, errors.UNKNOWN_COUNTER: 404, errors.UNKNOWN_TICKET: 404,
    errors.UNKNOWN_SERVICE: 404, errors.FORBIDDEN: 403, errors.RATE_LIMITED: 429,
    errors.JOURNAL_UNAVAILABLE: 503, errors.INTERNAL: 503, errors.JOURNAL_ROLLED_BACK: 503,
}


def http_status(code: str) -> int:
    """The HTTP status for a broker error code: 4xx for what the person can fix, 503 else.

    A refusal by the queue rules (nobody waiting, counter paused…) is 409: the request was
    well-formed but the hall's state does not allow it now. A staff refusal
    (``staff_unknown``, ``staff_not_at_counter``…) is 403.
    """
    if code in _STATUS:
        return _STATUS[code]
    if code.startswith("staff_"):
        return 403
    return 409


class Broker:
    """The broker as the console sees it.

    Args:
        client: the node runtime's request client (thread-safe; calls are serialised).
    """

    def __init__(self, client: RequestClient) -> None:
        self._client = client

    def credential(self, staff: str) -> dict[str, Any] | None:
        """The staff record with its PIN hash (``staff_credential``); None for an unknown id.

        The hash is verified here in the web node, never logged, never kept.
        """
        try:
            result = self._client.call("staff_credential", {"id": staff})
        except CommandRefused as err:
            if err.code.startswith("staff_") or err.code == "unknown_staff":
                return None
            raise
        return result.model_dump()

    def sign_in(self, staff: str, counter: int | None) -> dict[str, Any]:
        """Journal the sign-in (``sign_in``): the broker signs out whoever sat at that counter."""
        return self._client.call("sign_in", {"staff": staff, "counter": counter}).model_dump()

    def sign_out(self, staff: str) -> dict[str, Any]:
        """Journal the sign-out (``sign_out``)."""
        return self._client.call("sign_out", {"staff": staff}).model_dump()

    def act(self, op: str, args: dict[str, Any], staff: str) -> dict[str, Any]:
        """Send a clerk's or manager's op on behalf of ``staff``; the broker's result."""
        return self._client.call(op, args, staff=staff).model_dump()
