"""Sorting titles the way a reader of the booklet's language looks them up.

Babel has no collation. With PyICU importable (Debian's ``python3-icu`` for
the system Python), ICU's CLDR collator is used. Otherwise (a virtual
environment without it, the usual case) a CLDR-like key does the job for
alphabetic scripts: letters compared without accents or case first
("Ácido" files with A, "éfavirenz" beside "efavirenz"), then accents, then
case as tie-breaks, with the letters a language treats as letters of their
own sorted after their base letter (Spanish ñ after n, Swedish å ä ö after z
...). Scripts without an alphabetic order of that kind (Chinese, Japanese)
fall back to code point order, and their contents are not grouped by initial.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from importlib import import_module
from typing import Any, Callable

from leaflets.source.language import babel_locale, primary
from leaflets.source.titles import title_key

SEPARATE_LETTERS: dict[str, dict[str, str]] = {
    "es": {"ñ": "n\U0010ffff"},
    "sv": {"å": "z\U0010fffd", "ä": "z\U0010fffe", "ö": "z\U0010ffff"},
    "fi": {"å": "z\U0010fffd", "ä": "z\U0010fffe", "ö": "z\U0010ffff"},
    "da": {"æ": "z\U0010fffd", "ø": "z\U0010fffe", "å": "z\U0010ffff"},
    "nb": {"æ": "z\U0010fffd", "ø": "z\U0010fffe", "å": "z\U0010ffff"},
    "de": {},
    "pl": {"ą": "a\U0010ffff", "ć": "c\U0010ffff", "ę": "e\U0010ffff", "ł": "l\U0010ffff", "ń": "n\U0010ffff",
           "ó": "o\U0010ffff", "ś": "s\U0010ffff", "ź": "z\U0010fffe", "ż": "z\U0010ffff"},
    "tr": {"ç": "c\U0010ffff", "ğ": "g\U0010ffff", "ı": "h\U0010ffff", "ö": "o\U0010ffff", "ş": "s\U0010ffff", "ü": "u\U0010ffff"},
}
"""Letters that sort as letters of their own, after their base letter, per language (CLDR tailorings)."""

UNGROUPED_LANGUAGES = frozenset({"zh", "ja", "ko"})
"""Languages whose contents are not grouped under initial letters."""


def _bare(text: str, separate: dict[str, str]) -> str:
    """The primary key: :func:`title_key` (no case, accents or extra spaces), the language's own letters kept apart."""
    if separate:
        text = "".join(separate.get(char, char) for char in unicodedata.normalize("NFC", text.casefold()))
    return title_key(text)


def fallback_key(title: str, lang: str = "en") -> tuple[str, str, str]:
    """Primary (letters), secondary (accents), tertiary (case) strings for ``title`` in ``lang``."""
    separate = SEPARATE_LETTERS.get(primary(lang), {})
    secondary = unicodedata.normalize("NFD", title.casefold())
    tertiary = "".join("1" if ch.isupper() else "0" for ch in title)
    return _bare(title, separate), secondary, tertiary


@lru_cache(maxsize=16)
def _icu_collator(lang: str) -> Callable[[str], Any] | None:
    try:  # optional: the `icu` extra (PyICU), or Debian's python3-icu for the system Python
        icu = import_module("icu")
    except ImportError:
        return None
    try:
        collator = icu.Collator.createInstance(icu.Locale(babel_locale(lang)))
    except Exception:  # noqa: BLE001 - an unknown locale falls back to the key below
        return None
    return collator.getSortKey


def collation_key(title: str, lang: str = "en") -> tuple[Any, ...]:
    """Sort key for a title in the booklet's language (ICU when available, else :func:`fallback_key`)."""
    icu_key = _icu_collator(lang)
    if icu_key is not None:
        return (icu_key(title),)
    return fallback_key(title, lang)


def initial_letter(title: str, lang: str = "en") -> str:
    """The contents group a title files under: its first letter (ñ its own in Spanish), '#' for digits and symbols."""
    separate = SEPARATE_LETTERS.get(primary(lang), {})
    stripped = title.strip()
    first = stripped[:1].casefold()
    if not first:
        return "#"
    if first in separate:
        return first.upper()
    bare = _bare(first, {})[:1]
    return bare.upper() if bare.isalpha() else "#"


def groups_by_initial(lang: str) -> bool:
    return primary(lang) not in UNGROUPED_LANGUAGES
