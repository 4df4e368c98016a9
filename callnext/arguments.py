"""Argument types the ``callnext`` subcommands share."""

from __future__ import annotations

import argparse
from datetime import date

__all__ = ["iso_day"]


def iso_day(text: str) -> str:
    """An argparse type: a calendar day written YYYY-MM-DD, returned in that form.

    Raises:
        argparse.ArgumentTypeError: ``text`` is not such a day (argparse prints the words).
    """
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-25") from None
