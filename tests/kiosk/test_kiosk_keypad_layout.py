"""The appointment keypad, drawn headless: the typed code and the messages never overlap the
keys, however long the message and the code (up to the 32 characters a code may have)."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("kivy")

from kivy.tests.common import GraphicUnitTest  # noqa: E402
from kivy.uix.button import Button  # noqa: E402
from kivy.uix.label import Label  # noqa: E402

from config.kiosk_node import KioskNode  # noqa: E402
from kiosk.presenter import KioskPresenter  # noqa: E402
from tests.conftest import at, small_hall  # noqa: E402

LONG_MESSAGE = ("预计办理时间 18:53，已超过今日办公时间（17:30），今日不再出号，请预约 11-26 08:30 以后的时段办理",
                "Expected time 18:53 is after closing (17:30); no more tickets today, please "
                "book a slot from 11-26 08:30")
Box = tuple[float, float, float, float]


def _walk(widget: Any) -> list[Any]:
    found = [widget]
    for child in widget.children:
        found += _walk(child)
    return found


def _drawn_text(label: Label) -> Box:
    """Where a label's text is drawn (it may spill outside the label's own box)."""
    cx, cy = label.to_window(*label.center)
    w, h = label.texture_size
    return cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2


def _box(button: Button) -> Box:
    x, y = button.to_window(button.x, button.y)
    return x, y, x + button.width, y + button.height


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class KeypadLayoutTest(GraphicUnitTest):
    def _overlaps(self, code: str, language: Any) -> list[tuple[str, str]]:
        from kiosk.ui import KioskView
        from runtime.kivy_setup import register_fonts

        register_fonts()
        self.Window.size = (1280, 800)
        presenter = KioskPresenter(small_hall(), KioskNode(id="kiosk-1"))
        view = KioskView(lambda action_id: None)
        self.render(view)
        view.show(presenter.appointment(code, language, LONG_MESSAGE, at("09:41")))
        self.advance_frames(3)
        keys = [w for w in _walk(view) if isinstance(w, Button)]
        texts = [w for w in _walk(view) if isinstance(w, Label) and not isinstance(w, Button)
                 and w.text and w not in _walk(view.children[-1])]  # the header is apart
        assert len(keys) == 13 and any(code in t.text for t in texts)
        return [(t.text[:30], k.text[:20]) for t in texts for k in keys
                if _overlap(_drawn_text(t), _box(k))]

    def test_an_eight_character_code_and_a_long_message_clear_the_keys(self) -> None:
        assert self._overlaps("HX093127", "zh") == []

    def test_the_longest_code_in_english_clears_the_keys(self) -> None:
        assert self._overlaps("ABCDEFGHJK-0123456789-ABCDEFGHJK", "en") == []
