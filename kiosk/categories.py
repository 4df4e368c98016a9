"""Priority categories on the kiosk: the big buttons a priority visitor picks from.

The hall ranks its ``[[priority_categories]]``; the kiosk shows them in the hall file's
order, each as a large button with its name in both languages and the proof staff will
ask for, so the visitor knows what to have ready.
"""

from __future__ import annotations

from typing import Literal

from config.schema import Hall
from kiosk.screens import Action

Language = Literal["zh", "en"]

MARK = "★"
"""The simple symbol before a category's name: plain text, in every font the kiosk uses."""


def category_names(hall: Hall, category: str | None) -> tuple[str, str] | None:
    """A category's name (zh, en), or None for no category or one the hall lacks."""
    found = hall.priority_category(category) if category else None
    return (found.name.zh, found.name.en) if found is not None else None


def category_actions(hall: Hall, language: Language) -> tuple[Action, ...]:
    """One ``category:<id>`` button per category, its proof as the smaller line."""
    actions = []
    for category in hall.priority_categories:
        zh, en = category.name.zh, category.name.en
        primary, secondary = (zh, en) if language == "zh" else (en, zh)
        proof = (f"请出示：{category.proof.zh}" if language == "zh"
                 else f"Please show: {category.proof.en}")
        actions.append(Action(f"category:{category.id}", f"{MARK} {primary}", secondary, proof,
                              style="priority"))
    return tuple(actions)
