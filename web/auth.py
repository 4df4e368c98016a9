"""Signing a staff member in: the PIN checked here, the sign-in journaled by the broker.

The PIN is checked in the web node (``foundation.pins.verify_pin``: scrypt, deliberately
slow) so the broker's single-writer loop never spends a hash's time; it is never logged,
never kept. Five wrong PINs for one id within five minutes lock that id for five minutes,
logged as a security event.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from web.labels import labels
from web.sessions import LOCK_S, Session

if TYPE_CHECKING:  # web.app imports the handlers that import this: no cycle at run time
    from web.app import Console

logger = logging.getLogger(__name__)
security_log = logging.getLogger("web.security")

_STAFF_ID = re.compile(r"^[0-9]{1,16}$")
_PIN = re.compile(r"^[0-9]{4,8}$")


class LoginError(Exception):
    """A refused sign-in: the HTTP status, a stable code and the words' label key."""

    def __init__(self, status: int, code: str, label: str, **params: Any) -> None:
        super().__init__(code)
        self.status, self.code, self.label, self.params = status, code, label, params

    def words(self, language: str) -> str:
        """The refusal in ``language``."""
        return labels(language)[self.label]


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash to verify against for an unknown id, so both answers take as long."""
    from foundation.pins import hash_pin

    return hash_pin("00000000")


def _fields(data: dict[str, Any]) -> tuple[str, str, int | None]:
    staff, pin, counter = data.get("staff"), data.get("pin"), data.get("counter")
    if not isinstance(staff, str) or not _STAFF_ID.match(staff):
        raise LoginError(400, "bad_args", "error.bad_login", field="staff")
    if not isinstance(pin, str) or len(pin) > 64:
        raise LoginError(400, "bad_args", "error.bad_login", field="pin")
    if counter is not None and (isinstance(counter, bool) or not isinstance(counter, int)):
        raise LoginError(400, "bad_args", "error.bad_login", field="counter")
    return staff, pin, counter


def check_pin(console: Console, staff: str, pin: str, client: str) -> dict[str, Any]:
    """The staff record when ``pin`` is right; LoginError (401 or 429) otherwise."""
    from foundation.pins import verify_pin

    locked = console.lockout.locked_for(staff)
    if locked > 0:
        raise LoginError(429, "locked", "error.locked", retry_after=int(locked) + 1)
    record = console.broker.credential(staff)
    stored = str(record["pin_hash"]) if record else _decoy_hash()
    right = bool(_PIN.match(pin)) and verify_pin(pin, stored)
    if record is None or not right or not record.get("enabled", False):
        if console.lockout.failed(staff):
            security_log.warning("security: staff id %s locked for %d s after repeated wrong "
                                 "PINs (last from %s)", staff, int(LOCK_S), client)
            raise LoginError(429, "locked", "error.locked", retry_after=int(LOCK_S))
        security_log.warning("security: failed sign-in for staff id %s from %s", staff, client)
        raise LoginError(401, "bad_login", "error.bad_login")
    console.lockout.succeeded(staff)
    return record


def sign_in(console: Console, data: dict[str, Any], client: str) -> Session:
    """Check the PIN, journal the sign-in, open a session (runs in the thread pool).

    Raises:
        LoginError: bad fields (400), wrong PIN (401), locked id (429), a clerk without a
            counter (400), an unknown counter (404).
        CommandRefused, BrokerUnreachable: from the broker.
    """
    staff, pin, counter = _fields(data)
    record = check_pin(console, staff, pin, client)
    role = str(record.get("role", "clerk"))
    if counter is None and role != "manager":
        raise LoginError(400, "counter_required", "login.counter", field="counter")
    if counter is not None and console.hall.counter(counter) is None:
        raise LoginError(404, "unknown_counter", "login.counter", counter=counter)
    console.broker.sign_in(staff, counter)
    session = console.sessions.create(staff, str(record.get("name", "")), role, counter)
    if counter is not None:
        console.sessions.end_staff_at(counter, keep=staff)
    logger.info("staff %s signed in%s from %s", staff,
                f" at counter {counter}" if counter is not None else "", client)
    return session
