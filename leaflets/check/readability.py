"""How hard a leaflet is to read: a Flesch-Kincaid grade per section and per entry.

Health-literacy guidance asks for patient text at grade 6 to 8. Syllables come
from textstat (the CMU pronouncing dictionary, with hyphenation rules for
words it lacks), looked up once per distinct word: a corpus repeats its
vocabulary, so this keeps checking thousands of entries fast. The grade for
the whole entry comes from the summed counts of its sections, so each section
is counted once.

Leaflets are mostly lists and lead-in lines without full stops; counted as
prose they would run into one endless "sentence" and score grade 25. Each
line of rendered text therefore ends a sentence, as a reader takes it.

Other languages: textstat counts syllables with Pyphen's hyphenation
dictionaries for Spanish, French, German, Italian, Dutch and Russian
(:data:`GRADED_LANGUAGES`), and the same Flesch-Kincaid formula gives the
grade. Flesch-Kincaid was fitted to English, where words are shorter, so
other languages use their own adaptation of Flesch's reading ease
(:data:`EASE_FORMULAS`: Fernández-Huerta, Kandel-Moles, Amstad, Flesch-Vacca,
Douma, Oborneva), turned into a school grade the way Flesch's table reads
(ease 90 is grade 5, 60 grade 9, each ten points a grade). For languages it
cannot count syllables in (Arabic, Hindi, Chinese ...), :func:`sentence_length`
reports how long the sentences are instead: long sentences are the first
thing plain-language guidance in every language asks writers to cut.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

import textstat

MIN_SECTION_WORDS = 30
"""Shorter sections are too small for a grade to mean much; they are not named as the hardest."""

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])['\"”’)]*\s+|(?<=[。！？।؟])|\n")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"</?[A-Za-z][^>]*>|<!--.*?-->", re.S)
_BLOCK_MARKER = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|(?:[*+-]|\d+[.)])[ \t]+)*", re.M)
_EMPHASIS = re.compile(r"[*_`]+")
_WORD = re.compile(r"\w+(?:['’-]\w+)*")
_WIDE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPACED_WORD = re.compile(r"\S+")

GRADED_LANGUAGES: dict[str, str] = {
    "en": "en_US", "es": "es", "fr": "fr", "de": "de", "it": "it", "nl": "nl", "ru": "ru",
}
"""Languages textstat counts syllables in (its set_lang), by primary subtag."""
EASE_FORMULAS: dict[str, tuple[str, float, float, float]] = {
    "es": ("Fernández-Huerta", 206.84, 1.02, 60.0),
    "fr": ("Kandel-Moles", 207.0, 1.015, 73.6),
    "de": ("Amstad", 180.0, 1.0, 58.5),
    "it": ("Flesch-Vacca", 217.0, 1.3, 60.0),
    "nl": ("Douma", 206.835, 0.93, 77.0),
    "ru": ("Oborneva", 206.836, 1.3, 60.1),
}
"""Reading ease per language: name, base, weight of words per sentence, weight of syllables per word."""
CHARACTERS_PER_WORD = 2.0
"""Chinese and Japanese are written without spaces: this many characters count as one word."""
MAX_SENTENCE_WORDS = 20.0
"""Average sentence length above which ``check`` warns in languages without a graded formula."""


@dataclass(frozen=True)
class TextCounts:
    words: int
    sentences: int
    syllables: int

    @property
    def grade(self) -> float:
        """Flesch-Kincaid grade level (0.39 words/sentence + 11.8 syllables/word - 15.59)."""
        if not self.words or not self.sentences:
            return 0.0
        return 0.39 * self.words / self.sentences + 11.8 * self.syllables / self.words - 15.59

    def grade_in(self, language: str) -> float:
        """The school grade in ``language`` (textstat's code): Flesch-Kincaid for English, else the language's ease formula."""
        formula = EASE_FORMULAS.get(language)
        if formula is None or not self.words or not self.sentences:
            return self.grade
        _name, base, per_sentence, per_syllable = formula
        ease = base - per_sentence * self.words / self.sentences - per_syllable * self.syllables / self.words
        return (100 - ease) / 10 + 5


@dataclass(frozen=True)
class SectionGrade:
    label: str
    line: int
    counts: TextCounts


@dataclass(frozen=True)
class Readability:
    grade: float
    hardest: SectionGrade | None


def plain_text(markdown: str) -> str:
    """The words a reader sees in a section's Markdown, one block per line (no full render needed)."""
    text = _TAG.sub(" ", _LINK.sub(r"\1", markdown)) if "<" in markdown or "](" in markdown else markdown
    return _EMPHASIS.sub("", _BLOCK_MARKER.sub("", text)).replace("|", " ")


def sentences_of(text: str) -> list[str]:
    """Sentences of plain text: split at closing punctuation and at every line end."""
    return [part for part in _SENTENCE_SPLIT.split(text) if _WORD.search(part)]


def warm_up() -> None:
    """Load the pronouncing dictionary now (about a second), e.g. before forking workers that share it."""
    syllables("leaflet")


_current_language = ["en_US"]


@lru_cache(maxsize=None)
def syllables(word: str, language: str = "en_US") -> int:
    """Syllables in ``word`` (``language`` as textstat's set_lang takes it)."""
    if _current_language[0] != language:
        textstat.set_lang(language)
        _current_language[0] = language
    return max(1, textstat.syllable_count(word))


def graded_language(lang: str) -> str | None:
    """The textstat language that grades ``lang``, or None when only sentence length can be measured."""
    return GRADED_LANGUAGES.get(lang.replace("_", "-").split("-")[0].lower())


def counts(text: str, language: str = "en_US") -> TextCounts:
    words = Counter(_WORD.findall(text.lower()))
    return TextCounts(words.total(), len(sentences_of(text)), sum(syllables(w, language) * n for w, n in words.items()))


def word_count(text: str) -> float:
    """Words in ``text`` in any script: spaced words, plus Chinese and Japanese characters at two to a word."""
    spaced = [word for word in _SPACED_WORD.findall(_WIDE.sub(" ", text)) if any(ch.isalnum() for ch in word)]
    return len(spaced) + len(_WIDE.findall(text)) / CHARACTERS_PER_WORD


@dataclass(frozen=True)
class SentenceLength:
    """Average words per sentence of an entry, and the section with the longest sentences."""

    average: float
    longest_label: str
    longest_line: int
    longest_average: float


def sentence_length(sections: Iterable[tuple[str, int, str]]) -> SentenceLength:
    """Words per sentence over ``(label, line, Markdown)`` sections, for languages without a graded formula."""
    totals = [0.0, 0]
    worst = ("", 0, 0.0)
    for label, line, markdown in sections:
        sentences = sentences_of_any(plain_text(markdown))
        words = sum(word_count(sentence) for sentence in sentences)
        totals[0] += words
        totals[1] += len(sentences)
        if sentences and words / len(sentences) > worst[2]:
            worst = (label, line, words / len(sentences))
    average = totals[0] / totals[1] if totals[1] else 0.0
    return SentenceLength(round(average, 1), worst[0], worst[1], round(worst[2], 1))


def sentences_of_any(text: str) -> list[str]:
    """Sentences in any script (a sentence needs at least one letter of some kind)."""
    return [part for part in _SENTENCE_SPLIT.split(text) if part and any(ch.isalpha() for ch in part)]


def reading_level(sections: Iterable[tuple[str, int, str]], language: str = "en_US") -> Readability:
    """Grade the entry from ``(label, line, Markdown)`` per section; name the hardest-reading one."""
    graded = [SectionGrade(label, line, counts(plain_text(markdown), language)) for label, line, markdown in sections]
    total = TextCounts(*(sum(getattr(g.counts, name) for g in graded) for name in ("words", "sentences", "syllables")))
    candidates = [g for g in graded if g.counts.words >= MIN_SECTION_WORDS] or [g for g in graded if g.counts.words]
    hardest = max(candidates, key=lambda g: g.counts.grade_in(language), default=None)
    return Readability(round(total.grade_in(language), 1), hardest)


def formula_name(language: str) -> str:
    """How the grade of ``language`` is computed, for messages."""
    formula = EASE_FORMULAS.get(language)
    return f"{formula[0]} reading ease as a school grade" if formula else "Flesch-Kincaid"
