"""Dates as a patient reads them: the language's long form from CLDR.

"15 September 2025", "15 de septiembre de 2025", "2025年9月15日": no numeric
form a reader could take as month/day. English uses the en_GB pattern (day
month year), as leaflets always printed. Every printed date goes through
:func:`long_date` (leaflet footers, booklet covers, stamps), so no part of a
booklet shows a date in another form.

With Babel installed (the ``locales`` extra) any CLDR locale is served;
without it, the shipped languages come from the copy frozen from Babel in
:mod:`leaflets.project.cldr` (the same text, checked by tests), and any other
language is dated in English, as an unknown locale always was.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

from leaflets.project.cldr import babel_available, format_long_date
from leaflets.source.language import babel_locale, primary

if TYPE_CHECKING:
    from babel import Locale


@lru_cache(maxsize=64)
def _locale(lang: str) -> Locale:
    from babel import Locale, UnknownLocaleError

    for candidate in (babel_locale(lang), primary(lang)):
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse("en_GB")


def long_date(day: date, lang: str = "en") -> str:
    """``day`` in the long form of ``lang`` (unknown languages fall back to English)."""
    if babel_available():
        from babel.dates import format_date

        return str(format_date(day, format="long", locale=_locale(lang)))
    return format_long_date(day, lang)
