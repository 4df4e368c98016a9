"""What is said for a call, planned as words: the one place every voice starts from.

An announcement becomes one ``Utterance`` per language, each a list of
``Token``s: the literal words of the template (请 / 号到 / 办理, "please go to"),
the ticket letter by letter and digit by digit, and the counter's spoken name
(or its number said as a number: 十二号窗口, "Counter twelve"). A clip pack has
one clip per token key; a synthesiser is given each token's ``text`` in the
voice of its ``language``.

Why tokens: espeak-ng reads "012" as 零十二 and its Mandarin voice reads the
letter Y as pinyin "wai" (外); a letter is therefore a token of its own, said
by the English voice (the English letter names are what halls use), and a clip
pack can hold the hall's own recording of it. A counter's shown name keeps its
brackets ("5号窗口（优先窗口）") but the voice never runs their content on.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from config.display_node import Speech
from config.schema import Hall
from runtime.messages import VOICE_TEMPLATES

CHINESE = frozenset({"zh", "yue", "hak"})
"""Languages that say digits with Chinese characters and numbers as 十二."""

_ZH_DIGITS = "零一二三四五六七八九"
_BRACKETS = re.compile(r"\s*[（(\[【][^）)\]】]*[）)\]】]\s*")
_PUNCTUATION = re.compile(r"[，,。.;；:：!！?？、،؛؟]+")
ALL_DIGITS = "0123456789"


@dataclass(frozen=True)
class Token:
    """One word of an announcement.

    Attributes:
        key: its name in a clip pack ("请", "digit.1", "letter.Y", "number.10", "counter.5",
            "pause").
        text: what a synthesiser is given for it.
        language: whose synthesiser voice says it (letters are said by the English voice).
    """

    key: str
    text: str
    language: str

    @property
    def is_pause(self) -> bool:
        """A short silence (punctuation), not a word."""
        return self.key == "pause"


PAUSE = Token("pause", ",", "")


@dataclass(frozen=True)
class Utterance:
    """The words of one announcement in one language.

    Attributes:
        language: "zh", "en", "yue", "hak" or "ug".
        tokens: the words in order.
    """

    language: str
    tokens: tuple[Token, ...]

    def text(self) -> str:
        """The whole utterance as one line of text (logs, the synthesiser in one go)."""
        return " ".join(token.text for token in self.tokens).replace(" ,", ",")


def _literal(text: str, language: str) -> list[Token]:
    tokens: list[Token] = []
    for index, part in enumerate(_PUNCTUATION.split(text)):
        if index:
            tokens.append(PAUSE)
        words = part.strip()
        if words:
            tokens.append(Token(words, words, language))
    return tokens


def _digit(char: str, language: str, say_yao: bool) -> Token:
    if language in CHINESE:
        if char == "1" and say_yao:
            return Token("digit.1.yao", "幺", language)
        return Token(f"digit.{char}", _ZH_DIGITS[int(char)], language)
    return Token(f"digit.{char}", char, language)


def ticket_tokens(ticket: str, language: str, *, say_yao: bool = False) -> list[Token]:
    """The ticket letter by letter and digit by digit (A012 → A 零 一 二).

    Args:
        ticket: e.g. "A012".
        language: the utterance's language.
        say_yao: in Chinese, 幺 for the digit 1.
    """
    tokens: list[Token] = []
    for char in ticket.upper():
        if char.isdigit():
            tokens.append(_digit(char, language, say_yao))
        elif char.isalpha():
            tokens.append(Token(f"letter.{char}", char, "en"))
    return tokens


def number_tokens(number: int, language: str) -> list[Token]:
    """A counter number said as a number: 12 → 十 二 / "twelve"; from 100 digit by digit."""
    if number >= 100 or number < 0:
        return [_digit(char, language, False) for char in str(number)]
    if language in CHINESE:
        if number < 10:
            return [_digit(str(number), language, False)]
        tens, ones = divmod(number, 10)
        tokens = [_digit(str(tens), language, False)] if tens > 1 else []
        tokens.append(Token("number.10", "十", language))
        return tokens + ([_digit(str(ones), language, False)] if ones else [])
    if number <= 20:
        return [Token(f"number.{number}", str(number), language)]
    tens, ones = divmod(number, 10)
    tokens = [Token(f"number.{tens * 10}", str(tens * 10), language)]
    return tokens + ([Token(f"number.{ones}", str(ones), language)] if ones else [])


def spoken_counter_name(hall: Hall, counter: int, language: str) -> str | None:
    """The counter's configured name as the voice says it, or None for the generic one.

    ``spoken_name`` wins; else the shown name without the brackets' content. Only zh-family
    languages and English have configured names; other languages use the generic one.
    """
    configured = hall.counter(counter)
    if configured is None or language not in CHINESE | {"en"}:
        return None
    name = configured.spoken_name or configured.name
    if name is None:
        return None
    text = name.zh if language in CHINESE else name.en
    if configured.spoken_name is None:
        text = _BRACKETS.sub(" ", text).strip()
    generic = VOICE_TEMPLATES[language]["counter"].format(number=counter)
    return None if not text or text == generic else text


def service_tokens(hall: Hall, ticket: str, language: str) -> list[Token]:
    """The ticket's service (found by its prefix letter) as one word, for ``{service}``:
    its ``spoken_name``, else its name without the brackets' content; nothing when the
    prefix is unknown."""
    service = next((s for s in hall.services if ticket[:1].upper() == s.prefix), None)
    if service is None:
        return []
    name = service.spoken_name or service.name
    text = name.en if language == "en" else name.zh
    if service.spoken_name is None:
        text = _BRACKETS.sub(" ", text).strip()
    return [Token(f"service.{service.id}", text, language if language in CHINESE | {"en"}
                  else "zh")]


def counter_tokens(hall: Hall, counter: int, language: str) -> list[Token]:
    """The counter as words: its spoken name as one token, else the generic phrase."""
    name = spoken_counter_name(hall, counter, language)
    if name is not None:
        return [Token(f"counter.{counter}", name, language)]
    return fill(VOICE_TEMPLATES[language]["counter"], language,
                 {"number": number_tokens(counter, language)})


def fill(template: str, language: str, fields: dict[str, list[Token]]) -> list[Token]:
    """The template as words, each placeholder replaced by its words."""
    tokens: list[Token] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        tokens += _literal(literal, language)
        if name is not None:
            tokens += fields[name]
    return tokens


def call_template(speech: Speech, language: str, recall: bool) -> str:
    """The hall's template for a call or recall in ``language``, else the catalogue's."""
    configured = getattr(speech.templates, language, None)
    if configured is not None:
        return str(configured.recall if recall else configured.call)
    return VOICE_TEMPLATES[language]["recall" if recall else "call"]


def plan(hall: Hall, speech: Speech, ticket: str, counter: int, *, recall: bool = False,
         languages: tuple[str, ...] | None = None) -> list[Utterance]:
    """The words of one announcement, one utterance per language in the configured order.

    Args:
        hall: the hall (counter names).
        speech: the display's speech settings (templates, 幺, languages).
        ticket: the ticket called.
        counter: the counter it is called to.
        recall: the recall template.
        languages: override the configured languages (``callnext announce --lang``).
    """
    result: list[Utterance] = []
    for language in languages if languages is not None else speech.languages:
        fields = {"ticket": ticket_tokens(ticket, language, say_yao=speech.say_yao),
                  "counter": counter_tokens(hall, counter, language),
                  "service": service_tokens(hall, ticket, language)}
        tokens = fill(call_template(speech, language, recall), language, fields)
        result.append(Utterance(language, tuple(tokens)))
    return result


def vocabulary(hall: Hall, speech: Speech, language: str,
               counters: tuple[int, ...] = ()) -> dict[str, Token]:
    """Every word the hall can make the voice say in ``language``, by key.

    Tickets are said letter by letter and digit by digit, so every service prefix with
    every digit covers every ticket number of the day.

    Args:
        hall: the hall.
        speech: the speech settings.
        language: the language.
        counters: the counters this voice speaks for (empty: all).
    """
    words: dict[str, Token] = {}
    numbers = counters or tuple(c.number for c in hall.counters)
    for service in hall.services:
        for number in numbers:
            for recall in (False, True):
                said = plan(hall, speech, service.prefix + ALL_DIGITS, number, recall=recall,
                            languages=(language,))
                words.update((t.key, t) for t in said[0].tokens if not t.is_pause)
    return words
