"""``callnext caller --keyboard``: the same caller driven from a PC keyboard.

For counters without buttons and for the demo. A key stands for a whole
button press and goes through the same press filter and command worker as
a GPIO button. An upper-case letter is a long press (the button's
long-press action, when the config gives it one). Digits are the visitor's
rating, as the wire score: on a 5-level pad 5 = 非常满意 … 1 = 非常不满意, and after a
negative one (1 or 2) the same keys name its reason; on a 3-level pad 3 = 满意, 2 = 基本满意,
1 = 不满意.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from dataclasses import dataclass
from typing import Iterator, TextIO

from config.rating import LEVELS, REASONS
from runtime.messages import render

logger = logging.getLogger(__name__)

KEYS: dict[str, str] = {
    "n": "call_next",
    " ": "call_next",
    "r": "recall",
    "x": "no_show",
    "p": "pause",
    "t": "transfer",
    "f": "finish",
    "s": "start",
    "h": "hold",
}
"""Key to clerk action."""

QUIT_KEYS = frozenset({"q", "\x03", "\x04"})
"""q, Ctrl-C, Ctrl-D."""


def help_text(scale: int) -> str:
    """The one-line key help shown at start.

    Args:
        scale: the hall's rating scale.

    Returns:
        Bilingual help.
    """
    return ("keys / 按键: n or space = 叫号 call next, r = 重呼 recall, x = 过号 no-show, "
            "p = 暂停/恢复 pause/resume, t = 转移 transfer, f = 办结 finish, s = 开始 start, "
            f"h = 挂起 hold; upper case = long press / 大写 = 长按 (R = 慢速重呼 slow repeat "
            f"by default); 1-{scale} = 评价 rating "
            f"({scale} = {_level(LEVELS[scale][-1])} best, 1 = {_level(LEVELS[scale][0])} "
            f"worst){_reason_keys(scale)}; q = 退出 quit")


def _level(code: str) -> str:
    return render(f"rating.level.{code}", {}, "zh")


def _reason_keys(scale: int) -> str:
    """On a 5-level pad the same keys name a negative rating's reason (the pad's buttons in
    order, best-level key first)."""
    if scale < len(REASONS):
        return ""
    words = ", ".join(f"{scale - i} = {render(f'rating.reason.{reason}', {}, 'zh')} "
                      f"{render(f'rating.reason.{reason}', {}, 'en').lower()}"
                      for i, reason in enumerate(REASONS))
    return f", then after 1-2 the reason / 原因: {words}"


@dataclass(frozen=True)
class KeyPress:
    """What a key means.

    Attributes:
        name: the button name (clerk action or ``rate<i>``), or ``quit``.
        long: a long press.
    """

    name: str
    long: bool = False


def decode_key(char: str, scale: int) -> KeyPress | None:
    """Map one typed character to a button press.

    Args:
        char: one character.
        scale: the hall's rating scale (3 or 5).

    Returns:
        The press, or None for keys with no meaning.
    """
    if char in QUIT_KEYS:
        return KeyPress("quit")
    if char.isdigit() and 1 <= int(char) <= scale:
        # Score d is the button (scale - d), the pad's buttons being best first.
        return KeyPress(f"rate{scale - int(char)}")
    if char in KEYS:
        return KeyPress(KEYS[char])
    if char.isupper() and char.lower() in KEYS:
        return KeyPress(KEYS[char.lower()], long=True)
    return None


@contextlib.contextmanager
def raw_terminal(stream: TextIO) -> Iterator[None]:
    """Put a terminal in cbreak mode (keys arrive without Enter), restoring it after.

    Does nothing when ``stream`` is not a terminal (piped input is read as is).

    Args:
        stream: the input stream.
    """
    try:
        fd = stream.fileno()
        interactive = stream.isatty()
    except (OSError, ValueError, AttributeError):
        interactive = False
    if not interactive:
        yield
        return
    import termios
    import tty

    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def read_keys(stream: TextIO | None = None) -> Iterator[str]:
    """Yield typed characters until end of input.

    Args:
        stream: the input (standard input by default).

    Yields:
        One character at a time (newlines skipped).
    """
    source = sys.stdin if stream is None else stream
    while True:
        char = source.read(1)
        if not char:
            return
        if char not in "\r\n":
            yield char
