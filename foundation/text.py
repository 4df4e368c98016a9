"""Terminal text helpers: Chinese characters take two columns."""

from __future__ import annotations

import unicodedata


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal (wide East Asian characters count twice)."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def pad(text: str, columns: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``columns`` terminal columns (left-aligned by default)."""
    fill = " " * max(columns - width(text), 0)
    return fill + text if right else text + fill
