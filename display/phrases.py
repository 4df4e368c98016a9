"""Counter names as the display shows them (the voice's words are planned in
``runtime.voice_plan``, which drops the brackets' content and honours ``spoken_name``)."""

from __future__ import annotations

from typing import Literal

from config.schema import Hall

Language = Literal["zh", "en"]


def counter_name(hall: Hall, counter: int, language: Language) -> str:
    """The counter's shown name in one language: the configured one, else a generic one.

    Args:
        hall: the hall configuration.
        counter: the counter number.
        language: "zh" or "en".
    """
    configured = hall.counter(counter)
    if configured is not None and configured.name is not None:
        return configured.name.zh if language == "zh" else configured.name.en
    return f"{counter}号窗口" if language == "zh" else f"Counter {counter}"
