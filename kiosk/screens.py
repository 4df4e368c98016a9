"""What a kiosk screen shows, as plain data: the presenter builds it, the Kivy layer draws it.

Every text a visitor reads is a pair: ``primary`` in the chosen language, large,
and ``secondary`` in the other one beneath it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TextSize = Literal["huge", "title", "large", "normal", "small"]
Tone = Literal["normal", "accent", "warn", "alert"]
ActionStyle = Literal["service", "priority", "nav", "key", "confirm"]

SCREENS = ("home", "priority", "appointment", "busy", "issued", "remember", "paused", "closed",
           "notice")
"""Every screen name (``callnext kiosk --screenshot --screen NAME``)."""


@dataclass(frozen=True)
class Text:
    """One bilingual text block."""

    primary: str
    secondary: str = ""
    size: TextSize = "normal"
    tone: Tone = "normal"


@dataclass(frozen=True)
class Action:
    """One touch target.

    Attributes:
        id: what touching it does, e.g. ``service:general``, ``key:7``, ``lang``.
        primary: label in the chosen language.
        secondary: label in the other language.
        detail: a smaller third line (waiting count and estimated wait).
        style: how it is drawn.
        enabled: whether it reacts to touch.
    """

    id: str
    primary: str
    secondary: str = ""
    detail: str = ""
    style: ActionStyle = "nav"
    enabled: bool = True


@dataclass(frozen=True)
class Screen:
    """A whole screen.

    Attributes:
        name: home, priority, appointment, busy, issued, remember, paused, closed, notice.
        header: the hall's name (or the screen's title).
        body: texts in the middle, top to bottom.
        actions: the big buttons (services, keypad keys).
        footer: small navigation buttons along the bottom.
        entry: the booking code typed so far (appointment screen).
        columns: grid columns for ``actions``.
        clock: the time shown in the corner (hall-local HH:MM).
    """

    name: str
    header: Text
    body: tuple[Text, ...] = ()
    actions: tuple[Action, ...] = ()
    footer: tuple[Action, ...] = ()
    entry: str | None = None
    columns: int = 2
    clock: str = ""

    def action(self, action_id: str) -> Action | None:
        """The action with this id (in ``actions`` or ``footer``), or None."""
        for action in (*self.actions, *self.footer):
            if action.id == action_id:
                return action
        return None
