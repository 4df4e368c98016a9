"""The foundation layer: what every other layer may use, importing nothing of ours.

The one exception base (``errors``), terminal text width (``text``) and the
systemd notification socket (``sdnotify``). See docs/architecture.md.
"""
