"""Sessions, CSRF tokens and the PIN lockout, on a hand-driven clock."""

from __future__ import annotations

from web.sessions import PinLockout, SessionStore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_wrong_pins_within_five_minutes_lock_the_id_for_five_minutes() -> None:
    clock = Clock()
    lockout = PinLockout(clock)
    assert [lockout.failed("1024") for _ in range(4)] == [False] * 4
    assert lockout.locked_for("1024") == 0.0
    assert lockout.failed("1024") is True
    assert lockout.locked_for("1024") == 300.0
    assert lockout.locked_for("1025") == 0.0  # per id
    clock.now += 299
    assert lockout.locked_for("1024") > 0
    clock.now += 2
    assert lockout.locked_for("1024") == 0.0


def test_wrong_pins_spread_over_more_than_five_minutes_do_not_lock() -> None:
    clock = Clock()
    lockout = PinLockout(clock)
    for _ in range(8):
        assert lockout.failed("1024") is False
        clock.now += 80  # four in any 300 s window at most
    assert lockout.locked_for("1024") == 0.0


def test_a_right_pin_clears_the_count() -> None:
    lockout = PinLockout(Clock())
    for _ in range(4):
        lockout.failed("1024")
    lockout.succeeded("1024")
    assert [lockout.failed("1024") for _ in range(4)] == [False] * 4


def test_a_session_has_random_ids_and_checks_its_csrf_token() -> None:
    store = SessionStore(Clock())
    one = store.create("1024", "张三", "clerk", 1)
    two = store.create("1025", "李四", "clerk", 2)
    assert len({one.id, one.csrf, two.id, two.csrf}) == 4
    assert len(one.id) >= 43  # 256 bits, base64url
    assert store.get(one.id) is one
    assert one.csrf_ok(one.csrf) and not one.csrf_ok(two.csrf) and not one.csrf_ok(None)
    assert store.get("forged") is None and store.get(None) is None


def test_signing_in_again_ends_the_earlier_session_of_that_person() -> None:
    store = SessionStore(Clock())
    first = store.create("1024", "张三", "clerk", 1)
    second = store.create("1024", "张三", "clerk", 2)
    assert store.get(first.id) is None and store.get(second.id) is second


def test_an_idle_session_expires_and_sign_out_ends_it() -> None:
    clock = Clock()
    store = SessionStore(clock, idle_s=60)
    idle = store.create("1024", "张三", "clerk", 1)
    used = store.create("1025", "李四", "clerk", 2)
    clock.now += 40
    store.get(used.id)
    clock.now += 30
    assert store.get(idle.id) is None and store.get(used.id) is used
    assert store.end(used.id) is used and store.get(used.id) is None


def test_others_at_a_counter_are_signed_out_when_someone_signs_in_there() -> None:
    store = SessionStore(Clock())
    before = store.create("1024", "张三", "clerk", 3)
    after = store.create("1025", "李四", "clerk", 3)
    store.end_staff_at(3, keep="1025")
    assert store.get(before.id) is None and store.get(after.id) is after
