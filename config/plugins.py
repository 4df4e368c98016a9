"""pydantic without plugin discovery: callnext's schemas use no pydantic plugin.

When pydantic builds its first model it imports ``pydantic.plugin._loader``, which
imports ``importlib.metadata`` (and with it ``email``, ``zipfile``, ``csv`` and more)
to look for plugins among the installed distributions' entry points. None of that is
used by callnext, yet it costs 2.5 MiB of every node's memory: about 6 % of the
broker's 40 MiB budget (issue #17). ``skip_plugin_discovery`` gives pydantic a loader
that finds no plugin, the same outcome as ``PYDANTIC_DISABLE_PLUGINS=__all__`` but
without the import. ``tests/config/test_plugins.py`` fails when a pydantic upgrade
stops asking the loader only for ``get_plugins``.
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Iterable
from typing import Any

LOADER = "pydantic.plugin._loader"
"""The pydantic module that discovers plugins (``get_plugins``)."""
ALL = ("__all__", "1", "true")
"""``PYDANTIC_DISABLE_PLUGINS`` values that disable every plugin (pydantic's own)."""


def _no_plugins() -> Iterable[Any]:
    return ()


def skip_plugin_discovery() -> bool:
    """Give pydantic a plugin loader that finds none; call before the first model is built.

    Left alone when the loader is already imported, or when ``PYDANTIC_DISABLE_PLUGINS``
    names only some plugins (someone chose which plugins run: they keep discovery).

    Returns:
        Whether discovery is now skipped.
    """
    disabled = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    if disabled is not None and disabled not in ALL:
        return False
    if LOADER in sys.modules:
        return getattr(sys.modules[LOADER], "get_plugins", None) is _no_plugins
    loader = types.ModuleType(LOADER, "callnext: pydantic plugin discovery skipped "
                                      "(config.plugins)")
    loader.get_plugins = _no_plugins  # type: ignore[attr-defined]
    sys.modules[LOADER] = loader
    return True
