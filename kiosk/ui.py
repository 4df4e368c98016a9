"""The kiosk's Kivy layer: draws a ``Screen`` and turns touches into action ids.

Thin on purpose: what to show comes from ``kiosk.presenter``, what a touch
does from ``kiosk.controller``. Import only after Kivy's window settings are
made (``configure_window``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock
from kivy.graphics import Color, Rectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from kiosk.screens import Action, Screen, Text

logger = logging.getLogger(__name__)

# High contrast: white on deep navy; colours also differ in brightness, not hue only.
BACKGROUND = (0.04, 0.09, 0.18, 1)
HEADER = (0.0, 0.22, 0.45, 1)
TONES = {"normal": (1, 1, 1, 1), "accent": (1.0, 0.85, 0.2, 1), "warn": (1.0, 0.78, 0.3, 1),
         "alert": (1.0, 0.42, 0.38, 1)}
BUTTONS = {"service": (0.05, 0.42, 0.78, 1), "priority": (0.80, 0.38, 0.0, 1),
           "nav": (0.22, 0.28, 0.38, 1), "key": (0.16, 0.24, 0.36, 1),
           "confirm": (0.0, 0.52, 0.25, 1)}
DISABLED = (0.18, 0.2, 0.24, 1)
# Font heights as fractions of the window height (800 px: huge 150, title 40, large 36...).
SIZES = {"huge": 0.19, "title": 0.05, "large": 0.045, "normal": 0.032, "small": 0.026}
BUSY_DELAY_S = 0.12
"""How long the "please wait" screen waits to be drawn. The broker usually answers first: the
number is then the very next screen, and no frame is spent on a screen nobody reads (with a
software renderer a frame holds the CPU for tens of ms, and the number's frame waited on it)."""


def _paint(widget: Any, rgba: tuple[float, ...]) -> None:
    with widget.canvas.before:
        Color(*rgba)
        rect = Rectangle(pos=widget.pos, size=widget.size)
    widget.bind(pos=lambda w, v: setattr(rect, "pos", v), size=lambda w, v: setattr(rect, "size", v))


class KioskView(BoxLayout):
    """The whole kiosk screen.

    Args:
        on_action: called with the action id of a touched button.
        busy_delay_s: how long a "busy" screen waits before it is drawn; a screen shown
            meanwhile replaces it (0: at once).
    """

    def __init__(self, on_action: Callable[[str], None], busy_delay_s: float = BUSY_DELAY_S,
                 **kwargs: Any) -> None:
        super().__init__(orientation="vertical", **kwargs)
        self.on_action_cb = on_action
        self.busy_delay_s = busy_delay_s
        self.screen: Screen | None = None
        self.buttons: dict[str, Button] = {}
        self.clock_label: Label | None = None
        self.builds = 0
        """How many times the widgets were rebuilt (tests: a clock tick rebuilds nothing)."""
        self._deferred: Any = None
        self._pending: Screen | None = None
        self._window_clearcolor: Any = None
        # The background is the window's clear colour, not a rectangle: a full-screen
        # rectangle is a million textured pixels for a software renderer in every frame.
        self.bind(parent=self._on_parent)
        # Built trees by screen shape: the next visitor's "issued" screen reuses the last one
        # with new words (building a screen's labels is most of a touch's cost).
        self._trees: dict[tuple[Any, ...], _Tree] = {}
        self._labels: list[Label] = []
        self.bind(size=lambda *_: self.screen and self._rebuild_all(self.screen))

    def px(self, size: str) -> int:
        """Font height in pixels for a size name."""
        return max(12, int(self.height * SIZES[size]))

    def _on_parent(self, _widget: Any, parent: Any) -> None:
        """Paint the window's background while the view is in it (and restore it after)."""
        window = parent.get_root_window() if parent is not None else None
        if window is not None:
            self._window_clearcolor = (window, tuple(window.clearcolor))
            window.clearcolor = BACKGROUND
        elif self._window_clearcolor is not None:
            old_window, colour = self._window_clearcolor
            old_window.clearcolor = colour
            self._window_clearcolor = None

    def show(self, screen: Screen) -> None:
        """Draw ``screen`` (a "busy" one ``busy_delay_s`` after the first, unless another
        screen comes first): see ``_show``."""
        if screen.name == "busy" and self.busy_delay_s > 0 and self.screen is not None \
                and self.screen.name != "busy":
            # Reported again meanwhile (a mirror update, the clock's tick): the first
            # report's timer stands, or a busy hall would never see "please wait".
            self._pending = screen
            if self._deferred is None:
                self._deferred = Clock.schedule_once(self._show_pending, self.busy_delay_s)
            return
        if self._deferred is not None:
            self._deferred.cancel()
            self._deferred = self._pending = None
        self._show(screen)

    def _show_pending(self, _dt: float) -> None:
        screen, self._deferred, self._pending = self._pending, None, None
        if screen is not None:
            self._show(screen)

    def _show(self, screen: Screen) -> None:
        """Draw ``screen``: nothing if it is on screen already, only the clock's text if only
        the time changed, else the widgets anew (the controller reports every second)."""
        shown = self.screen
        if screen == shown:
            return
        if shown is not None and self.clock_label is not None and screen.clock \
                and dataclasses.replace(screen, clock=shown.clock) == shown:
            self.screen = screen
            self.clock_label.text = screen.clock
            return
        shape = _shape(screen)
        tree = self._trees.get(shape) if shape is not None else None
        if tree is None:
            self._build(screen)
            if shape is not None:
                self._keep(shape)
        else:
            self._reuse(tree, screen)

    def _rebuild_all(self, screen: Screen) -> None:
        """The window changed size: every font size changes, no kept tree fits."""
        self._trees.clear()
        self._build(screen)

    def _keep(self, shape: tuple[Any, ...]) -> None:
        if len(self._trees) >= MAX_TREES:
            self._trees.pop(next(iter(self._trees)))
        self._trees[shape] = _Tree(list(reversed(self.children)), list(self._labels),
                                   dict(self.buttons), self.clock_label)

    def _reuse(self, tree: _Tree, screen: Screen) -> None:
        """Show a kept tree of the same shape with ``screen``'s words (changed labels only)."""
        self.screen = screen
        self.clear_widgets()
        for child in tree.children:
            self.add_widget(child)
        for label, item in zip(tree.labels, (screen.header, *screen.body)):
            markup = self._text_markup(item)
            if label.text != markup:
                label.text = markup
            label.kiosk_text = item
        for action in (*screen.actions, *screen.footer):
            button = tree.buttons[action.id]
            markup = self._button_markup(action, button.kiosk_footer)
            if button.text != markup:
                button.text = markup
            button.kiosk_action = action
        self.buttons, self.clock_label, self._labels = dict(tree.buttons), tree.clock, tree.labels
        if self.clock_label is not None:
            self.clock_label.text = screen.clock

    def _build(self, screen: Screen) -> None:
        """Rebuild the widgets for ``screen``."""
        self.screen = screen
        self.builds += 1
        self.clear_widgets()
        self.buttons = {}
        self.clock_label = None
        self._labels = []
        h = self.height
        header = BoxLayout(size_hint_y=None, height=int(h * 0.13), padding=(24, 8))
        _paint(header, HEADER)
        header.add_widget(self._label(screen.header, halign="left"))
        self._labels.append(header.children[0])
        if screen.clock:
            self.clock_label = Label(text=screen.clock, font_size=self.px("title"),
                                     size_hint_x=0.18, bold=True)
            header.add_widget(self.clock_label)
        self.add_widget(header)

        if screen.entry is not None:
            self.add_widget(self._entry_middle(screen))
        else:
            self._middle(screen)
        if screen.footer:
            footer = BoxLayout(size_hint_y=None, height=int(h * 0.13), padding=(24, 10),
                               spacing=16)
            for action in screen.footer:
                footer.add_widget(self._button(action, footer=True))
            self.add_widget(footer)

    def _middle(self, screen: Screen) -> None:
        """The body's texts above the grid of actions."""
        body = BoxLayout(orientation="vertical", padding=(24, 8), spacing=4)
        for item in screen.body:
            label = self._label(item)
            self._labels.append(label)
            # Share the height by what each block needs, so the huge number is never clipped.
            label.size_hint_y = label.kiosk_weight
            body.add_widget(label)
        self.add_widget(body)
        if screen.actions:
            rows = -(-len(screen.actions) // screen.columns)
            grid_h = min(self.height * 0.62, rows * self.height * 0.27)
            grid = self._grid(screen)
            grid.size_hint_y, grid.height = None, int(grid_h)
            self.add_widget(grid)

    def _grid(self, screen: Screen) -> GridLayout:
        grid = GridLayout(cols=screen.columns, padding=(24, 8), spacing=16)
        for action in screen.actions:
            grid.add_widget(self._button(action))
        return grid

    def _entry_middle(self, screen: Screen) -> BoxLayout:
        """A keypad screen: the texts and the typed code on the left, the keys on the right.

        Side by side, so a long message or a long code can never run into the keys: each
        text wraps in its own column and takes the height its lines need.
        """
        middle = BoxLayout(orientation="horizontal")
        column = BoxLayout(orientation="vertical", padding=(24, 16), spacing=18)
        texts = [self._label(item, natural=True) for item in screen.body]
        code = screen.entry or "_ _ _ _"
        entry = Label(text=code, color=TONES["accent"], bold=True, size_hint_y=None,
                      font_size=self.px("huge") * 0.5, halign="center", valign="middle")
        # The code shrinks to fit its column (codes have up to 32 characters).
        entry.bind(width=lambda w, v: setattr(
            w, "font_size", min(self.px("huge") * 0.5, max(12, v / (0.62 * len(code))))))
        entry.bind(font_size=lambda w, v: setattr(w, "height", v * 1.4))
        _paint(entry, BUTTONS["key"])
        for widget in [*texts[:1], entry, *texts[1:]]:
            column.add_widget(widget)
        column.add_widget(Widget())  # the rest of the column stays empty, at the bottom
        middle.add_widget(column)
        if screen.actions:
            middle.add_widget(self._grid(screen))
        return middle

    def _label(self, item: Text, halign: str = "center", natural: bool = False) -> Label:
        """A bilingual text block; ``natural``: as tall as its wrapped lines (in a column
        of natural heights) rather than wrapped into the height it is given."""
        primary, secondary = self._text_sizes(item)
        label = Label(text=self._text_markup(item), markup=True, halign=halign, valign="middle",
                      color=TONES[item.tone], bold=item.size in ("huge", "title"))
        if natural:
            label.size_hint_y = None
            label.bind(width=lambda w, v: setattr(w, "text_size", (v, None)),
                       texture_size=lambda w, v: setattr(w, "height", v[1]))
        elif halign == "center":
            _fit_to_text(label)
        else:
            # Wrapped to the width only: a texture of the text's height, centred by the label
            # (a box-sized texture made every number cost ~20 ms of rendering empty pixels).
            label.bind(width=lambda w, v: setattr(w, "text_size", (v, None)))
        label.kiosk_weight = primary * 1.2 + (secondary * 1.3 if item.secondary else 0)  # type: ignore[attr-defined]
        label.kiosk_text = item  # type: ignore[attr-defined]
        return label

    def _text_sizes(self, item: Text) -> tuple[int, int]:
        primary = self.px(item.size)
        ratio = 0.55 if item.size in ("title", "large") else 0.72
        secondary = max(12, int(primary * ratio)) if item.size != "huge" else self.px("large")
        return primary, secondary

    def _text_markup(self, item: Text) -> str:
        primary, secondary = self._text_sizes(item)
        text = f"[size={primary}]{_escape(item.primary)}[/size]"
        if item.secondary:
            text += f"\n[size={secondary}]{_escape(item.secondary)}[/size]"
        return text

    def _button_markup(self, action: Action, footer: bool) -> str:
        big = self.px("large" if not footer else "normal")
        if action.style == "key":
            big = self.px("title") * 2 if len(action.primary) == 1 else self.px("large")
        text = f"[size={big}][b]{_escape(action.primary)}[/b][/size]"
        if action.secondary:
            text += f"\n[size={int(big * 0.6)}]{_escape(action.secondary)}[/size]"
        if action.detail:
            text += f"\n[size={self.px('normal')}]{_escape(action.detail)}[/size]"
        return text

    def _button(self, action: Action, footer: bool = False) -> Button:
        button = Button(text=self._button_markup(action, footer), markup=True, halign="center", valign="middle",
                        background_normal="", background_down="",
                        background_color=BUTTONS[action.style] if action.enabled else DISABLED,
                        disabled=not action.enabled, disabled_color=(0.6, 0.6, 0.6, 1))
        _fit_to_text(button, margin=16)
        button.kiosk_action = action  # type: ignore[attr-defined]
        button.kiosk_footer = footer  # type: ignore[attr-defined]
        button.bind(on_release=lambda *_: self.on_action_cb(action.id))
        self.buttons[action.id] = button
        return button


def _fit_to_text(label: Label, margin: float = 0) -> None:
    """A centred label (or button) whose texture is its text's own size, wrapped to the
    label's width less ``margin`` only when the text is wider. A software renderer blends
    every pixel of every texture in every frame: full-width textures made each frame of the
    issued screen twice as costly."""
    def fit(*_: Any) -> None:
        if label.text_size[0] is None and label.texture_size[0] > label.width - margin:
            label.text_size = (label.width - margin, None)

    def resized(*_: Any) -> None:
        # Measured again at its natural width now, then fitted: a texture measured later
        # may come out the size it had, and then no texture_size event would fit it.
        label.text_size = (None, None)
        label.texture_update()
        fit()

    def new_words(*_: Any) -> None:
        label.text_size = (None, None)  # the new words may fit unwrapped

    label.bind(texture_size=fit, width=resized, text=new_words)


MAX_TREES = 8
"""Screen shapes kept built (home, busy, issued, notice ...)."""


@dataclasses.dataclass
class _Tree:
    """A built screen: its top widgets in order, its text labels (header first), its buttons."""

    children: list[Any]
    labels: list[Any]
    buttons: dict[str, Any]
    clock: Any


def _shape(screen: Screen) -> tuple[Any, ...] | None:
    """What must match for a built screen to show ``screen`` by changing words only (None:
    never reused: a keypad's code resizes as it is typed)."""
    if screen.entry is not None:
        return None
    return (screen.name, screen.columns, bool(screen.clock),
            tuple((item.size, item.tone, bool(item.secondary))
                  for item in (screen.header, *screen.body)),
            tuple((a.id, a.style, a.enabled, bool(a.secondary), bool(a.detail))
                  for a in screen.actions),
            tuple((a.id, a.style, a.enabled, bool(a.secondary), bool(a.detail))
                  for a in screen.footer))


def _escape(text: str) -> str:
    """Kivy markup escaping: visitor texts never contain markup."""
    return text.replace("&", "&amp;").replace("[", "&bl;").replace("]", "&br;")
