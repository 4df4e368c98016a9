"""Render text lines to a 1-bit picture for printers without a Chinese font.

Uses WenQuanYi Micro Hei (Simplified-Chinese glyph forms; fonts-wqy-microhei).
"""

from __future__ import annotations

import functools
import logging
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from foundation.errors import CallnextError

if TYPE_CHECKING:
    from PIL import Image, ImageFont

logger = logging.getLogger(__name__)

CJK_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/wqy-microhei/wqy-microhei.ttc",
)


class FontMissing(CallnextError, FileNotFoundError):
    """No Chinese font with Simplified glyph forms is installed."""


@functools.cache
def cjk_font_path() -> str:
    """The WenQuanYi Micro Hei file.

    Raises:
        FontMissing: the font is not installed (apt-get install fonts-wqy-microhei).
    """
    for candidate in CJK_FONT_CANDIDATES:
        if Path(candidate).is_file():
            return candidate
    if shutil.which("fc-match"):
        found = subprocess.run(["fc-match", "-f", "%{file}", "WenQuanYi Micro Hei"],
                               capture_output=True, text=True, timeout=5, check=False).stdout
        if "wqy-microhei" in found and Path(found).is_file():
            return found
    raise FontMissing("找不到中文字体 / no Chinese font: apt-get install fonts-wqy-microhei")


@functools.lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(cjk_font_path(), size, index=0)


def render_lines(lines: Sequence[tuple[str, int]], width: int, *, center: bool = True,
                 spacing: int = 6) -> Image.Image:
    """Draw lines of text, each in its own pixel size, into one black-on-white image.

    A line too wide for the paper is shrunk to fit rather than clipped.

    Args:
        lines: ``(text, size_px)`` pairs, top to bottom.
        width: image width in dots (384 for 58 mm, 576 for 80 mm paper).
        center: centre each line; otherwise left-aligned.
        spacing: dots between lines.

    Returns:
        A mode "1" image ``width`` dots wide.
    """
    from PIL import Image, ImageDraw

    placed: list[tuple[str, ImageFont.FreeTypeFont, int, int]] = []
    height = 0
    for text, size in lines:
        font = _font(size)
        left, top, right, bottom = font.getbbox(text)
        while right - left > width and size > 10:
            size = int(size * 0.9)
            font = _font(size)
            left, top, right, bottom = font.getbbox(text)
        line_h = max(bottom, size)
        placed.append((text, font, right - left, height))
        height += line_h + spacing
    image = Image.new("1", (width, max(height, 1)), 1)
    draw = ImageDraw.Draw(image)
    for text, font, text_w, y in placed:
        x = (width - text_w) // 2 if center else 0
        draw.text((x, y), text, font=font, fill=0)
    return image
