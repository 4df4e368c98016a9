"""Staff PINs: the format rule, a slow salted hash (scrypt) and its constant-time check.

A PIN is 4-8 ASCII digits. Only its hash is ever stored or sent to the broker:
``scrypt$N$r$p$<salt>$<hash>`` with a 16-byte random salt and a 32-byte key, both
base64url without padding. scrypt with N=16384, r=8 costs about 16 MiB and tens of
milliseconds, so guessing a 4-digit PIN from a stolen hash is slow, not impossible:
the web node's lock-out after wrong PINs is the main defence. Standard library only.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets

from foundation.errors import CallnextError

PIN_PATTERN = re.compile(r"[0-9]{4,8}")
"""4-8 ASCII digits, matched whole (``str.isdigit`` would also accept other scripts' digits,
and ``$`` a trailing newline)."""

SCRYPT_N = 16384
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
KEY_BYTES = 32
_MAXMEM = 64 * 1024 * 1024
_PREFIX = "scrypt"
HASH_PATTERN = (r"^scrypt\$[0-9]{1,7}\$[0-9]{1,3}\$[0-9]{1,3}\$[A-Za-z0-9_-]{16,64}"
                r"\$[A-Za-z0-9_-]{16,128}$")
"""What a stored PIN hash looks like (the broker checks the shape, never the PIN)."""


class PinError(CallnextError):
    """A PIN that is not 4-8 ASCII digits."""


def check_pin(pin: str) -> None:
    """Refuse anything but 4-8 ASCII digits.

    Raises:
        PinError: says what a PIN must be (never echoes the PIN itself).
    """
    if not isinstance(pin, str) or PIN_PATTERN.fullmatch(pin) is None:
        raise PinError("a PIN must be 4 to 8 digits (0-9), nothing else")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(pin.encode("ascii"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM,
                          dklen=length)


def hash_pin(pin: str) -> str:
    """The stored form of ``pin``: ``scrypt$16384$8$1$<salt b64url>$<hash b64url>``.

    Raises:
        PinError: ``pin`` is not 4-8 ASCII digits.
    """
    check_pin(pin)
    salt = secrets.token_bytes(SALT_BYTES)
    key = _scrypt(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P, KEY_BYTES)
    return f"{_PREFIX}${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(key)}"


def verify_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` matches ``stored`` (a ``hash_pin`` result); False for anything else.

    A malformed ``stored`` or a PIN of the wrong shape is simply False: the caller
    answers "wrong PIN" either way and must not tell the two apart to a guesser.
    """
    if not isinstance(pin, str) or PIN_PATTERN.fullmatch(pin) is None:
        return False
    parts = stored.split("$") if isinstance(stored, str) else []
    if len(parts) != 6 or parts[0] != _PREFIX:
        return False
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, expected = _unb64(parts[4]), _unb64(parts[5])
        # Refuse parameters that would make one check cost more than a fresh hash does.
        if not (2 <= n <= SCRYPT_N and 1 <= r <= SCRYPT_R and 1 <= p <= 4) or not expected:
            return False
        key = _scrypt(pin, salt, n, r, p, len(expected))
    except (ValueError, binascii.Error, MemoryError):
        return False
    return hmac.compare_digest(key, expected)
