"""The ``[journal]`` table of the hall file: where the broker keeps backups of its journal.

::

    [journal]
    backup_dir = "/media/callnext-backup"   # e.g. a USB stick; no backups when absent
    backup_minutes = 30                      # a backup every 30 minutes ...
    keep = 48                                # ... the newest 48 of them are kept
    keep_days = 400                          # and one per day (at the day's end) for 400 days
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from config.base import ConfigModel


class JournalSettings(ConfigModel):
    """Backups of the broker's journal (SQLite's online backup, verified after writing)."""

    backup_dir: Annotated[str, Field(min_length=1, max_length=4096)] | None = None
    backup_minutes: Annotated[int, Field(ge=1, le=1440)] = 60
    keep: Annotated[int, Field(ge=1, le=10000)] = 48
    keep_days: Annotated[int, Field(ge=1, le=10000)] = 400
