"""Sign-in state of the console: server-side sessions, CSRF tokens and PIN lockout.

Pure bookkeeping with an injectable clock: no broker, no HTTP. The session id is a
random 256-bit token kept in an HttpOnly cookie; the CSRF token is a second random
token the page holds and sends as ``X-CSRF-Token`` (a cross-site form cannot read it).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

SESSION_IDLE_S = 12 * 3600.0
"""A session unused this long is gone (a clerk's working day, with a margin)."""
MAX_SESSIONS = 2000
"""Sessions kept at most; the oldest go first (a hall has tens of staff)."""
LOCK_FAILURES = 5
"""Wrong PINs for one id within ``LOCK_WINDOW_S`` that lock it."""
LOCK_WINDOW_S = 300.0
LOCK_S = 300.0
"""How long a locked id stays locked."""


@dataclass
class Session:
    """One signed-in staff member in one browser.

    Attributes:
        id: the cookie's value (256 random bits, URL-safe).
        csrf: the token every POST must carry as ``X-CSRF-Token``.
        staff: the 工号.
        name: the staff member's name, for their own page only.
        role: ``"clerk"`` or ``"manager"``.
        counter: the counter signed in at (None: a manager at the hall page).
        last_used: monotonic time of the last request.
    """

    id: str
    csrf: str
    staff: str
    name: str
    role: str
    counter: int | None
    last_used: float = 0.0

    def csrf_ok(self, token: str | None) -> bool:
        """True when ``token`` is this session's CSRF token (compared in constant time)."""
        return token is not None and hmac.compare_digest(token.encode(), self.csrf.encode())


class SessionStore:
    """The console's sessions, in memory (a restart signs everybody out, by design).

    Thread-safe: handlers may run in the thread pool.

    Args:
        monotonic: the clock (injectable for tests).
        idle_s: how long an unused session lives.
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic,
                 idle_s: float = SESSION_IDLE_S) -> None:
        self._monotonic = monotonic
        self._idle_s = idle_s
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def create(self, staff: str, name: str, role: str, counter: int | None) -> Session:
        """A new session for a staff member who gave the right PIN.

        Earlier sessions of the same staff member are ended: one person, one console.
        """
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), staff, name,
                          role, counter, self._monotonic())
        with self._lock:
            self._expire()
            for key in [k for k, s in self._sessions.items() if s.staff == staff]:
                del self._sessions[key]
            while len(self._sessions) >= MAX_SESSIONS:
                del self._sessions[next(iter(self._sessions))]
            self._sessions[session.id] = session
        return session

    def get(self, session_id: str | None) -> Session | None:
        """The live session for a cookie value, touched; None when unknown or expired."""
        if not session_id:
            return None
        with self._lock:
            self._expire()
            session = self._sessions.get(session_id)
            if session is not None:
                session.last_used = self._monotonic()
            return session

    def end(self, session_id: str) -> Session | None:
        """End a session (sign-out); the ended session, or None if there was none."""
        with self._lock:
            return self._sessions.pop(session_id, None)

    def end_staff_at(self, counter: int, keep: str) -> None:
        """End the sessions of others signed in at ``counter`` (the broker signed them out)."""
        with self._lock:
            for key in [k for k, s in self._sessions.items()
                        if s.counter == counter and s.staff != keep]:
                del self._sessions[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._sessions)

    def _expire(self) -> None:
        cutoff = self._monotonic() - self._idle_s
        for key in [k for k, s in self._sessions.items() if s.last_used < cutoff]:
            del self._sessions[key]


@dataclass
class _Failures:
    times: list[float] = field(default_factory=list)
    locked_until: float = 0.0


class PinLockout:
    """Five wrong PINs for one id within five minutes lock that id for five minutes.

    Counted per staff id (not per address): a guesser moving between PCs is still
    stopped. A right PIN clears the count.

    Args:
        monotonic: the clock (injectable for tests).
        failures: wrong PINs that lock.
        window_s: the window they must fall in.
        lock_s: how long the lock lasts.
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic, *,
                 failures: int = LOCK_FAILURES, window_s: float = LOCK_WINDOW_S,
                 lock_s: float = LOCK_S) -> None:
        self._monotonic = monotonic
        self._limit = failures
        self._window_s = window_s
        self._lock_s = lock_s
        self._lock = threading.Lock()
        self._by_id: dict[str, _Failures] = {}

    def locked_for(self, staff: str) -> float:
        """Seconds ``staff`` stays locked (0.0: not locked)."""
        with self._lock:
            entry = self._by_id.get(staff)
            if entry is None:
                return 0.0
            return max(0.0, entry.locked_until - self._monotonic())

    def failed(self, staff: str) -> bool:
        """Count a wrong PIN; True when this one locked the id."""
        now = self._monotonic()
        with self._lock:
            if len(self._by_id) > 10_000:  # bounded: ids are checked digits, never stored long
                self._by_id.clear()
            entry = self._by_id.setdefault(staff, _Failures())
            entry.times = [t for t in entry.times if t > now - self._window_s] + [now]
            if len(entry.times) >= self._limit:
                entry.times = []
                entry.locked_until = now + self._lock_s
                return True
            return False

    def succeeded(self, staff: str) -> None:
        """A right PIN: forget the id's wrong ones."""
        with self._lock:
            self._by_id.pop(staff, None)
