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

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?…])['\"”’)]*\s+|\n")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"</?[A-Za-z][^>]*>|<!--.*?-->", re.S)
_BLOCK_MARKER = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|>[ \t]?|(?:[*+-]|\d+[.)])[ \t]+)*", re.M)
_EMPHASIS = re.compile(r"[*_`]+")
_WORD = re.compile(r"\w+(?:['’-]\w+)*")


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


@lru_cache(maxsize=None)
def syllables(word: str) -> int:
    return max(1, textstat.syllable_count(word))


def counts(text: str) -> TextCounts:
    words = Counter(_WORD.findall(text.lower()))
    return TextCounts(words.total(), len(sentences_of(text)), sum(syllables(w) * n for w, n in words.items()))


def reading_level(sections: Iterable[tuple[str, int, str]]) -> Readability:
    """Grade the entry from ``(label, line, Markdown)`` per section; name the hardest-reading one."""
    graded = [SectionGrade(label, line, counts(plain_text(markdown))) for label, line, markdown in sections]
    total = TextCounts(*(sum(getattr(g.counts, name) for g in graded) for name in ("words", "sentences", "syllables")))
    candidates = [g for g in graded if g.counts.words >= MIN_SECTION_WORDS] or [g for g in graded if g.counts.words]
    hardest = max(candidates, key=lambda g: g.counts.grade, default=None)
    return Readability(round(total.grade, 1), hardest)
