"""Clocks for the broker: the wall clock, a trusted clock that ignores jumps, a demo clock.

The queue needs epoch times (opening hours, the day, what a ticket says), but a
hall's wall clock can jump: a Pi without a real-time clock boots with a stale
time and NTP steps it later, someone types a wrong date, a bad time server
answers. ``TrustedClock`` keeps the broker's time with the monotonic clock and
follows the wall clock only while the two agree. A wall clock that steps away
by more than ``jump_s`` is a *jump*: the broker logs and alerts it and keeps
its own time. The jumped wall clock is believed only after it has kept step
with the monotonic clock for ``confirm_s`` (it was a real correction, such as
NTP setting a stale boot time right); a jump that is undone before then never
reaches the queue, so it moves no day and undoes nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Callable, Literal

from config.hours import parse_local
from config.schema import Hall

log = logging.getLogger(__name__)

ChangeKind = Literal["jumped", "agreed", "adopted"]


def wall_clock() -> float:
    """The real time, epoch seconds."""
    return time.time()


@dataclass(frozen=True)
class ClockPolicy:
    """When a wall-clock step counts as a jump, and when a jumped clock is believed."""

    jump_s: float = 120.0
    """A wall clock further than this from the trusted time (which runs with the monotonic
    clock since the two last agreed) has jumped."""
    confirm_s: float = 300.0
    """A jumped wall clock that then keeps step with the monotonic clock this long (within
    ``jump_s``) is believed: the broker takes its time."""


@dataclass(frozen=True)
class ClockChange:
    """A change in how far the wall clock may be trusted; the broker journals each one.

    ``kind``: ``jumped`` (the wall clock left the trusted time), ``agreed`` (it came back;
    nothing else changes) or ``adopted`` (it kept its new time for ``confirm_s``; the
    broker's time moved to it). ``skew_s`` is the wall clock minus the trusted time at
    the moment of the change, ``trusted`` the trusted time after it.
    """

    kind: ChangeKind
    wall: float
    trusted: float
    skew_s: float

    def args(self) -> dict[str, object]:
        """The change as the arguments of the broker's ``clock_jump`` command."""
        return {"change": self.kind, "wall": round(self.wall, 3),
                "trusted": round(self.trusted, 3), "skew_s": round(self.skew_s, 3)}


class TrustedClock:
    """The broker's time: the wall clock while it agrees with the monotonic clock.

    Call it for the time (epoch seconds, never decreasing). ``start`` sets it up
    from the journal's last event time; ``changes`` hands out the jumps, returns
    and adoptions seen since the last call, for the broker to journal.

    Args:
        wall: the wall clock, epoch seconds.
        monotonic: a clock in seconds that never jumps (CLOCK_MONOTONIC).
        policy: the jump threshold and the confirmation time.
    """

    def __init__(self, wall: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic,
                 policy: ClockPolicy = ClockPolicy()) -> None:
        self._wall = wall
        self._monotonic = monotonic
        self.policy = policy
        self._base = 0.0
        self._base_mono: float | None = None
        self._last = 0.0
        self._jump: tuple[float, float] | None = None  # (skew, monotonic when it began)
        self._changes: list[ClockChange] = []

    def start(self, floor: float) -> None:
        """Begin at the wall clock, but never before ``floor`` (the journal's last event).

        A wall clock behind the journal by more than ``jump_s`` (a stale boot time,
        or a clock set back while the broker was down) is a jump at once: the broker
        keeps time from ``floor``, so nothing it journals goes back.
        """
        wall, mono = self._wall(), self._monotonic()
        self._base, self._base_mono = max(wall, floor), mono
        self._last = self._base
        if floor - wall > self.policy.jump_s:
            self._jump = (wall - floor, mono)
            self._note("jumped", wall, floor)

    def __call__(self) -> float:
        """The trusted time now, epoch seconds; never less than an earlier reading."""
        wall, mono = self._wall(), self._monotonic()
        if self._base_mono is None:
            self.start(0.0)
            return self._last
        expected = self._base + (mono - self._base_mono)
        skew = wall - expected
        now = expected
        if abs(skew) <= self.policy.jump_s:
            # Agreement (small NTP slews and drift included): follow the wall clock.
            if self._jump is not None:
                self._jump = None
                self._note("agreed", wall, max(wall, self._last))
            self._base, self._base_mono, now = wall, mono, wall
        elif self._jump is None or abs(skew - self._jump[0]) > self.policy.jump_s:
            self._jump = (skew, mono)
            self._note("jumped", wall, max(expected, self._last))
        elif mono - self._jump[1] >= self.policy.confirm_s:
            self._jump = None
            self._base, self._base_mono, now = wall, mono, wall
            self._note("adopted", wall, max(wall, self._last))
        self._last = max(self._last, now)
        return self._last

    def changes(self) -> list[ClockChange]:
        """The changes seen since the last call (a reading is taken first), oldest first."""
        self()
        taken, self._changes = self._changes, []
        return taken

    def _note(self, kind: ChangeKind, wall: float, trusted: float) -> None:
        change = ClockChange(kind, wall, trusted, wall - trusted)
        self._changes.append(change)
        level = logging.INFO if kind == "agreed" else logging.WARNING
        log.log(level, "wall clock %s: wall %s, broker time %s (%+.0f s)%s", kind,
                _stamp(wall), _stamp(trusted), change.skew_s, _ADVICE[kind])


_ADVICE: dict[str, str] = {
    "jumped": "; the broker keeps its own time (monotonic) until the wall clock agrees "
              "again or keeps its new time for a while. Check NTP (timedatectl status).",
    "agreed": "; the wall clock agrees with the broker again.",
    "adopted": "; the wall clock kept its new time, so the broker takes it.",
}


def _stamp(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def hall_clock(hall: Hall) -> TrustedClock:
    """The broker's trusted clock on the real clocks, with the hall's ``[broker]`` policy."""
    return TrustedClock(policy=ClockPolicy(hall.broker.clock_jump_s, hall.broker.clock_confirm_s))


def accelerated_clock(start: str, speed: float, hall: Hall) -> Callable[[], float]:
    """A clock that starts at hall-local ``start`` and runs ``speed`` times faster.

    It advances with the monotonic clock, so a demo's day never jumps with NTP.
    """
    origin = parse_local(hall, start)
    began = time.monotonic()

    def now() -> float:
        return origin + (time.monotonic() - began) * speed

    return now
