"""Staff PINs: only 4-8 ASCII digits, a salted scrypt hash, a constant-time check."""

from __future__ import annotations

import re

import pytest

from foundation.errors import CallnextError
from foundation.pins import HASH_PATTERN, PinError, check_pin, hash_pin, verify_pin
from protocol.args import PIN_HASH_PATTERN


@pytest.mark.parametrize("pin", ["", "123", "123456789", "12a4", "１２３４", "12 34", "٣٣٣٣",
                                 "1234\n"])
def test_anything_but_four_to_eight_ascii_digits_is_refused(pin: str) -> None:
    with pytest.raises(PinError) as refused:
        check_pin(pin)
    assert isinstance(refused.value, CallnextError)
    assert pin not in str(refused.value) or not pin, "the message never repeats the PIN"


def test_a_hash_is_salted_has_the_documented_shape_and_checks_only_its_pin() -> None:
    first, second = hash_pin("2580"), hash_pin("2580")
    assert first != second, "a fresh random salt each time"
    for stored in (first, second):
        assert re.match(HASH_PATTERN, stored) and re.match(PIN_HASH_PATTERN, stored)
        assert stored.startswith("scrypt$16384$8$1$") and "2580" not in stored
        assert verify_pin("2580", stored)
    assert not verify_pin("2581", first) and not verify_pin("25800", first)


@pytest.mark.parametrize("stored", ["", "plain", "scrypt$16384$8$1$abc", "bcrypt$1$2$3$4$5",
                                    "scrypt$1048576$8$1$AAAAAAAAAAAAAAAAAAAAAA$"
                                    "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
                                    "scrypt$16384$8$1$!!!$???"])
def test_a_malformed_or_too_costly_stored_hash_is_simply_no_match(stored: str) -> None:
    assert verify_pin("2580", stored) is False
