"""Phrases: templates, digits one by one, 幺, counter names, language order."""

from __future__ import annotations

import pytest
from display_fixtures import named_hall
from pydantic import ValidationError

from config.display_node import DisplayNode, Speech
from display.phrases import phrases
from hw.speech import spoken_ticket


def test_ticket_digits_are_spoken_one_by_one() -> None:
    assert spoken_ticket("A012", "zh") == "A 零 一 二"
    assert spoken_ticket("A012", "zh", say_yao=True) == "A 零 幺 二"
    assert spoken_ticket("Y1001", "en") == "Y 1 0 0 1"


def test_call_and_recall_phrases_in_configured_order_with_counter_names() -> None:
    hall = named_hall()
    said = phrases(hall, Speech(), "A012", 3)
    assert [(p.language, p.voice) for p in said] == [("zh", "cmn-latn-pinyin"), ("en", "en-us")]
    assert said[0].text == "请A 零 一 二号到3号窗口（优先）办理"
    assert said[1].text == "Number A 0 1 2, please go to Counter 3 (Priority)"
    english_first = Speech(languages=("en", "zh"), say_yao=True)
    recall = phrases(hall, english_first, "C101", 2, recall=True)
    assert [p.language for p in recall] == ["en", "zh"]
    assert recall[1].text == "请C 幺 零 幺号到2号窗口办理，再次呼叫"
    assert "once again" in recall[0].text and "Counter 2" in recall[0].text


def test_slow_mode_is_slower_and_softer() -> None:
    normal = phrases(named_hall(), Speech(), "A012", 1)[0]
    slow = phrases(named_hall(), Speech(slow_mode=True), "A012", 1)[0]
    assert slow.rate < normal.rate and slow.volume < normal.volume


def test_bad_templates_voices_and_audio_settings_are_config_errors() -> None:
    with pytest.raises(ValidationError, match="only {ticket} and {counter}"):
        Speech.model_validate({"templates": {"zh": {"call": "请{number}号", "recall": "{ticket}"}}})
    with pytest.raises(ValidationError, match="must contain {ticket}"):
        Speech.model_validate({"templates": {"en": {"call": "Go to {counter}",
                                                    "recall": "{ticket}"}}})
    with pytest.raises(ValidationError, match="cmn-latn-pinyin"):
        Speech.model_validate({"voices": {"zh": "cmn"}})
    with pytest.raises(ValidationError, match="wav_dir"):
        Speech.model_validate({"audio": {"backend": "wav_dir"}})


def test_portrait_window_uses_the_short_side_as_width() -> None:
    node = DisplayNode(id="d", orientation="portrait", resolution=(1920, 1080))
    assert node.window_size() == (1080, 1920)
    assert DisplayNode(id="d", resolution=(1280, 720)).window_size() == (1280, 720)
