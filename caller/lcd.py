"""The caller's small text output: serving number and waiting count.

Like the two-line LCD of commercial caller keypads. ``caller_lines`` is pure;
the outputs are ports: ``TerminalText`` (a console or serial terminal, which
can show Chinese) and ``I2cCharLcd`` (an HD44780 behind a PCF8574 backpack via
RPLCD, ASCII only: HD44780 character ROMs have no Chinese glyphs).
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Protocol, TextIO

from caller.mirrored import counter_view
from foundation.errors import CallnextError
from config.caller_node import LcdSettings
from config.schema import Hall
from protocol.view import PublicView
from runtime.messages import refusal_text, render

logger = logging.getLogger(__name__)


class LcdError(CallnextError, RuntimeError):
    """The configured text output cannot be used."""


class TextOutput(Protocol):
    """A small text display."""

    def show(self, lines: list[str]) -> None:
        """Show ``lines`` (already fitted to the display)."""

    def close(self) -> None:
        """Release the device."""


def caller_lines(view: PublicView | None, counter: int, *, link_ok: bool, waiting: int,
                 columns: int, rows: int, ascii_only: bool, note: str = "") -> list[str]:
    """The lines to show for a counter.

    Args:
        view: the mirrored public view, typed (None before the first snapshot).
        counter: the counter number.
        link_ok: the broker is reachable.
        waiting: tickets waiting for this counter's services.
        columns: characters per line.
        rows: lines.
        ascii_only: no Chinese (character LCDs).
        note: a transient message (transfer target, refusal), shown on the last line.

    Returns:
        Exactly ``rows`` lines, each at most ``columns`` characters.
    """
    entry = counter_view(view, counter)
    if not link_ok:
        first = "NO LINK" if ascii_only else "网络断开 NO LINK"
        second = "press again later" if ascii_only else "请稍后再按"
    else:
        serving = (entry.serving if entry is not None else None) or "----"
        mode = entry.mode if entry is not None else "open"
        flag = {"paused": " PAUSE", "closed": " CLOSED"}.get(mode, "")
        if not ascii_only:
            flag = {"paused": " 暂停", "closed": " 关闭"}.get(mode, "")
        first = (f"{counter} NOW {serving}{flag}" if ascii_only
                 else f"{counter}号 当前 {serving}{flag}")
        second = f"WAIT {waiting}" if ascii_only else f"等候 {waiting} 人"
    lines = [first, second]
    if note:
        lines.append(note if not ascii_only else note.encode("ascii", "ignore").decode())
    if len(lines) > rows:
        # Keep the note (it is what the clerk just did) over the waiting line.
        lines = lines[:rows - 1] + [lines[-1]] if rows > 1 else [lines[-1] if note else first]
    lines += [""] * (rows - len(lines))
    return [line[:columns] for line in lines]


def note_words(key: str, params: dict[str, Any] | None = None, *, ascii_only: bool,
               hall: Hall | None = None) -> str:
    """A catalogue sentence for the note line: Chinese, or English on ASCII-only LCDs."""
    return render(key, params, "en" if ascii_only else "zh", hall=hall)


def refusal_note(op: str, code: str | None, params: dict[str, Any] | None, status: str, *,
                 ascii_only: bool, hall: Hall | None = None) -> str:
    """The note for a command that did not go through: the op, then why.

    Args:
        op: the command's op.
        code: the wire error code when the broker refused, else None.
        params: the refusal's parameters (with the rule's ``reason``).
        status: the outcome's status (``refused``, ``unreachable``, ``stale``, ``error``).
        ascii_only: English for character LCDs, Chinese otherwise.
        hall: the hall, for service names.
    """
    if code is None:
        why = note_words("caller.offline", ascii_only=ascii_only) if status == "unreachable" \
            else status
    else:
        why = refusal_text(code, params, "en" if ascii_only else "zh", hall=hall)
    return f"{op}: {why}"


class TerminalText:
    """Show the lines on a text stream, only when they change.

    Args:
        stream: where to write (standard output by default).
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self._last: list[str] | None = None

    def show(self, lines: list[str]) -> None:
        """Write ``lines`` as one line joined by `` | `` if they changed."""
        if lines == self._last:
            return
        self._last = list(lines)
        self._stream.write(" | ".join(line for line in lines if line) + "\n")
        self._stream.flush()

    def close(self) -> None:
        """Nothing to release."""


class I2cCharLcd:
    """An HD44780 character LCD on a PCF8574 I2C backpack (RPLCD).

    Args:
        settings: the node's LCD settings.

    Raises:
        LcdError: RPLCD is not installed or the LCD does not answer.
    """

    def __init__(self, settings: LcdSettings) -> None:
        try:
            from RPLCD.i2c import CharLCD  # type: ignore[import-not-found]
        except ImportError as err:
            raise LcdError("lcd.kind = 'i2c' needs the RPLCD package: "
                           "/opt/callnext/venv/bin/pip install RPLCD smbus2") from err
        try:
            self._lcd = CharLCD("PCF8574", settings.i2c_address, port=settings.i2c_port,
                                cols=settings.columns, rows=settings.rows)
        except OSError as err:
            raise LcdError(f"no LCD answers at I2C address {settings.i2c_address:#04x} on "
                           f"bus {settings.i2c_port}: {err}; check the wiring and "
                           f"`i2cdetect -y {settings.i2c_port}`") from err
        self._columns = settings.columns
        self._last: list[str] | None = None

    def show(self, lines: list[str]) -> None:
        """Write the lines to the LCD if they changed."""
        if lines == self._last:
            return
        self._last = list(lines)
        for row, line in enumerate(lines):
            self._lcd.cursor_pos = (row, 0)
            self._lcd.write_string(line.ljust(self._columns))

    def close(self) -> None:
        """Clear and release the LCD."""
        self._lcd.close(clear=True)


def open_text_output(settings: LcdSettings, *, stream: TextIO | None = None) -> TextOutput | None:
    """Open the configured text output.

    Args:
        settings: the node's LCD settings.
        stream: the stream for ``terminal`` (standard output by default).

    Returns:
        The output, or None for ``kind = "none"``.
    """
    if settings.kind == "none":
        return None
    if settings.kind == "terminal":
        return TerminalText(stream)
    return I2cCharLcd(settings)
