"""The Kivy layer of the wall display: copies a ``Board`` onto widgets, nothing more.

Import this module only after the window size is configured (``configure_display_window``)
and never from the mirror thread: ``BoardView.show`` must run on Kivy's thread.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from foundation.errors import CallnextError
from config.display_node import DisplayNode
from display.presenter import Board, CallLine
from display.cache import cached_layout_class
from display.frames import BoardFrames, ticker_rate
from runtime.kivy_setup import (FONT_NAME, configure_window, flush_every_frame, register_fonts,
                                 settle_after_start, software_renderer)

if TYPE_CHECKING:  # pragma: no cover
    from display.app import DisplayCore

logger = logging.getLogger(__name__)

# Colours (RGBA): dark board, white text, amber for the call, muted when stale.
BACKGROUND = (0.04, 0.08, 0.15, 1)
PANEL = (0.08, 0.14, 0.25, 1)
ACCENT = (1.0, 0.76, 0.16, 1)
FLASH = (0.85, 0.33, 0.05, 1)
TEXT = (1, 1, 1, 1)
MUTED = (0.68, 0.75, 0.85, 1)
STATE_COLOURS = {"serving": (0.35, 0.85, 0.45, 1), "open": (0.6, 0.75, 0.95, 1),
                 "paused": (1.0, 0.7, 0.25, 1), "closed": (0.6, 0.6, 0.6, 1)}
LOST_RED = (0.78, 0.1, 0.1, 1)
STAFF_AMBER = (0.55, 0.33, 0.0, 1)
"""The staff-alert strip: amber, unlike the red of a lost link."""
CLOSED_BLUE = (0.1, 0.3, 0.6, 1)


def configure_display_window(node: DisplayNode, size: tuple[int, int] | None = None, *,
                             headless: bool = False) -> tuple[int, int]:
    """Set Kivy's window for this display (before ``kivy.core.window`` is imported).

    Args:
        node: the display settings (resolution, orientation, fullscreen).
        size: an explicit (width, height) overriding the node's.
        headless: render offscreen (screenshots): no fullscreen, SDL offscreen.

    Returns:
        The window size.
    """
    # On a software renderer (llvmpipe; a Pi's V3D ignores this) the board's frames are
    # small work: drawn in the UI thread they cost ~25 % less CPU than handed to
    # rasterizer threads that wake for every frame (measured at the 1280x720 demo size).
    os.environ.setdefault("LP_NUM_THREADS", "0")
    return configure_window(size or node.window_size(), fullscreen=node.fullscreen,
                            resizable=False, exit_on_escape=True, headless=headless)


def _widgets() -> dict[str, Any]:
    """Kivy classes, imported on first use (never at import time of this module)."""
    from kivy.clock import Clock
    from kivy.graphics import Color, Rectangle
    from kivy.uix.boxlayout import BoxLayout
    from kivy.uix.floatlayout import FloatLayout
    from kivy.uix.gridlayout import GridLayout
    from kivy.uix.label import Label
    from kivy.graphics.scissor_instructions import ScissorPop, ScissorPush
    from kivy.uix.widget import Widget

    return {"Clock": Clock, "Color": Color, "Rectangle": Rectangle, "BoxLayout": BoxLayout,
            "FloatLayout": FloatLayout, "GridLayout": GridLayout, "Label": Label,
            "ScissorPush": ScissorPush, "ScissorPop": ScissorPop, "Widget": Widget}


def _background(widget: Any, colour: tuple[float, ...]) -> Any:
    """Paint a rectangle behind ``widget`` that follows it; returns its Color instruction."""
    k = _widgets()
    with widget.canvas.before:
        instruction = k["Color"](*colour)
        rect = k["Rectangle"](pos=widget.pos, size=widget.size)

    def follow(*_: Any) -> None:
        rect.pos = widget.pos
        rect.size = widget.size

    widget.bind(pos=follow, size=follow)
    return instruction


def _label(size: float, colour: tuple[float, ...] = TEXT, *, halign: str = "left",
           bold: bool = False, **kwargs: Any) -> Any:
    """A label in the CJK font that shortens instead of overflowing its box.

    Sizes (in 1080-pixel units) come from a short scale: every size in use, bold apart,
    opens a FreeType face of the CJK font of its own, about 0.3 MiB each (#17). Reuse a
    size already on the board rather than one a few per cent off.
    """
    label = _widgets()["Label"](font_name=FONT_NAME, font_size=size, color=colour, halign=halign,
                                valign="middle", bold=bold, shorten=True,
                                shorten_from="right", markup=False, **kwargs)
    # Only the width is fixed (alignment, shortening): a texture of the text's own height,
    # centred by the label, rather than one as tall as the box (a box-sized texture is
    # mostly transparent pixels, held in memory for every label of the board).
    label.bind(width=lambda widget, value: setattr(widget, "text_size", (value, None)))
    return label


class BoardView:
    """The display's widget tree, built for one window size.

    Args:
        width: window width in pixels.
        height: window height in pixels.
        node: the display settings (orientation, ticker speed).
    """

    def __init__(self, width: int, height: int, node: DisplayNode) -> None:
        self.node = node
        self.portrait = height > width
        self.u = min(width, height) / 1080.0
        self.labels: dict[str, Any] = {}
        self._board: Board | None = None
        self._flash_on = True
        self.root = self._build()

    # --- building ----------------------------------------------------------------------------

    def _build(self) -> Any:
        k = _widgets()
        u = self.u
        root = k["FloatLayout"]()
        # No background of its own: the cached board (cleared to BACKGROUND) covers the window,
        # and every full-window layer costs a pass over all pixels in every ticker frame.
        column = k["BoxLayout"](orientation="vertical", padding=16 * u, spacing=12 * u)
        self.content = column
        column.add_widget(self._header())
        if self.portrait:
            column.add_widget(self._newest(size_hint_y=0.2))
            column.add_widget(self._tiles(size_hint_y=0.28))
            column.add_widget(self._recent(size_hint_y=0.23))
            column.add_widget(self._waiting(size_hint_y=0.27))
        else:
            body = k["BoxLayout"](orientation="horizontal", spacing=16 * u)
            left = k["BoxLayout"](orientation="vertical", spacing=12 * u, size_hint_x=0.62)
            left.add_widget(self._newest(size_hint_y=0.45))
            left.add_widget(self._tiles(size_hint_y=0.55))
            right = k["BoxLayout"](orientation="vertical", spacing=12 * u, size_hint_x=0.38)
            right.add_widget(self._recent(size_hint_y=0.5))
            right.add_widget(self._waiting(size_hint_y=0.5))
            body.add_widget(left)
            body.add_widget(right)
            column.add_widget(body)
        # The notices line scrolls outside the cached board: a scroll step redraws one label
        # and the cached board's texture, not every panel (display.cache).
        spacer = k["Widget"](size_hint_y=None, height=64 * u)
        column.add_widget(spacer)
        self.cache = cached_layout_class()(BACKGROUND)
        self.cache.add_widget(column)
        if self.node.staff_alerts:
            self.cache.add_widget(self._staff_strip())
        root.add_widget(self.cache)
        root.add_widget(self._ticker(spacer))
        # The lost banner: a dimming veil and a red band, hidden by moving it off-screen.
        veil = k["Widget"](size_hint=(1, 1), pos_hint={"x": 0, "y": 0}, opacity=0)
        _background(veil, (0.2, 0.2, 0.2, 0.55))
        band = k["BoxLayout"](orientation="vertical", size_hint=(1, 0.2),
                              pos_hint={"x": 0, "center_y": 0.5}, padding=8 * u)
        self.banner_colour = _background(band, LOST_RED)
        self.labels["banner_zh"] = _label(84 * u, TEXT, halign="center", bold=True)
        self.labels["banner_en"] = _label(48 * u, TEXT, halign="center")
        band.add_widget(self.labels["banner_zh"])
        band.add_widget(self.labels["banner_en"])
        veil_band = k["FloatLayout"](size_hint=(1, 1), pos_hint={"x": 0, "y": 0}, opacity=0)
        veil_band.add_widget(band)
        self.veil, self.banner = veil, veil_band
        # Inside the cache: a hidden veil drawn on every frame would still cost a pass.
        self.cache.add_widget(veil)
        self.cache.add_widget(veil_band)
        return root

    def _panel(self, **kwargs: Any) -> Any:
        box = _widgets()["BoxLayout"](orientation="vertical", padding=14 * self.u,
                                      spacing=6 * self.u, **kwargs)
        box.panel_colour = _background(box, PANEL)
        return box

    def _header(self) -> Any:
        k, u = _widgets(), self.u
        header = k["BoxLayout"](orientation="horizontal", size_hint_y=None, height=120 * u)
        titles = k["BoxLayout"](orientation="vertical")
        self.labels["title_zh"] = _label(54 * u, TEXT, bold=True)
        self.labels["title_en"] = _label(29 * u, MUTED)
        titles.add_widget(self.labels["title_zh"])
        titles.add_widget(self.labels["title_en"])
        clock = k["BoxLayout"](orientation="vertical", size_hint_x=None, width=(500 if self.portrait else 560) * u)
        self.labels["clock"] = _label(64 * u, TEXT, halign="right", bold=True)
        self.labels["date"] = _label(25 * u, MUTED, halign="right")
        clock.add_widget(self.labels["clock"])
        clock.add_widget(self.labels["date"])
        header.add_widget(titles)
        header.add_widget(clock)
        return header

    def _newest(self, **kwargs: Any) -> Any:
        u = self.u
        panel = self._panel(**kwargs)
        self.newest_panel = panel
        self.labels["newest_caption"] = _label(29 * u, MUTED, halign="center",
                                               size_hint_y=0.16)
        self.labels["newest_ticket"] = _label(170 * u, ACCENT, halign="center", bold=True,
                                              size_hint_y=0.5)
        self.labels["newest_zh"] = _label(64 * u, TEXT, halign="center", size_hint_y=0.2)
        self.labels["newest_en"] = _label(38 * u, MUTED, halign="center", size_hint_y=0.14)
        for name in ("newest_caption", "newest_ticket", "newest_zh", "newest_en"):
            panel.add_widget(self.labels[name])
        return panel

    def _tiles(self, **kwargs: Any) -> Any:
        self.tile_grid = _widgets()["GridLayout"](spacing=10 * self.u, **kwargs)
        self.tile_widgets: dict[int, dict[str, Any]] = {}
        return self.tile_grid

    def _list_panel(self, key: str, heading_zh: str, heading_en: str, rows: int,
                    cells: tuple[tuple[float, str, bool], ...], **kwargs: Any) -> Any:
        """A panel of ``rows`` rows; each cell is (width hint, halign, stacked zh/en)."""
        k, u = _widgets(), self.u
        panel = self._panel(**kwargs)
        heading = k["BoxLayout"](orientation="horizontal", size_hint_y=0.7)
        self.labels[f"{key}_heading"] = _label(33 * u, MUTED, bold=True, text=heading_zh)
        self.labels[f"{key}_heading_en"] = _label(25 * u, MUTED, halign="right", text=heading_en)
        heading.add_widget(self.labels[f"{key}_heading"])
        heading.add_widget(self.labels[f"{key}_heading_en"])
        panel.add_widget(heading)
        for index in range(rows):
            row = k["BoxLayout"](orientation="horizontal", spacing=10 * u)
            for column, (hint, halign, stacked) in enumerate(cells):
                name = f"{key}_{index}_{column}"
                if stacked:
                    cell = k["BoxLayout"](orientation="vertical", size_hint_x=hint)
                    self.labels[name] = _label(29 * u, TEXT, halign=halign, size_hint_y=0.6)
                    self.labels[f"{name}_en"] = _label(19 * u, MUTED, halign=halign,
                                                       size_hint_y=0.4)
                    cell.add_widget(self.labels[name])
                    cell.add_widget(self.labels[f"{name}_en"])
                else:
                    cell = _label(44 * u, ACCENT, halign=halign, bold=True, size_hint_x=hint)
                    self.labels[name] = cell
                row.add_widget(cell)
            panel.add_widget(row)
        return panel

    def _recent(self, **kwargs: Any) -> Any:
        self.recent_rows = max(self.node.recent_calls, 1)
        return self._list_panel("recent", "最近呼叫", "Recent calls", self.recent_rows,
                                ((0.42, "left", False), (0.58, "right", True)), **kwargs)

    def _waiting(self, **kwargs: Any) -> Any:
        self.waiting_rows = 5
        return self._list_panel("waiting", "等候情况", "Waiting · estimated wait",
                                self.waiting_rows,
                                ((0.5, "left", True), (0.2, "right", False),
                                 (0.3, "right", True)), **kwargs)

    def _ticker(self, spacer: Any) -> Any:
        """The notices line, laid over ``spacer`` (its place in the cached board)."""
        k, u = _widgets(), self.u
        # Clipped by a scissor, not a StencilView: a stencil clears a window-sized buffer on
        # every frame, a scissor costs nothing.
        stencil = k["Widget"](size_hint=(None, None), size=spacer.size, pos=spacer.pos)
        spacer.bind(pos=lambda w, value: setattr(stencil, "pos", value),
                    size=lambda w, value: setattr(stencil, "size", value))
        _background(stencil, PANEL)
        with stencil.canvas.before:
            scissor = k["ScissorPush"](pos=stencil.pos, size=stencil.size)
        with stencil.canvas.after:
            k["ScissorPop"]()

        def clip(*_: Any) -> None:
            scissor.pos = tuple(int(v) for v in stencil.pos)
            scissor.size = tuple(int(v) for v in stencil.size)

        stencil.bind(pos=clip, size=clip)
        label = k["Label"](font_name=FONT_NAME, font_size=34 * u, color=TEXT,
                           size_hint=(None, None))
        label.bind(texture_size=lambda widget, value: setattr(widget, "size", value))
        stencil.add_widget(label)
        stencil.bind(pos=lambda *_: self._place_ticker(reset=True))
        self.ticker_box, self.labels["ticker"] = stencil, label
        return stencil

    def _staff_strip(self) -> Any:
        """The small staff-alert strip (``staff_alerts = true`` only): floated over the
        header's free middle, so the board's layout stays as it is; hidden while empty."""
        k, u = _widgets(), self.u
        strip = k["BoxLayout"](size_hint=(0.42, None), height=40 * u, padding=(12 * u, 0),
                               pos_hint={"center_x": 0.52, "top": 0.985}, opacity=0)
        _background(strip, STAFF_AMBER)
        self.labels["staff_strip"] = _label(22 * u, TEXT, halign="left")
        strip.add_widget(self.labels["staff_strip"])
        self.staff_strip = strip
        return strip

    def _place_ticker(self, reset: bool = False) -> None:
        label, box = self.labels["ticker"], self.ticker_box
        label.center_y = box.center_y
        if reset:
            label.x = box.x + 24 * self.u

    # --- showing -----------------------------------------------------------------------------

    def show(self, board: Board) -> None:
        """Copy ``board`` onto the widgets (Kivy thread only)."""
        self._board = board
        text = self.labels
        text["title_zh"].text, text["title_en"].text = board.title_zh, board.title_en
        text["clock"].text = board.clock
        text["date"].text = f"{board.date_zh}   {board.date_en}"
        newest = board.newest
        text["newest_caption"].text = "请 · Now calling" if newest else "等候叫号 · Waiting for calls"
        text["newest_ticket"].text = newest.ticket if newest else "—"
        text["newest_zh"].text = (f"请到 {newest.counter_zh}" + ("（重呼）" if newest.recall else "")
                                  if newest else "")
        text["newest_en"].text = (f"→ {newest.counter_en}" + (" (recall)" if newest.recall else "")
                                  if newest else "")
        self._show_tiles(board)
        for index in range(self.recent_rows):
            call: CallLine | None = board.recent[index] if index < len(board.recent) else None
            text[f"recent_{index}_0"].text = (call.ticket + (" ↻" if call.recall else "")
                                              if call else "")
            text[f"recent_{index}_1"].text = call.short_zh if call else ""
            text[f"recent_{index}_1_en"].text = call.short_en if call else ""
        for index in range(self.waiting_rows):
            line = board.services[index] if index < len(board.services) else None
            text[f"waiting_{index}_0"].text = f"{line.prefix}  {line.name_zh}" if line else ""
            text[f"waiting_{index}_0_en"].text = line.name_en if line else ""
            text[f"waiting_{index}_1"].text = f"{line.waiting}人" if line else ""
            text[f"waiting_{index}_2"].text = line.wait_zh if line else ""
            text[f"waiting_{index}_2_en"].text = line.wait_en if line else ""
        if text["ticker"].text != board.ticker:
            text["ticker"].text = board.ticker
            self._place_ticker(reset=True)
        if "staff_strip" in text:
            text["staff_strip"].text = board.staff_strip
            self.staff_strip.opacity = 1 if board.staff_strip else 0
        self._show_banner(board)
        self._paint_flash()

    def _show_tiles(self, board: Board) -> None:
        u = self.u
        wanted = [tile.counter for tile in board.tiles]
        if list(self.tile_widgets) != wanted:
            self.tile_grid.clear_widgets()
            self.tile_widgets = {}
            count = max(len(wanted), 1)
            cols = 2 if self.portrait and count <= 4 else (3 if count <= 6 else 4)
            self.tile_grid.cols = cols
            rows = -(-count // cols)
            scale = min(1.0, 2.0 / rows) if not self.portrait else min(1.0, 3.0 / rows)
            for number in wanted:
                tile = self._panel()
                parts = {
                    "name_zh": _label(33 * u * scale, TEXT, halign="center", bold=True),
                    "name_en": _label(22 * u * scale, MUTED, halign="center"),
                    "ticket": _label(80 * u * scale, ACCENT, halign="center", bold=True,
                                     size_hint_y=1.9),
                    "state": _label(25 * u * scale, TEXT, halign="center"),
                    "staff": _label(19 * u * scale, MUTED, halign="center"),
                }
                for part in parts.values():
                    tile.add_widget(part)
                parts["panel"] = tile
                self.tile_grid.add_widget(tile)
                self.tile_widgets[number] = parts
        for tile in board.tiles:
            parts = self.tile_widgets[tile.counter]
            parts["name_zh"].text = tile.name_zh
            parts["name_en"].text = tile.name_en
            parts["ticket"].text = tile.ticket or "—"
            parts["state"].text = f"{tile.state_zh} {tile.state_en}"
            parts["state"].color = STATE_COLOURS[tile.state]
            parts["staff"].text = f"{tile.staff_zh}  {tile.staff_en}" if tile.staff_zh else ""
            parts["ticket"].color = ACCENT if tile.state == "serving" else MUTED

    def _show_banner(self, board: Board) -> None:
        banner = board.banner
        self.labels["banner_zh"].text = banner.zh if banner else ""
        self.labels["banner_en"].text = banner.en if banner else ""
        _set_rgba(self.banner_colour, CLOSED_BLUE if banner and banner.kind == "closed"
                  else LOST_RED)
        self.veil.opacity = 1 if board.stale else 0
        self.banner.opacity = 1 if banner else 0
        self.content.opacity = self.ticker_box.opacity = 0.45 if board.stale else 1

    def _paint_flash(self) -> None:
        board = self._board
        on = board is not None and board.flashing and self._flash_on
        # Only a real change may touch the instruction: any write re-renders the cached board.
        _set_rgba(self.newest_panel.panel_colour, FLASH if on else PANEL)
        self.labels["newest_ticket"].color = TEXT if on else ACCENT

    def tick_flash(self) -> None:
        """Toggle the flash phase (called twice a second)."""
        self._flash_on = not self._flash_on
        self._paint_flash()

    def tick_ticker(self, dt: float) -> None:
        """Scroll the notices line by ``dt`` seconds' worth."""
        label, box = self.labels["ticker"], self.ticker_box
        if not label.text:
            return
        label.x -= self.node.ticker_speed * self.u * dt
        if label.right < box.x:
            label.x = box.right
        label.center_y = box.center_y

    @property
    def texts(self) -> dict[str, str]:
        """Every label's current text by name (tests)."""
        result = {name: label.text for name, label in self.labels.items()}
        for number, parts in getattr(self, "tile_widgets", {}).items():
            for part in ("name_zh", "ticket", "state", "staff"):
                result[f"tile_{number}_{part}"] = parts[part].text
        return result


def _set_rgba(colour: Any, rgba: tuple[float, ...]) -> None:
    """Set a Color instruction only when it differs (every write flags a redraw)."""
    if tuple(colour.rgba) != tuple(float(c) for c in rgba):
        colour.rgba = rgba


def render_png(view: BoardView, out: Path, frames: int = 6) -> Path:
    """Render ``view`` in the current (offscreen) window and write a PNG to ``out``.

    Returns:
        ``out``.
    """
    from kivy.base import EventLoop

    EventLoop.ensure_window()
    window = EventLoop.window
    for child in list(window.children):
        window.remove_widget(child)
    window.add_widget(view.root)
    view.root.size = window.size
    for _ in range(frames):
        EventLoop.idle()
    view._place_ticker(reset=True)
    for _ in range(2):
        EventLoop.idle()
    out.parent.mkdir(parents=True, exist_ok=True)
    # Window.screenshot always appends a counter: write to a temp name, then move.
    with tempfile.TemporaryDirectory() as folder:
        written = window.screenshot(name=str(Path(folder) / "frame.png"))
        if not written:
            raise CallnextError("the window could not be captured")
        shutil.move(written, out)
    return out


def run_window(core: DisplayCore, node: DisplayNode) -> None:
    """Open the display window and keep it in step with ``core`` until it is closed."""
    width, height = configure_display_window(node)
    register_fonts()
    from kivy.app import App
    from kivy.clock import Clock

    view = BoardView(width, height, node)

    class DisplayApp(App):
        title = "callnext display"

        def build(self) -> Any:
            flush_every_frame()  # opens the window (and its GL context) first
            fps = ticker_rate(node, software_renderer())
            logger.info("notices line at %.0f frames a second", fps)
            frames = BoardFrames(view, core.board, Clock, fps)
            frames.start()
            # The mirror thread only fires the trigger; widgets change on Kivy's thread.
            core.on_change(frames.changed)
            # Once the first frames are drawn, start-up garbage goes back to the system and
            # what start-up built leaves the collector's full passes.
            Clock.schedule_once(lambda dt: settle_after_start(), 3.0)
            return view.root

    DisplayApp().run()
