"""Priority categories (优先类别): who is served first, in which order, on what proof.

The standards the halls follow name tiers rather than one "priority" class: critical
patients first, 80+ and pregnant women by the green channel, the disabled and active-duty
military first, 70+ as circumstances allow. A hall lists its tiers as
``[[priority_categories]]``; ``rank`` 1 is called first and equal ranks are one tier
(the longest wait goes first among them).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from config.base import Bilingual, ConfigModel

MAX_CATEGORY_ZH = 16
"""Longest Chinese category name: one large kiosk button and one ticket line hold it."""
MAX_CATEGORY_EN = 32
"""Longest English category name, for the same places."""


class PriorityCategory(ConfigModel):
    """One kind of priority visitor, e.g. ``elderly80`` (80岁以上)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")]
    name: Bilingual
    """Shown on the kiosk's button, the ticket and the board; read aloud when spoken."""
    rank: Annotated[int, Field(ge=1, le=99)]
    """1 is called first; equal ranks are one tier, ordered by waiting time."""
    proof: Bilingual
    """What staff ask to see at the counter (ID card, disability certificate...)."""

    @field_validator("name")
    @classmethod
    def _short(cls, name: Bilingual) -> Bilingual:
        if len(name.zh) > MAX_CATEGORY_ZH or len(name.en) > MAX_CATEGORY_EN:
            raise ValueError(f"a category name has at most {MAX_CATEGORY_ZH} Chinese and "
                             f"{MAX_CATEGORY_EN} English characters; shorten it: a kiosk "
                             "button and a ticket line must show it whole")
        return name


def category_problems(
    categories: tuple[PriorityCategory, ...],
) -> list[tuple[tuple[str | int, ...], str]]:
    """Cross-checks of ``[[priority_categories]]``: each id once (ranks are checked per entry)."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    seen: set[str] = set()
    for index, category in enumerate(categories):
        if category.id in seen:
            problems.append((("priority_categories", index, "id"),
                             f"priority category id {category.id!r} is used twice; give each "
                             "category its own id"))
        seen.add(category.id)
    return problems
