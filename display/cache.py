"""A layout drawn once into an off-screen buffer and re-drawn only when its contents change.

Kivy redraws the whole window whenever any instruction changes. On the display, the only
steady change is the scrolling notices line; without this cache every scroll step also
redraws every panel and every label of the board (about a hundred draw calls, the bulk of a
frame's cost on a software GL renderer). Inside the cache the board costs one textured
rectangle per frame; its buffer is redrawn only when a label, colour or size in it changes
(Kivy's ``Fbo`` renders its instructions only when one of them flagged an update).

Kivy is imported on first use, never at import time.
"""

from __future__ import annotations

import functools
from typing import Any


def _buffer(widget: Any, clear: tuple[float, ...]) -> None:
    """Give ``widget`` its buffer: ``fbo`` (cleared, shifted to the widget's corner, counting
    its renders) drawn by ``fbo_rect`` without blending."""
    from kivy.graphics import Callback, ClearBuffers, ClearColor, Color, Fbo, Rectangle, Translate
    from kivy.graphics.opengl import GL_BLEND, glDisable, glEnable

    widget.fbo = Fbo(size=(1, 1))
    with widget.fbo:
        Callback(widget.count_render)
        ClearColor(*clear)
        ClearBuffers()
        # Children lay out in window coordinates; the buffer starts at the widget's corner.
        widget.shift = Translate(0, 0)
    # The buffer renders (when flagged) before the rectangle shows its texture.
    widget.canvas.add(widget.fbo)
    with widget.canvas:
        # The buffer is opaque: copying it without blending reads no window pixels.
        Callback(lambda *_: glDisable(GL_BLEND))
        Color(1, 1, 1, 1)
        widget.fbo_rect = Rectangle(pos=widget.pos, size=widget.size, texture=widget.fbo.texture)
        Callback(lambda *_: glEnable(GL_BLEND))


@functools.cache
def cached_layout_class() -> type:
    """The ``CachedLayout`` widget class (a Kivy ``FloatLayout`` whose children draw into an
    ``Fbo`` cleared to an opaque colour)."""
    from kivy.uix.floatlayout import FloatLayout

    class CachedLayout(FloatLayout):  # type: ignore[misc]
        """A ``FloatLayout`` drawn from a cached texture.

        Args:
            clear: the opaque RGBA the buffer is cleared to (the board's background: the
                cached texture then covers the window without blending artefacts).
        """

        def __init__(self, clear: tuple[float, ...], **kwargs: Any) -> None:
            self.renders = 0
            """How many times the buffer was drawn (tests and the bench count redraws)."""
            super().__init__(**kwargs)
            _buffer(self, clear)
            self.bind(pos=self._follow, size=self._follow)

        def add_widget(self, widget: Any, *args: Any, **kwargs: Any) -> None:
            # The child's canvas goes into the buffer, not into the window's canvas.
            canvas, self.canvas = self.canvas, self.fbo
            try:
                super().add_widget(widget, *args, **kwargs)
            finally:
                self.canvas = canvas

        def remove_widget(self, widget: Any, *args: Any, **kwargs: Any) -> None:
            canvas, self.canvas = self.canvas, self.fbo
            try:
                super().remove_widget(widget, *args, **kwargs)
            finally:
                self.canvas = canvas

        def count_render(self, *_: Any) -> None:
            self.renders += 1

        def _follow(self, *_: Any) -> None:
            size = (max(int(self.width), 1), max(int(self.height), 1))
            if tuple(self.fbo.size) != size:
                self.fbo.size = size  # a new texture: the rectangle must show the new one
            self.shift.xy = (-self.x, -self.y)
            # Drawn 1:1 on every frame: nearest sampling is exact here and, on a software
            # renderer, cheaper than the default linear filter.
            self.fbo.texture.mag_filter = self.fbo.texture.min_filter = "nearest"
            self.fbo_rect.texture = self.fbo.texture
            self.fbo_rect.pos = self.pos
            self.fbo_rect.size = self.size

    return CachedLayout
