"""The kiosk bench stops its clock only when the number's pixels are in the frame
(``bench.kiosk_draw.number_rendered`` reads them back): not on the touched screen, not on a
"please wait" screen, yes once the issued screen is drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("kivy")

from kivy.tests.common import GraphicUnitTest  # noqa: E402

from bench.kiosk_draw import number_rendered  # noqa: E402
from config.load import load_hall  # noqa: E402
from kiosk.app import sample_screen  # noqa: E402

CONFIG = Path(__file__).resolve().parents[2] / "config" / "hall.example.toml"


class NumberReadBackTest(GraphicUnitTest):
    """The real ``KioskView`` in Kivy's test window, its frames read back."""

    def test_only_a_frame_with_the_number_counts(self) -> None:
        from kiosk.ui import KioskView
        from runtime.kivy_setup import register_fonts

        register_fonts()
        hall = load_hall(CONFIG)
        node = hall.kiosks[0]
        # The size the test window's offscreen surface was made at: an earlier test may have
        # made the window larger, and what is drawn beyond the surface cannot be read back.
        self.Window.size = (320, 240)
        view = KioskView(lambda action_id: None, busy_delay_s=0)
        self.render(view)
        for name in ("home", "busy"):
            view.show(sample_screen(hall, node, name))
            self.advance_frames(2)
            assert not number_rendered(view), name
        view.show(sample_screen(hall, node, "issued"))
        self.advance_frames(2)
        assert number_rendered(view)
        view.show(sample_screen(hall, node, "busy"))
        self.advance_frames(2)
        view.show(sample_screen(hall, node, "issued"))  # on the widgets, not yet in a frame
        assert not number_rendered(view)
        self.advance_frames(1)
        assert number_rendered(view)
