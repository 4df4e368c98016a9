"""What a touch costs in frames (issue #17: touch -> number drawn).

With a software renderer every frame holds the CPU for tens of ms, and the number's frame
waited for the frames before it. A broker that answers quickly goes straight from the touched
screen to the number, with no "please wait" frame in between; a slow one still gets the
"please wait" screen. The background costs no full-screen rectangle per frame.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("kivy")

from kivy.tests.common import GraphicUnitTest  # noqa: E402
from kiosk_support import widget_texts  # noqa: E402

from config.load import load_hall  # noqa: E402
from kiosk.app import sample_screen  # noqa: E402

CONFIG = Path(__file__).resolve().parents[2] / "config" / "hall.example.toml"
DELAY_S = 0.05
BUSY_WORDS = "正在取号"


class KioskFramesTest(GraphicUnitTest):
    """The real ``KioskView`` in Kivy's test window."""

    def view(self) -> tuple[Any, Any, Any]:
        from kiosk.ui import KioskView
        from runtime.kivy_setup import register_fonts

        register_fonts()
        hall = load_hall(CONFIG)
        node = hall.kiosks[0]
        view = KioskView(lambda action_id: None, busy_delay_s=DELAY_S)
        self.render(view)
        view.show(sample_screen(hall, node, "home"))
        self.advance_frames(1)
        return view, hall, node

    def frames_for(self, seconds: float, view: Any) -> list[str]:
        """Run frames for ``seconds`` (real time: Kivy's clock); the screen of each."""
        seen = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.advance_frames(1)
            seen.append(view.screen.name)
        return seen

    def test_a_quick_answer_goes_from_the_touched_screen_to_the_number(self) -> None:
        view, hall, node = self.view()
        view.show(sample_screen(hall, node, "busy"))
        assert view.screen.name == "home"  # not drawn yet: the answer may come first
        view.show(sample_screen(hall, node, "issued"))
        seen = self.frames_for(DELAY_S * 4, view)
        assert set(seen) == {"issued"}
        assert not any(BUSY_WORDS in text for text in widget_texts(view))

    def test_a_slow_answer_shows_please_wait(self) -> None:
        view, hall, node = self.view()
        view.show(sample_screen(hall, node, "busy"))
        seen = self.frames_for(DELAY_S * 4, view)
        assert seen[-1] == "busy" and any(BUSY_WORDS in text for text in widget_texts(view))
        view.show(sample_screen(hall, node, "issued"))  # the answer, late
        assert view.screen.name == "issued"

    def test_please_wait_is_not_put_off_by_repeated_reports(self) -> None:
        view, hall, node = self.view()
        busy = sample_screen(hall, node, "busy")
        deadline = time.monotonic() + DELAY_S * 6
        while time.monotonic() < deadline and view.screen.name != "busy":
            view.show(busy)  # the controller reports on every mirror update and tick
            self.advance_frames(1)
        assert view.screen.name == "busy"

    def test_the_background_is_the_windows_clear_colour(self) -> None:
        from kivy.graphics import Rectangle

        from kiosk.ui import BACKGROUND

        view, _hall, _node = self.view()
        window = view.get_root_window()
        assert tuple(window.clearcolor) == pytest.approx(BACKGROUND)
        assert not [i for i in view.canvas.before.children if isinstance(i, Rectangle)]
        window.remove_widget(view)
        assert tuple(window.clearcolor) != pytest.approx(BACKGROUND)  # restored

    def test_textures_are_the_size_of_their_words_and_long_words_wrap(self) -> None:
        from kiosk.presenter import KioskPresenter

        view, hall, node = self.view()
        presenter = KioskPresenter(hall, node)
        long_zh = "预约未到签到时间，" * 12
        long_en = "Too early to check in; please check in after 09:30. " * 6
        for zh, en in ((long_zh, long_en), ("请稍后", "Later"), (long_zh, long_en)):
            view.show(presenter.notice("zh", zh, en))  # one tree, reused with new words
            self.advance_frames(3)
            label = next(w for w in view.walk() if getattr(w, "kiosk_text", None) is not None
                         and w.kiosk_text.primary == zh)
            width, height = label.texture_size
            assert 0 < width <= label.width
            if zh == long_zh:  # wrapped to the label's width, on several lines
                assert width > label.width * 0.8 and height > label.font_size * 4
            else:  # a texture of the words, not of the whole width
                assert width < label.width * 0.3
        # The next visitor's number: a texture of its own width, not of the screen's.
        view.show(sample_screen(hall, node, "issued"))
        self.advance_frames(3)
        number = next(w for w in view.walk() if getattr(getattr(w, "kiosk_text", None),
                                                        "size", None) == "huge")
        assert 0 < number.texture_size[0] < number.width / 2
        for button in view.buttons.values():
            assert 0 < button.texture_size[0] <= button.width - 16


def test_the_kiosk_clock_wakes_for_work_and_frames_are_not_multisampled(tmp_path: Path) -> None:
    """The broker's answer is scheduled from the request thread: Kivy's default clock would
    sleep out the frame first. Multisampled buffers cost ~35 MiB and smooth nothing on the
    kiosk. Checked in a fresh process (the clock is chosen at import)."""
    import subprocess
    import sys

    code = ("from kiosk.app import configure_kiosk_window\n"
            "configure_kiosk_window((640, 400), headless=True)\n"
            "from kivy.clock import Clock, ClockBaseInterrupt\n"
            "from kivy.config import Config\n"
            "print(isinstance(Clock, ClockBaseInterrupt), Config.get('graphics', 'multisamples'))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False, cwd=Path(__file__).resolve().parents[2],
                          env={"KIVY_HOME": str(tmp_path), "KIVY_NO_ARGS": "1", "KIVY_NO_CONSOLELOG": "1",
                               "KIVY_NO_FILELOG": "1", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-1500:]
    assert done.stdout.strip().splitlines()[-1] == "True 0"
