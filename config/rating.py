"""The 好差评 rating scale as the hall's configuration defines it: the level codes of each
scale, the reason categories of a negative rating and where "negative" starts. Shared by
the broker's rules (which judge a rating) and the rating pads (which ask for a reason)."""

from __future__ import annotations

LEVELS: dict[int, tuple[str, ...]] = {
    5: ("very_dissatisfied", "dissatisfied", "basically_satisfied", "satisfied",
        "very_satisfied"),
    3: ("dissatisfied", "basically_satisfied", "satisfied"),
}
"""The level codes of each scale, score 1 (worst) first: the national 好差评 labels
非常不满意 / 不满意 / 基本满意 / 满意 / 非常满意 (3 levels: 不满意 / 基本满意 / 满意)."""

REASONS: tuple[str, ...] = ("attitude", "efficiency", "competence", "environment", "other")
"""Why a rating is negative (GB/T 39734 categories 态度 / 效率 / 业务 / 环境 / 其他), in the
order a pad offers them."""


def level_code(score: int, scale: int) -> str:
    """The level code of ``score`` (1 … ``scale``) on a scale of 3 or 5 (``satisfied`` …)."""
    return LEVELS[scale][score - 1]


def is_negative(score: int, scale: int) -> bool:
    """A 差评: 不满意 or worse (score 1 on the 3-level scale, 1–2 on the 5-level one)."""
    return score <= (1 if scale == 3 else 2)
