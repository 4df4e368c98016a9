"""Spoken confirmation of an issued ticket (for visually impaired visitors), via espeak-ng.

espeak-ng's ``cmn`` voice reads pinyin as English; ``cmn-latn-pinyin`` is
correct Mandarin. Digits are spaced so "012" is read "零 一 二", not "零十二".
"""

from __future__ import annotations

import logging
import subprocess

from kiosk.presenter import IssuedTicket

logger = logging.getLogger(__name__)


def spaced(ticket: str) -> str:
    """``A012`` -> ``A 0 1 2``."""
    return " ".join(ticket)


def ticket_phrases(ticket: IssuedTicket) -> tuple[str, str]:
    """What is said, Chinese then English; no personal data, only the number."""
    return (f"您的号码是 {spaced(ticket.ticket)} 号，请留意叫号",
            f"Your number is {spaced(ticket.ticket)}. Please watch for your number.")


def speak_ticket(ticket: IssuedTicket, timeout_s: float = 20.0) -> bool:
    """Say the ticket in Mandarin then English; False when speech failed (logged)."""
    zh, en = ticket_phrases(ticket)
    ok = True
    for voice, phrase in (("cmn-latn-pinyin", zh), ("en-us", en)):
        try:
            subprocess.run(["espeak-ng", "-v", voice, "-s", "140", "--stdin"], input=phrase,
                           text=True, timeout=timeout_s, check=True, capture_output=True)
        except (OSError, subprocess.SubprocessError) as err:
            logger.warning("spoken confirmation failed (%s): %s", voice, err)
            ok = False
    return ok
