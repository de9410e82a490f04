"""Scripts written without spaces between words, and where a character (grapheme cluster) ends.

Chinese, Japanese and Korean break lines between any two characters; Thai,
Lao, Khmer and Myanmar break them by dictionary (Pango does both). A run of
such text is therefore never one long word: Markdown must not "break" it,
and the counter's search index must not take it for one word either (SQLite's
``unicode61`` tokenizer only splits at spaces and punctuation). Whatever is
cut, split or wrapped here is cut between grapheme clusters, never inside
one: a Thai vowel sign or tone mark, a Devanagari matra or virama, an accent
written as a combining character, a variation selector or an emoji joiner
stays with the character it belongs to.
"""

from __future__ import annotations

import re
import unicodedata

UNSPACED = (
    "\u0e00-\u0e7f"  # Thai
    "\u0e80-\u0eff"  # Lao
    "\u1000-\u109f"  # Myanmar
    "\u1100-\u11ff"  # Hangul jamo
    "\u1780-\u17ff\u19e0-\u19ff"  # Khmer
    "\u2e80-\u2fdf"  # CJK and Kangxi radicals
    "\u3000-\u303f"  # CJK symbols and punctuation (々, 〇, 。)
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3100-\u31ff"  # Bopomofo, Hangul compatibility jamo, Katakana extension
    "\u3200-\u33ff"  # enclosed and compatibility CJK
    "\u3400-\u4dbf\u4e00-\u9fff"  # CJK ideographs
    "\ua960-\ua97f\uac00-\ud7ff"  # Hangul
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff00-\uffef"  # half-width and full-width forms
    "\U0001b000-\U0001b16f"  # kana supplement
    "\U00020000-\U0003134f"  # CJK ideographs, extensions B to G
)
"""A character class body (for ``[...]``) of the scripts above: text in them has no spaces between words."""

_UNSPACED_RUN = re.compile(f"[{UNSPACED}](?:[{UNSPACED}\u200c\u200d\ufe00-\ufe0f\U000e0100-\U000e01ef\u0300-\u036f])*")
"""A run of unspaced text with the joiners, variation selectors and accents that may follow its characters."""

_MAY_EXTEND = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1160-\u11ff\u1780-\u17ff\u19e0-\u19ff\u0300-\u036f\u200c\u200d"
    "\u302a-\u302f\u3099\u309a\ud7b0-\ud7ff\ufe00-\ufe0f\uff9e\uff9f\U000e0100-\U000e01ef]"
)
"""Characters of unspaced text that may belong to the one before (Thai, Lao, Myanmar and Khmer marks, jamo,
joiners, selectors): a run without any is cut between every two characters without looking closer."""

_SPACING_MARKS = frozenset("\u0e33\u0eb3")
"""Thai and Lao SARA AM: a letter by category, part of the preceding character by Unicode's cluster rules."""


def extends_cluster(text: str, index: int) -> bool:
    """Whether ``text[index]`` belongs to the character before it (a break before it would split a cluster).

    Unicode's extended grapheme clusters, closely enough for breaking lines
    and search terms: combining marks (accents, vowel signs, tone marks,
    variation selectors), anything after a joiner or a virama (conjuncts),
    emoji modifiers and tag characters, Hangul vowel and final jamo.
    """
    if index <= 0 or index >= len(text):
        return False
    char, previous = text[index], text[index - 1]
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or char in _SPACING_MARKS
        or char in "\u200c\u200d"
        or previous == "\u200d"
        or unicodedata.combining(previous) == 9  # after a virama: the next consonant is part of a conjunct
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
        or 0x1160 <= code <= 0x11FF
        or 0xD7B0 <= code <= 0xD7FF
    )


def clusters(text: str) -> list[str]:
    """``text`` cut into grapheme clusters (see :func:`extends_cluster`)."""
    found: list[str] = []
    for index, char in enumerate(text):
        if found and extends_cluster(text, index):
            found[-1] += char
        else:
            found.append(char)
    return found


def spaced(text: str) -> str:
    """``text`` with every character of unspaced scripts standing as a word of its own.

    ``"服用对乙酰氨基酚 500 mg"`` -> ``"服 用 对 乙 酰 氨 基 酚 500 mg"``: a word
    tokenizer then finds any run of characters as a phrase of single-character
    words, which is how a search finds a Chinese word in the middle of a
    sentence. Other text is left as it is.
    """
    return _UNSPACED_RUN.sub(lambda match: f" {' '.join(_cut(match.group()))} ", text)


def _cut(run: str) -> list[str] | str:
    """A run of unspaced text cut into clusters; Chinese and kana, the common case, at C speed."""
    return clusters(run) if _MAY_EXTEND.search(run) else run


def has_unspaced(text: str) -> bool:
    return _UNSPACED_RUN.search(text) is not None
