"""A small ESC/POS decoder for tests: bytes -> what a visitor would read on the ticket.

Written independently of the code under test from the Epson ESC/POS command
reference; it knows only the commands a ticket uses and fails loudly on any
other control byte, so an unexpected command cannot slip through unread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PIL import Image


@dataclass
class Printed:
    """The decoded ticket."""

    lines: list[dict[str, Any]] = field(default_factory=list)
    """Text lines: {"text", "align", "bold", "width", "height"} (width/height = scale)."""
    qr_native: list[str] = field(default_factory=list)
    rasters: list[Image.Image] = field(default_factory=list)
    cuts: int = 0
    feed_lines: int = 0
    chinese_mode: bool = False
    ops: list[str] = field(default_factory=list)

    def texts(self) -> list[str]:
        """The text lines only."""
        return [line["text"] for line in self.lines]


def _u16(data: bytes, at: int) -> int:
    return data[at] | data[at + 1] << 8


def decode(data: bytes) -> Printed:
    """Decode a ticket's bytes.

    Raises:
        ValueError: an unknown command or a truncated one.
    """
    out = Printed()
    state = {"align": 0, "bold": False, "width": 1, "height": 1}
    text = bytearray()
    i = 0

    def end_line() -> None:
        out.lines.append({"text": bytes(text).decode("gb18030"), "align": state["align"],
                          "bold": state["bold"], "width": state["width"], "height": state["height"]})
        text.clear()

    while i < len(data):
        b = data[i]
        if b == 0x0A:
            end_line()
            i += 1
        elif b == 0x1B:
            cmd = data[i + 1]
            if cmd == 0x40:
                state.update(align=0, bold=False, width=1, height=1)
                out.ops.append("init")
                i += 2
            elif cmd == 0x21:
                n = data[i + 2]
                state["width"] = 2 if n & 0x20 else 1
                state["height"] = 2 if n & 0x10 else 1
                state["bold"] = bool(n & 0x08)
                i += 3
            elif cmd == 0x45:
                state["bold"] = bool(data[i + 2] & 1)
                i += 3
            elif cmd == 0x61:
                state["align"] = data[i + 2] % 48 if data[i + 2] >= 48 else data[i + 2]
                i += 3
            elif cmd == 0x64:  # feed n lines
                out.feed_lines += data[i + 2]
                i += 3
            elif cmd in (0x4D, 0x2D, 0x7B, 0x74):  # font, underline, upside-down, code page
                i += 3
            else:
                raise ValueError(f"unknown ESC 0x{cmd:02x} at {i}")
        elif b == 0x1D:
            cmd = data[i + 1]
            if cmd == 0x21:
                n = data[i + 2]
                state["width"] = (n >> 4) + 1
                state["height"] = (n & 0x0F) + 1
                i += 3
            elif cmd in (0x62, 0x42):  # smoothing, invert
                i += 3
            elif cmd == 0x56:  # cut
                m = data[i + 2]
                out.cuts += 1
                i += 4 if m in (65, 66) else 3
            elif cmd == 0x28 and data[i + 2] == 0x6B:  # GS ( k: QR
                length = _u16(data, i + 3)
                body = data[i + 5:i + 5 + length]
                if len(body) != length:
                    raise ValueError("truncated GS ( k")
                if body[0] == 49 and body[1] == 80:  # store data
                    out.qr_native.append(body[3:].decode("utf-8"))
                i += 5 + length
            elif cmd == 0x76 and data[i + 2] == 0x30:  # GS v 0 raster
                width_bytes = _u16(data, i + 4)
                height = _u16(data, i + 6)
                size = width_bytes * height
                raw = data[i + 8:i + 8 + size]
                if len(raw) != size:
                    raise ValueError("truncated GS v 0")
                # 1 = black dot in ESC/POS; PIL mode "1" uses 1 = white.
                inverted = bytes(0xFF ^ x for x in raw)
                out.rasters.append(Image.frombytes("1", (width_bytes * 8, height), inverted))
                i += 8 + size
            else:
                raise ValueError(f"unknown GS 0x{cmd:02x} at {i}")
        elif b == 0x1C:
            cmd = data[i + 1]
            if cmd == 0x26:
                out.chinese_mode = True
            elif cmd == 0x2E:
                out.chinese_mode = False
            else:
                raise ValueError(f"unknown FS 0x{cmd:02x} at {i}")
            i += 2
        elif b < 0x20:
            raise ValueError(f"unknown control byte 0x{b:02x} at {i}")
        else:
            text.append(b)
            i += 1
    if text:
        end_line()
    return out
