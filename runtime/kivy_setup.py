"""Kivy set-up shared by every node with a screen; Kivy is imported only when called."""

from __future__ import annotations

from hw.cjk_image import cjk_font_path


def register_fonts() -> None:
    """Make WenQuanYi (Simplified glyph forms) the default font of every label.

    Raises:
        hw.cjk_image.FontMissing: the font is not installed.
    """
    from kivy.core.text import DEFAULT_FONT, LabelBase

    LabelBase.register(DEFAULT_FONT, cjk_font_path())
