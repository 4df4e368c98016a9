"""Kivy set-up shared by every node with a screen; Kivy is imported only when called.

``configure_window`` must run before anything imports ``kivy.core.window``;
``register_fonts`` after it, before the first label is drawn.
"""

from __future__ import annotations

import os

from foundation.heap import settle_heap
from hw.cjk_image import cjk_font_path

FONT_NAME = "CallnextCJK"
"""The name the CJK font is registered under, for widgets that name their font."""


def configure_window(size: tuple[int, int], *, fullscreen: bool = False, resizable: bool = True,
                     exit_on_escape: bool = False, headless: bool = False) -> tuple[int, int]:
    """Set Kivy's window before it opens.

    Args:
        size: (width, height) in pixels.
        fullscreen: fill the screen (a production kiosk or wall display).
        resizable: whether the window may be resized.
        exit_on_escape: whether the Escape key closes the app.
        headless: draw offscreen (screenshots, tests): never fullscreen, SDL offscreen.

    Returns:
        The window size.
    """
    if headless:
        os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config

    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))
    Config.set("graphics", "resizable", "1" if resizable else "0")
    Config.set("graphics", "fullscreen", "auto" if fullscreen and not headless else "0")
    Config.set("kivy", "exit_on_escape", "1" if exit_on_escape else "0")
    # One finger is one touch: a mouse on a bench machine must not make red multitouch dots.
    Config.set("input", "mouse", "mouse,disable_multitouch")
    return size


def register_fonts() -> None:
    """Make WenQuanYi (Simplified glyph forms) the default font of every label, also
    registered as ``FONT_NAME``.

    Raises:
        hw.cjk_image.FontMissing: the font is not installed.
    """
    from kivy.core.text import DEFAULT_FONT, LabelBase

    path = cjk_font_path()
    LabelBase.register(DEFAULT_FONT, path)
    LabelBase.register(FONT_NAME, path)


SOFTWARE_RENDERERS = ("llvmpipe", "softpipe", "swrast")
"""GL_RENDERER words of Mesa's CPU renderers."""


def software_renderer() -> bool:
    """Whether the window's OpenGL is drawn by the CPU (call after the window opened)."""
    from kivy.graphics.opengl import GL_RENDERER, glGetString

    name = glGetString(GL_RENDERER)
    text = name.decode(errors="replace") if isinstance(name, bytes) else str(name)
    return any(word in text.lower() for word in SOFTWARE_RENDERERS)


def release_freed_memory() -> None:
    """Hand the C heap's freed pages back to the system (glibc ``malloc_trim``).

    A node's start-up (config validation, imports, the first frames) frees far more than it
    keeps; without a trim those pages stay counted in the process's memory all day.
    Does nothing where the C library has no ``malloc_trim``.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        trim = ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        trim = None
    if trim is not None:
        trim(0)


def settle_after_start() -> None:
    """Once a screen node's window is built and its first frames drawn: what start-up built
    (Kivy's widgets and textures' objects included) leaves the collector's full passes
    (``foundation.heap``), which otherwise stall the mirror's thread for tens of ms, and the
    start-up garbage collected on the way goes back to the system (``release_freed_memory``).
    """
    settle_heap()
    release_freed_memory()


def flush_every_frame() -> None:
    """Hand every frame to the GL driver when it is drawn (``glFlush`` before each flip).

    Mesa's software renderer (llvmpipe: demos, virtual screens, the offscreen bench) behind
    SDL's offscreen window never flushes on its own: frames queued up (a display grew by
    4-50 MiB a second while its ticker scrolled) and were drawn in bursts of seconds, which
    froze the screen at random. A GPU (a Pi's V3D) only submits earlier; nothing waits.
    Call once the window exists.
    """
    from kivy.core.window import Window
    from kivy.graphics.opengl import glFlush

    Window.bind(on_flip=lambda *_: glFlush())
