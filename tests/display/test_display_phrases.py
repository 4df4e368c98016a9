"""Phrase planning: templates per language, tickets digit by digit, letters as letters,
counter names without the brackets' content, spoken names, the hall's whole vocabulary."""

from __future__ import annotations

import subprocess

import pytest
from display_fixtures import named_hall
from pydantic import ValidationError

from config.display_node import DisplayNode, Speech
from config.schema import Hall
from hw.speech import spoken_ticket
from runtime.voice_plan import plan, vocabulary


def keys(hall: Hall, speech: Speech, ticket: str, counter: int, **kw: object) -> list[list[str]]:
    return [[t.key for t in u.tokens] for u in plan(hall, speech, ticket, counter, **kw)]


def test_ticket_digits_are_spoken_one_by_one() -> None:
    assert spoken_ticket("A012", "zh") == "A 零 一 二"
    assert spoken_ticket("A012", "zh", say_yao=True) == "A 零 幺 二"
    assert spoken_ticket("Y1001", "en") == "Y 1 0 0 1"


def test_call_and_recall_in_configured_order_brackets_not_spoken() -> None:
    hall = named_hall()
    zh, en = plan(hall, Speech(), "A012", 3)
    assert (zh.language, en.language) == ("zh", "en")
    # The shown name is "3号窗口（优先）": the voice does not run the brackets on.
    assert zh.text() == "请 A 零 一 二 号到 三 号窗口 办理"
    assert en.text() == "Number A 0 1 2, please go to Counter 3"
    assert keys(hall, Speech(), "A012", 3)[0] == [
        "请", "letter.A", "digit.0", "digit.1", "digit.2", "号到", "digit.3", "号窗口", "办理"]
    english_first = Speech(languages=("en", "zh"), say_yao=True)
    recall = plan(hall, english_first, "C101", 12, recall=True)
    assert [u.language for u in recall] == ["en", "zh"]
    assert recall[1].text() == "请 C 幺 零 幺 号到 十 二 号窗口 办理, 再次呼叫"
    assert recall[0].text() == "Number C 1 0 1, once again, please go to Counter 12"


def test_letters_are_said_by_the_english_voice_not_as_pinyin() -> None:
    zh = plan(named_hall(), Speech(), "Y012", 1, languages=("zh",))[0]
    letter = zh.tokens[1]
    assert (letter.key, letter.text, letter.language) == ("letter.Y", "Y", "en")
    # Why: espeak-ng's Mandarin voice reads Y as the pinyin syllable wai (外).
    said = subprocess.run(["espeak-ng", "-q", "-x", "-v", "en-us", letter.text],
                          capture_output=True, text=True, timeout=10, check=True).stdout
    pinyin = subprocess.run(["espeak-ng", "-q", "-x", "-v", "cmn-latn-pinyin", "Y"],
                            capture_output=True, text=True, timeout=10, check=True).stdout
    assert "aI" in said and "uai" in pinyin


def test_spoken_name_wins_over_the_shown_name() -> None:
    hall = named_hall()
    data = hall.model_dump(mode="json")
    data["counters"][2]["spoken_name"] = {"zh": "优先窗口", "en": "the priority counter"}
    spoken = Hall.model_validate(data)
    zh, en = plan(spoken, Speech(), "Y1", 3)
    assert zh.text() == "请 Y 一 号到 优先窗口 办理"
    assert en.tokens[-1].key == "counter.3" and en.tokens[-1].text == "the priority counter"


def test_a_template_may_say_the_service_by_its_spoken_name() -> None:
    data = named_hall().model_dump(mode="json")
    data["services"][1]["name"] = {"zh": "报销（医疗）", "en": "Reimbursement (medical)"}
    data["services"][2]["spoken_name"] = {"zh": "优先业务", "en": "priority service"}
    hall = Hall.model_validate(data)
    speech = Speech(templates={"zh": {"call": "请{service}{ticket}号到{counter}",
                                      "recall": "{ticket}"},
                               "en": {"call": "{service}, number {ticket}", "recall": "{ticket}"}})
    zh, en = plan(hall, speech, "C1", 2)
    assert zh.text() == "请 报销 C 一 号到 二 号窗口"
    assert en.text() == "Reimbursement, number C 1"
    assert plan(hall, speech, "Y1", 2)[0].tokens[1].key == "service.priority"
    assert plan(hall, speech, "Y1", 2)[0].tokens[1].text == "优先业务"


def test_more_languages_and_hall_templates() -> None:
    hall = named_hall()
    speech = Speech(languages=("yue", "hak", "ug"),
                    templates={"hak": {"call": "{ticket}号，{counter}", "recall": "{ticket}"}})
    yue, hak, ug = plan(hall, speech, "A1", 2)
    assert yue.text() == "请 A 一 号到 二 号窗口 办理"
    assert hak.text() == "A 一 号, 二 号窗口"
    assert [t.key for t in ug.tokens][:2] == ["letter.A", "digit.1"]
    with pytest.raises(ValidationError):
        Speech.model_validate({"languages": ["zh", "fr"]})


def test_vocabulary_covers_every_prefix_digit_and_counter() -> None:
    words = vocabulary(named_hall(), Speech(say_yao=True), "zh")
    assert {"letter.A", "letter.C", "letter.Y", "digit.1.yao", "digit.0", "digit.9",
            "请", "号到", "号窗口", "办理", "再次呼叫"} <= set(words)
    assert "letter.B" not in words and "pause" not in words
    only_two = vocabulary(named_hall(), Speech(), "en", counters=(2,))
    assert "number.2" in only_two and "number.4" not in only_two


def test_bad_templates_voices_and_audio_settings_are_config_errors() -> None:
    with pytest.raises(ValidationError, match="only {ticket}, {counter} and {service}"):
        Speech.model_validate({"templates": {"zh": {"call": "请{number}号", "recall": "{ticket}"}}})
    with pytest.raises(ValidationError, match="must contain {ticket}"):
        Speech.model_validate({"templates": {"en": {"call": "Go to {counter}",
                                                    "recall": "{ticket}"}}})
    with pytest.raises(ValidationError, match="cmn-latn-pinyin"):
        Speech.model_validate({"voices": {"zh": "cmn"}})
    with pytest.raises(ValidationError, match="wav_dir"):
        Speech.model_validate({"audio": {"backend": "wav_dir"}})
    with pytest.raises(ValidationError):
        Speech.model_validate({"slow_stretch": 1.1})


def test_portrait_window_uses_the_short_side_as_width() -> None:
    node = DisplayNode(id="d", orientation="portrait", resolution=(1920, 1080))
    assert node.window_size() == (1080, 1920)
    assert DisplayNode(id="d", resolution=(1280, 720)).window_size() == (1280, 720)
